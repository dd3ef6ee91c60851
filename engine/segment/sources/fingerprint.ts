/** The fingerprint of a streamed segment: a hash of its columns and of every row's values, in stream order. */
import { createHash, type Hash } from 'node:crypto';
import type { SegmentRecord } from '../record.ts';

export class RowHasher {
  readonly #hash: Hash;
  #digest: string | undefined;

  constructor(kind: string, columns: readonly string[]) {
    this.#hash = createHash('sha256');
    this.#hash.update(`${kind}\u0001${columns.join('\u0000')}\n`);
  }

  /** Order matters: with duplicate emails the first row wins, so the same rows in another order plan differently. */
  add(batch: readonly SegmentRecord[], columns: readonly string[]): void {
    let text = '';
    for (const r of batch) {
      for (const c of columns) {
        const v = r.values[c];
        // \u0002 marks "no value", so NULL and '' hash differently from each other and from any text.
        text += v === undefined ? '\u0002\u0000' : `${v}\u0000`;
      }
      text += '\n';
    }
    this.#hash.update(text);
  }

  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
