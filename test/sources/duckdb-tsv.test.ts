/**
 * DuckDbTsvRows and duckDbCells undo exactly what DuckDB's CSV writer does (tab-delimited, RFC 4180 quoting),
 * whatever the chunks the bytes arrive in: a row, a quoted newline or a UTF-8 sequence cut anywhere comes out whole.
 */
import { describe, expect, it } from 'vitest';
import { duckDbCells, DuckDbTsvRows } from '../../engine/segment/sources/duckdb-tsv.ts';

/** What DuckDB writes for these rows (checked against its writer in duckdb-fifo.test.ts). */
const TEXT = ['a\tb\tc', '\t""\t', '"x\ty"\t"q""uote"\t"line\none"', 'é😀\t"""\n"""\t ', '"#x"\t\\N\t"cr\r"', '\t\t', ''].join('\n');
const ROWS = [
  ['a', 'b', 'c'],
  [undefined, '', undefined],
  ['x\ty', 'q"uote', 'line\none'],
  ['é😀', '"\n"', ' '],
  ['#x', '\\N', 'cr\r'],
  [undefined, undefined, undefined],
];

function parse(chunks: Buffer[]): Array<Array<string | undefined>> {
  const parser = new DuckDbTsvRows();
  const spans = chunks.flatMap((c) => parser.push(c));
  parser.end();
  return spans.flatMap((s) => Array.from({ length: s.length }, (_, i) => duckDbCells(s.bytes.toString('utf8', s.starts[i], s.ends[i]), 3)));
}

describe('DuckDbTsvRows', () => {
  it('reads NULL as undefined, a quoted empty value as "", and quoted tabs, newlines and quotes as written', () => {
    expect(parse([Buffer.from(TEXT)])).toEqual(ROWS);
  });

  it('gives the same rows whatever the chunk boundaries, byte by byte included', () => {
    const bytes = Buffer.from(TEXT);
    for (let cut = 1; cut < bytes.length; cut++) expect(parse([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(ROWS);
    expect(parse([...bytes].map((b) => Buffer.from([b])))).toEqual(ROWS);
  });

  it('throws when the bytes end inside a row or a row has the wrong number of cells', () => {
    const parser = new DuckDbTsvRows();
    parser.push(Buffer.from('a\tb\t"c\n'));
    expect(() => parser.end()).toThrow(/ended inside a row/);
    expect(() => parse([Buffer.from('a\tb\n')])).toThrow(/2 cells where 3/);
  });
});
