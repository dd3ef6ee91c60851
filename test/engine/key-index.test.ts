import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../engine/key-index.ts';

describe('KeyIndex', () => {
  it('finds every key added, keeps the first position of a key added twice, and finds no other', () => {
    const keys: string[] = [];
    const index = new KeyIndex((p) => keys[p]!);
    // Through several doublings; similar keys, keys that differ only in case or in a character beyond Latin-1.
    for (let i = 0; i < 50_000; i++) {
      keys.push(i % 3 === 0 ? `User${i}@Example.com` : i % 3 === 1 ? `user${i}@example.com` : `zoë${i}@東京.jp`);
      expect(index.add(keys[i]!, i)).toBeUndefined();
    }
    expect(index.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(index.get(keys[i]!)).toBe(i);
    keys.push('user1@example.com');
    expect(index.add('user1@example.com', 50_000)).toBe(1);
    expect(index.size).toBe(50_000);
    expect(index.get('user1@example.com')).toBe(1);
    for (const k of ['', 'USER1@example.com', 'user50000@example.com', 'zoë2@東京.jpx']) expect(index.get(k)).toBeUndefined();
  });

  it('an empty index finds nothing, and the empty string is a key like any other', () => {
    const keys = [''];
    const index = new KeyIndex((p) => keys[p]!);
    expect(index.get('')).toBeUndefined();
    expect(index.add('', 0)).toBeUndefined();
    expect(index.get('')).toBe(0);
  });

  it('getAsciiLower finds a key from its bytes with ASCII capitals, and nothing from bytes that are not ASCII', () => {
    const keys = ['user1@example.com', 'zoë@example.com', 'a@b.co'];
    const index = new KeyIndex((p) => keys[p]!);
    for (const [i, k] of keys.entries()) index.add(k, i);
    const at = (text: string, pad = 3): number | undefined => {
      // Inside a larger buffer, as a row's email cell is.
      const bytes = Buffer.from(`${'\t'.repeat(pad)}${text}\tmore`);
      return index.getAsciiLower(bytes, pad, pad + Buffer.byteLength(text));
    };
    expect(at('user1@example.com')).toBe(0);
    expect(at('USER1@Example.COM', 0)).toBe(0);
    expect(at('A@B.CO')).toBe(2);
    // Lower-casing bytes is for ASCII only: a key that is not ASCII is found through get().
    expect(at('zoë@example.com')).toBeUndefined();
    expect(at('user1@example.co')).toBeUndefined();
    expect(at('user1@example.com ')).toBeUndefined();
    expect(at('')).toBeUndefined();
  });
});
