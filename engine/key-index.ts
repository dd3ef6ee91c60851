/**
 * Positions by key, for the million keys of a list or a first export: an open-addressing hash table of positions
 * in one Int32Array, the keys themselves left where they already are (the caller's `keyAt`). A Map of a million
 * strings costs ~56 MB and rebuilds itself at each doubling; this costs 16 MB (slots and hashes) and a hash of each
 * key in JavaScript
 * (BENCHMARKS.md, segment sources).
 */
export class KeyIndex {
  /** position + 1 per slot, 0 for an empty one; the length is a power of two, at most half full. */
  #slots = new Int32Array(1 << 10);
  /** The hash of each slot's key: a probe reads a key (a string somewhere else in memory) only when they match. */
  #hashes = new Int32Array(1 << 10);
  #size = 0;
  readonly #keyAt: (position: number) => string;

  /** `keyAt` gives the key of a position added before (it must not change). */
  constructor(keyAt: (position: number) => string) {
    this.#keyAt = keyAt;
  }

  get size(): number {
    return this.#size;
  }

  /** The position added under `key`, if any. */
  get(key: string): number | undefined {
    const p = this.#slots[this.#slotOf(key, hash(key))]!;
    return p === 0 ? undefined : p - 1;
  }

  /**
   * The position added under the key that `bytes[start, end)` spells once ASCII capitals are lower-cased (what
   * `trim().toLowerCase()` makes of an address of ASCII without white space), without making a string of it;
   * undefined when there is none or a byte is not ASCII.
   */
  getAsciiLower(bytes: Uint8Array, start: number, end: number): number | undefined {
    let h = FNV_OFFSET;
    for (let p = start; p < end; p++) {
      let c = bytes[p]!;
      if (c >= 0x80) return undefined;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    h = mix(h);
    const slots = this.#slots;
    const hashes = this.#hashes;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const p = slots[i]!;
      if (p === 0) return undefined;
      if (hashes[i] === h && asciiLowerEquals(bytes, start, end, this.#keyAt(p - 1))) return p - 1;
    }
  }

  /** Adds `position` under `key`, unless the key has one: then that one is returned and nothing is added. */
  add(key: string, position: number): number | undefined {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow();
    const h = hash(key);
    const i = this.#slotOf(key, h);
    const p = this.#slots[i]!;
    if (p !== 0) return p - 1;
    this.#slots[i] = position + 1;
    this.#hashes[i] = h;
    this.#size++;
    return undefined;
  }

  /** The slot that holds `key` (whose hash is `h`), or the empty one where it would go. */
  #slotOf(key: string, h: number): number {
    const slots = this.#slots;
    const hashes = this.#hashes;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const p = slots[i]!;
      if (p === 0 || (hashes[i] === h && this.#keyAt(p - 1) === key)) return i;
    }
  }

  #grow(): void {
    const old = this.#slots;
    const oldHashes = this.#hashes;
    const slots = new Int32Array(old.length * 2);
    const hashes = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const p = old[j]!;
      if (p === 0) continue;
      const h = oldHashes[j]!;
      let i = h & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = p;
      hashes[i] = h;
    }
    this.#slots = slots;
    this.#hashes = hashes;
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser so that the low bits a mask keeps are well mixed. */
function hash(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** MurmurHash3's finaliser: every input bit reaches every output bit (row-print.ts uses it too). */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Whether `bytes[start, end)`, ASCII capitals lower-cased, is `key`. A byte that is not ASCII never matches: one
 * byte of a UTF-8 sequence is not the character whose code it happens to equal.
 */
function asciiLowerEquals(bytes: Uint8Array, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) {
    let c = bytes[start + i]!;
    if (c >= 0x80) return false;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== key.charCodeAt(i)) return false;
  }
  return true;
}
