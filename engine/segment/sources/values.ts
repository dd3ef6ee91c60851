/**
 * How database values become the text every segment reader yields (the one conversion table, documented in the
 * README's "Where segments come from"):
 *   NULL                 -> no value (never the string "null"); it never erases what ActiveCampaign has
 *   text                 -> as is (the normaliser trims it)
 *   integer, bigint      -> decimal digits (bigints exactly, not through a float)
 *   numeric/decimal      -> the database's exact text, e.g. 1.50
 *   float/double         -> JavaScript's shortest round-trip form (0.1, 1e+21); NaN, Infinity as named
 *   boolean              -> true / false
 *   date                 -> YYYY-MM-DD (what ActiveCampaign date fields take)
 *   timestamp            -> ISO 8601, YYYY-MM-DDTHH:MM:SS[.fff] (no zone: as stored)
 *   timestamp with zone  -> ISO 8601 in UTC, YYYY-MM-DDTHH:MM:SS[.fff]Z
 *   lists, structs, json -> JSON text
 */

/** Timestamp text as databases print it ("2024-03-05 01:02:03.5+00") turned into ISO 8601. */
export function isoTimestamp(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?)?$/.exec(text);
  if (!m) return text;
  const [, date, time, zh, zm] = m;
  if (zh === undefined) return `${date}T${time}`;
  if (Number(zh) === 0 && (zm === undefined || Number(zm) === 0)) return `${date}T${time}Z`;
  // Sessions run in UTC, so an offset only appears from a database that ignores the session zone: keep it, ISO-style.
  return `${date}T${time}${zh}:${zm ?? '00'}`;
}

/** Any value a driver hands back, as segment text (see the table above). `kind` is the column's type class. */
export function toSegmentText(v: unknown, kind: ValueKind = 'other'): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return kind === 'timestamp' ? isoTimestamp(v) : v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

export type ValueKind = 'timestamp' | 'other';
