/**
 * The one line reader: a file's lines, as bytes without their `\n`, one array per read chunk (a million lines
 * cost a few hundred awaits, not a million as with readline). Used by the NDJSON segment reader and the list
 * snapshot. Splitting bytes at 0x0a is safe in UTF-8: that byte never occurs inside a multi-byte character.
 */
import { createReadStream } from 'node:fs';

export interface LineBatch {
  lines: Buffer[];
  /** 1-based number of the first line of `lines`. */
  firstLine: number;
}

export interface ReadLinesOptions {
  chunkBytes: number;
  /** Sees every chunk read, in order, before its lines are split (fingerprints, binary sniffing). */
  onChunk?: (chunk: Buffer, first: boolean) => void;
  /** A line longer than this is refused as soon as that is known, before it is all in memory. */
  maxLineBytes?: number;
  /** Throws for a line over maxLineBytes. */
  tooLong?: (line: number) => never;
}

const NEWLINE = 0x0a;

export async function* readLines(path: string, o: ReadLinesOptions): AsyncGenerator<LineBatch> {
  const max = o.maxLineBytes ?? Infinity;
  const check = (bytes: number, line: number): void => {
    if (bytes > max) o.tooLong?.(line);
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: o.chunkBytes }) as AsyncIterable<Buffer>) {
    o.onChunk?.(chunk, first);
    first = false;
    const lines: Buffer[] = [];
    const firstLine = line;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      let bytes = chunk.subarray(start, nl);
      if (pending.length > 0) {
        bytes = Buffer.concat([...pending, bytes]);
        pending = [];
        pendingBytes = 0;
      }
      check(bytes.length, line);
      lines.push(bytes);
      line++;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      check(pendingBytes, line);
    }
    if (lines.length > 0) yield { lines, firstLine };
  }
  if (pending.length > 0) yield { lines: [Buffer.concat(pending)], firstLine: line };
}
