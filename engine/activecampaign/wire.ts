/**
 * Defensive reading of ActiveCampaign's JSON: ids and numbers arrive as strings or numbers depending on the
 * endpoint (docs/activecampaign-api.md), and optional keys come and go. These helpers never throw; the
 * caller decides whether a missing piece is fatal.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string for strings and finite numbers ("12" and 12 both give "12"); '' for anything else. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

/** An integer from a number or a numeric string; undefined otherwise. */
export function int(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** The objects of an array (non-objects dropped); [] when not an array. */
export function objects(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** Compares two numeric id strings as numbers (ids can exceed 2^53 only in theory; BigInt keeps it exact). */
export function idGreater(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a > b;
  return BigInt(a) > BigInt(b);
}
