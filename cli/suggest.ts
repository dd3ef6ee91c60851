/** "Did you mean …?" for a mistyped command or flag: the closest known name within a small edit distance. */

/** Levenshtein distance, for short words. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `typed`, when it is close enough to be what was meant (or starts with it). */
export function closest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const d = distance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.floor(best.length / 4));
  if (bestDistance <= allowed) return best;
  const prefixed = known.filter((n) => n.startsWith(typed));
  return typed.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}
