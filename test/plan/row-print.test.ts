/**
 * printRow (engine/segment/row-print.ts) reads rows four bytes at a time and finds the email's end and its capitals
 * on all four at once. These hold it to what it promises byte by byte: the email ends at the first tab, only ASCII
 * capitals of the email are lower-cased, and any other difference in the bytes gives another print.
 */
import { describe, expect, it } from 'vitest';
import { PRINT, printRow, viewOf } from '../../engine/segment/row-print.ts';

function print(bytes: number[], offset = 0): { emailEnd: number; print: string } {
  const buf = Buffer.alloc(offset + bytes.length + 3, 0x41);
  buf.set(bytes, offset);
  const emailEnd = printRow(viewOf(buf), offset, offset + bytes.length) - offset;
  return { emailEnd, print: `${PRINT[0]}:${PRINT[1]}` };
}

/** The row with its email's ASCII capitals lower-cased, byte by byte. */
function lowered(bytes: number[]): number[] {
  const tab = bytes.indexOf(0x09);
  const emailEnd = tab < 0 ? bytes.length : tab;
  return bytes.map((c, i) => (i < emailEnd && c >= 0x41 && c <= 0x5a ? c + 0x20 : c));
}

/** Bytes that sit at the edges of what printRow tells apart. */
const EDGES = [0x00, 0x08, 0x09, 0x0a, 0x20, 0x40, 0x41, 0x4d, 0x5a, 0x5b, 0x60, 0x61, 0x7a, 0x7f, 0x80, 0x89, 0xc1, 0xda, 0xe1, 0xff];

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    return (s >>> 8) & 0xffff;
  };
}

describe('printRow', () => {
  it('ends the email at the first tab, at every position in a word, or at the row end', () => {
    for (let length = 0; length <= 13; length++) {
      for (let tab = -1; tab < length; tab++) {
        const row = Array.from({ length }, (_, i) => (i === tab ? 0x09 : 0x61 + (i % 26)));
        if (tab >= 0 && tab + 2 < length) row[tab + 2] = 0x09;
        for (const offset of [0, 1, 2, 3]) expect(print(row, offset).emailEnd).toBe(tab < 0 ? length : tab);
      }
    }
  });

  it('lower-cases ASCII capitals of the email only: a row prints as its lower-cased self, wherever it starts', () => {
    const next = random(7);
    for (let n = 0; n < 3000; n++) {
      const length = next() % 24;
      const row = Array.from({ length }, () => (next() % 3 === 0 ? EDGES[next() % EDGES.length]! : 0x41 + (next() % 58)));
      const offset = next() % 4;
      const expected = print(lowered(row));
      expect(print(row, offset)).toEqual(expected);
    }
  });

  it('gives another print for any other byte, a capital after the email included', () => {
    const next = random(11);
    for (let n = 0; n < 400; n++) {
      const length = 1 + (next() % 20);
      const row = lowered(Array.from({ length }, () => EDGES[next() % EDGES.length]!));
      const seen = new Map<string, string>([[print(row).print, row.join(',')]]);
      for (let i = 0; i < length; i++) {
        for (const c of EDGES) {
          const other = [...row];
          other[i] = c;
          if (lowered(other).join(',') === row.join(',')) continue;
          const key = lowered(other).join(',');
          const p = print(other).print;
          const before = seen.get(p);
          if (before !== undefined) expect(before).toBe(key);
          seen.set(p, key);
        }
      }
      // One byte longer or shorter is another row too.
      expect(print([...row, 0x61]).print).not.toBe(print(row).print);
      expect(print(row.slice(1)).print).not.toBe(print(row).print);
    }
  });

  it('does not take the bytes of a UTF-8 character for capitals', () => {
    // 0xc1 and 0xda are 'A' and 'Z' with the high bit set: not capitals.
    expect(print([0xc3, 0xc1, 0x09, 0x61]).print).not.toBe(print([0xc3, 0xe1, 0x09, 0x61]).print);
    expect(print([0x61, 0xda, 0x62, 0x63, 0x09]).print).not.toBe(print([0x61, 0xfa, 0x62, 0x63, 0x09]).print);
    expect(print([0x41, 0xc1, 0x5a, 0xda]).print).toBe(print([0x61, 0xc1, 0x7a, 0xda]).print);
  });
});
