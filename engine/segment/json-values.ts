/** Turning parsed JSON profiles into the string values every reader yields. */
import { SegmentError } from './errors.ts';

/** Values become strings: numbers and booleans as written, null as absent, nested data as JSON text. */
export function toValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Remembers which requested keys appeared at least once, so a mapping typo is caught (JSON has no header). */
export class JsonProjector {
  readonly #columns: readonly string[];
  readonly #seen: boolean[];
  #firstKeys: string[] | undefined;
  records = 0;

  constructor(columns: readonly string[]) {
    this.#columns = columns;
    this.#seen = columns.map(() => false);
  }

  project(obj: Record<string, unknown>): Record<string, string | undefined> {
    this.records++;
    this.#firstKeys ??= Object.keys(obj);
    const values: Record<string, string | undefined> = {};
    for (let c = 0; c < this.#columns.length; c++) {
      const name = this.#columns[c]!;
      const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
      if (v !== undefined) this.#seen[c] = true;
      // defineProperty, not assignment: a column named __proto__ must stay a value.
      if (name === '__proto__') Object.defineProperty(values, name, { value: toValue(v), enumerable: true, writable: true });
      else values[name] = toValue(v);
    }
    return values;
  }

  /** The requested keys no record had, and the keys of the first record (for the message). */
  missing(): { missing: string[]; firstKeys: string[] } {
    return { missing: this.#columns.filter((_, i) => !this.#seen[i]), firstKeys: this.#firstKeys ?? [] };
  }
}

/** Line and column of a JSON.parse error position inside `text` (which starts at `startLine`, column 1). */
export function jsonErrorPosition(err: unknown, text: string, startLine: number, startColumn = 1): { line: number; column?: number } {
  const m = err instanceof Error ? /position (\d+)/.exec(err.message) : null;
  if (!m) return { line: startLine };
  const pos = Number(m[1]);
  let line = startLine;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: (line === startLine ? startColumn : 1) + pos - lineStart };
}

/** JSON.parse's message without its own position details (we give line and column instead). */
export function jsonErrorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '');
}

/** A mapped key that no JSON profile has is almost always a typo in `mapping:`; say so, with the keys that exist. */
export function missingKeysError(projector: JsonProjector, file: string): SegmentError | undefined {
  if (projector.records === 0) return undefined;
  const { missing, firstKeys } = projector.missing();
  if (missing.length === 0) return undefined;
  const what = missing.length === 1 ? `key ${missing[0]} is` : `keys ${missing.join(', ')} are`;
  return new SegmentError({
    message: `${what} in none of the ${projector.records} profiles; the first profile has keys ${firstKeys.map((k) => `'${k}'`).join(', ')}`,
    file,
    hint: 'fix the names under `mapping:` in the config (names are case-sensitive) or the keys in the file',
  });
}
