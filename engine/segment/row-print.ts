/**
 * Fingerprints of rows still in bytes (text-rows.ts), so that a row that only repeats its list member is known
 * without decoding it or reaching the member's values in memory. On a re-export that is nearly every row, and
 * comparing them any other way was most of a plan's time: decoding a row into strings, or even comparing its bytes
 * with the member's strings character by character, costs more than the database's whole read
 * (BENCHMARKS.md, segment sources).
 *
 * A member's print is taken of the row a text source would send for it: its key, then each mapped value, tab
 * separated, in the order of the columns asked for (the email first), an absent value as an empty cell. A row's
 * print is taken of its bytes as they came, with the ASCII capitals of its email cell lower-cased. Equal prints
 * mean equal bytes (two independent 32-bit hashes: a changed row passes for unchanged about once in 2^64), and
 * equal bytes mean the row says exactly what the member has: the row's email, trimmed and lower-cased, is the
 * member's key, and each cell is the member's value or empty, which repeatsMember (normalize.ts) counts as
 * unchanged too. Only members whose key is ASCII and whose values hold no character a source would escape or quote
 * (below U+0020, a backslash, a double quote) get a print; rows of the others, and any row whose print differs,
 * are decoded and take the full path (test/plan/row-path.test.ts holds the paths to the same plans).
 */
import type { MappingConfig } from '../config/model.ts';
import { mix } from '../key-index.ts';
import type { ContactFields } from '../model.ts';

/** The print of the last printRow call: two 32-bit lanes. */
export const PRINT = new Int32Array(2);

const TABS = 0x09090909;
const ONES = 0x01010101;
const HIGHS = 0x80808080 | 0;

/**
 * Prints the row at `[start, end)` of `view`'s bytes into PRINT and returns where its first cell (the email) ends:
 * its first tab, or the row's end. The row is read four bytes at a time (little-endian words, whatever their
 * alignment): until the email's end, a tab is found and ASCII capitals lower-cased on all four bytes at once. Each
 * word goes through an xxHash32 round (lane a) and a MurmurHash3 block (lane b), written out rather than called:
 * this runs for every row of a segment, and was a quarter faster so.
 */
export function printRow(view: DataView, start: number, end: number): number {
  let a = 0x811c9dc5 | 0;
  let b = 0x2545f491;
  let p = start;
  let emailEnd = -1;
  let w = 0;
  let x = 0;
  while (p + 4 <= end) {
    w = view.getInt32(p, true);
    if (emailEnd < 0) {
      // Bytes that are a tab get their high bit in `tabs`; the lowest one is exact (borrows only run upwards).
      const t = w ^ TABS;
      const tabs = ((t - ONES) | 0) & ~t & HIGHS;
      // Bytes 0x41 to 0x5a ('A' to 'Z') get their high bit in `capitals`: no byte's sum carries into the next.
      const low = w & 0x7f7f7f7f;
      let capitals = ((low + 0x3f3f3f3f) | 0) & ~((low + 0x25252525) | 0) & ~w & HIGHS;
      if (tabs !== 0) {
        const tab = tabs & -tabs;
        capitals &= (tab >>> 7) - 1;
        emailEnd = p + ((31 - Math.clz32(tab)) >> 3);
      }
      w |= capitals >>> 2;
    }
    p += 4;
    // xxHash32's round.
    x = (a + Math.imul(w, 0x85ebca77)) | 0;
    a = Math.imul((x << 13) | (x >>> 19), 0x9e3779b1);
    // MurmurHash3's block.
    x = Math.imul(w, 0xcc9e2d51);
    x = b ^ Math.imul((x << 15) | (x >>> 17), 0x1b873593);
    b = (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
  }
  if (p < end) {
    // The last bytes (three at most) with their count in the top bits, through the same two rounds.
    w = (end - p) << 27;
    for (let k = 0; p < end; p++, k += 8) {
      let c = view.getUint8(p);
      if (emailEnd < 0) {
        if (c === 0x09) emailEnd = p;
        else if (c >= 0x41 && c <= 0x5a) c += 0x20;
      }
      w |= c << k;
    }
    x = (a + Math.imul(w, 0x85ebca77)) | 0;
    a = Math.imul((x << 13) | (x >>> 19), 0x9e3779b1);
    x = Math.imul(w, 0xcc9e2d51);
    x = b ^ Math.imul((x << 15) | (x >>> 17), 0x1b873593);
    b = (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
  }
  if (emailEnd < 0) emailEnd = end;
  // Both lengths: where the email ends is part of what the words mean.
  const length = ((end - start) << 8) ^ (emailEnd - start);
  PRINT[0] = mix(a ^ length);
  PRINT[1] = mix(b ^ Math.imul(length, 0x9e3779b1));
  return emailEnd;
}

/** A DataView over all of `bytes`, for printRow. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Which member value each cell holds, for one mapping and the columns a source is asked for. */
export interface CellRule {
  readonly columns: readonly string[];
  /** Per cell after the email: the member's value for it. */
  readonly values: ReadonlyArray<(member: ContactFields) => string | undefined>;
}

/**
 * The rule, or undefined when rows cannot be printed this way: the email is not the first column, or a column is
 * mapped twice (its one cell would have to equal two values).
 */
export function cellRule(mapping: MappingConfig, columns: readonly string[]): CellRule | undefined {
  if (columns[0] !== mapping.email) return undefined;
  const values: Array<((member: ContactFields) => string | undefined) | undefined> = new Array(columns.length).fill(undefined);
  const targets: Array<[string | undefined, (member: ContactFields) => string | undefined]> = [
    [mapping.firstName, (m) => m.firstName],
    [mapping.lastName, (m) => m.lastName],
    [mapping.phone, (m) => m.phone],
    ...Object.entries(mapping.fields).map(([tag, column]): [string, (member: ContactFields) => string | undefined] => [column, (m) => m.fields?.[tag]]),
  ];
  for (const [column, value] of targets) {
    if (column === undefined) continue;
    const c = columns.indexOf(column);
    if (c <= 0 || values[c] !== undefined) return undefined;
    values[c] = value;
  }
  // A column asked for that the mapping does not read: nothing to print it from.
  if (values.slice(1).some((v) => v === undefined)) return undefined;
  return { columns, values: values.slice(1) as Array<(member: ContactFields) => string | undefined> };
}

/** What a source escapes or quotes (below U+0020, a backslash, a double quote); and, in the key, anything not ASCII. */
const ESCAPED = /[\u0000-\u001f\\"]/;
const NOT_ASCII_KEY = /[^\u0020-\u007e]/;

/**
 * The row a text source would send for `member`, or undefined when it has none that prints alike from every
 * source (see the top of this file).
 */
export function memberRow(member: ContactFields & { key: string }, rule: CellRule): string | undefined {
  if (NOT_ASCII_KEY.test(member.key) || ESCAPED.test(member.key)) return undefined;
  let row = member.key;
  for (const value of rule.values) {
    const v = value(member);
    if (v !== undefined) {
      if (ESCAPED.test(v)) return undefined;
      row += `\t${v}`;
    } else row += '\t';
  }
  return row;
}
