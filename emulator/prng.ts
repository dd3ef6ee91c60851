/**
 * mulberry32: a tiny, fast 32-bit generator, good enough to spread faults and generate test data. Seeds are
 * user-visible (fault seeds, benchmark segments), so its output must never change: runs stay comparable.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
