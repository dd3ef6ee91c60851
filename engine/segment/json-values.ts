/** Turning parsed JSON profiles into the string values every reader yields. */
import { SegmentError } from './errors.ts';
import type { SegmentRecord } from './record.ts';

/**
 * A JSON value as the text acsync sends, or a problem that makes the row an error. Documented conversions
 * (README, "Segment files"): strings as they are; numbers and booleans as written (42, 3.5, true); null as no
 * value; an array of strings, numbers or booleans as ActiveCampaign's multi-value text `||a||b||` (listbox and
 * checkbox fields). An object, or an array holding anything else, has no meaning in a contact field: a row error.
 */
export function toValue(v: unknown): string | undefined | ValueProblem {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const x of v) {
      if (x === null) continue;
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') parts.push(String(x));
      else return new ValueProblem('holds an array with an object or array inside; only text, numbers and booleans can be sent');
    }
    return parts.length === 0 ? undefined : `||${parts.join('||')}||`;
  }
  return new ValueProblem('holds a JSON object; only text, numbers, booleans and arrays of them can be sent');
}

/** Why a value cannot be sent (the row is skipped with this reason). */
export class ValueProblem {
  constructor(readonly reason: string) {}
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

  /**
   * The requested keys of one profile as text, and the first problem that makes it a row error (a value that
   * cannot be sent, or a requested key written twice: JSON.parse keeps the last one silently). `text` is the
   * profile's JSON text, scanned for repeated keys.
   */
  project(obj: Record<string, unknown>, text: string): { values: Record<string, string | undefined>; problem?: string } {
    this.records++;
    this.#firstKeys ??= Object.keys(obj);
    const values: Record<string, string | undefined> = {};
    let problem: string | undefined;
    for (let c = 0; c < this.#columns.length; c++) {
      const name = this.#columns[c]!;
      const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
      if (v !== undefined) this.#seen[c] = true;
      let value = toValue(v);
      if (value instanceof ValueProblem) {
        problem ??= `key ${name} ${value.reason}`;
        value = undefined;
      }
      // defineProperty, not assignment: a column named __proto__ must stay a value.
      if (name === '__proto__') Object.defineProperty(values, name, { value, enumerable: true, writable: true });
      else values[name] = value;
      if (problem === undefined && v !== undefined && topLevelKeyCount(text, name) > 1) problem = `key ${name} appears twice in this profile; acsync cannot tell which value is meant`;
    }
    return problem === undefined ? { values } : { values, problem };
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

/**
 * How often `key` is a key of the top-level object in `text` (a JSON object's text). Cheap when the key's quoted
 * form appears once, as it nearly always does: the exact scan only runs when it appears more than once.
 */
export function topLevelKeyCount(text: string, key: string): number {
  const quoted = JSON.stringify(key);
  const first = text.indexOf(quoted);
  if (first === -1 || text.indexOf(quoted, first + 1) === -1) {
    // Keys may also be written with escapes ("em\u0061il"): only then is the cheap check not enough.
    if (!text.includes('\\')) return first === -1 ? 0 : 1;
  }
  let count = 0;
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') {
          try {
            if (JSON.parse(text.slice(i, j + 1)) === key) count++;
          } catch {
            // not a valid string: JSON.parse of the profile already refused such text
          }
          expectKey = false;
        }
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      depth++;
      if (depth === 1 && ch === '{') expectKey = true;
    } else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 1) expectKey = true;
  }
  return count;
}

/** A projected profile as a segment record. */
export function toRecord(line: number, p: { values: Record<string, string | undefined>; problem?: string }): SegmentRecord {
  return p.problem === undefined ? { line, values: p.values } : { line, values: p.values, problem: p.problem };
}
