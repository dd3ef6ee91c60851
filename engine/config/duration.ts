/** Durations in the config (`statementTimeout: 5m`, `poll: 30s`): a positive whole number with s, m or h. */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a duration the schema accepted, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^([1-9][0-9]*)(s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
