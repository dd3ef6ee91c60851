/**
 * DuckDbSource has DuckDB's COPY write the rows as tab-separated CSV into a temporary file that it reads as DuckDB
 * writes it, unlinked as soon as it is open (the default way), or once the COPY has answered ('file'). Both ways
 * give the same records and the same fingerprint for every type and every awkward value, fail the same way (a
 * failure late in the rows is an error, never a short segment), stop early without hanging, and leave no file or
 * temporary folder behind.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SegmentError } from '../../engine/segment/errors.ts';
import type { SegmentRecord } from '../../engine/segment/record.ts';
import { DuckDbSource } from '../../engine/segment/sources/duckdb.ts';

type Transport = 'auto' | 'file';
const TRANSPORTS: Transport[] = ['auto', 'file'];
const site = { exportName: 'x', configFile: 'acsync.yaml', line: 7, mappingLines: new Map() };

// This file's own temporary folder (vitest runs each file in its own process): whatever the source leaves in it is
// a leftover, and another file's reads cannot be mistaken for one.
const originalTmp = process.env['TMPDIR'];
const data = mkdtempSync(path.join(tmpdir(), 'acsync-copy-data-'));
const tmp = mkdtempSync(path.join(tmpdir(), 'acsync-copy-tmp-'));
beforeAll(() => {
  process.env['TMPDIR'] = tmp;
});
afterEach(() => {
  expect(readdirSync(tmp), 'no file or temporary folder is left behind').toEqual([]);
});
afterAll(() => {
  if (originalTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = originalTmp;
  rmSync(data, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

function source(sql: string, transport: Transport, extra: { kind?: 'query' | 'files'; statementTimeoutMs?: number } = {}): DuckDbSource {
  return new DuckDbSource({ label: 'q', site, sql, kind: extra.kind ?? 'query', cwd: data, statementTimeoutMs: extra.statementTimeoutMs ?? 60_000, what: 'the query', transport });
}

interface Read {
  records: SegmentRecord[];
  batches: number;
  fingerprint: string;
  /** What DuckDB wrote into, seen while the first batch was read. */
  output: Output;
}

type Output = 'file' | 'none';

/** The rows' file in its private folder, which only its owner may enter (0700). */
function output(): Output {
  const dirs = readdirSync(tmp).filter((n) => n.startsWith('acsync-duckdb-'));
  if (dirs.length !== 1) return 'none';
  const dir = path.join(tmp, dirs[0]!);
  expect(statSync(dir).mode & 0o777, 'the folder is private').toBe(0o700);
  const rows = path.join(dir, 'rows.tsv');
  if (!existsSync(rows)) return 'none';
  return lstatSync(rows).isFile() ? 'file' : 'none';
}

/** Resolves once DuckDB's COPY has begun writing the rows' file: a stop now comes during the COPY. */
async function copyWriting(): Promise<void> {
  for (;;) {
    const dir = readdirSync(tmp).find((n) => n.startsWith('acsync-duckdb-'));
    const rows = dir !== undefined ? path.join(tmp, dir, 'rows.tsv') : undefined;
    if (rows !== undefined && existsSync(rows) && statSync(rows).size > 0) return;
    await sleep(5);
  }
}

async function readAll(sql: string, columns: string[], transport: Transport): Promise<Read> {
  const src = source(sql, transport);
  try {
    const records: SegmentRecord[] = [];
    let batches = 0;
    let seen: Output = 'none';
    for await (const batch of src.records(columns)) {
      if (batches++ === 0) seen = output();
      records.push(...batch);
    }
    return { records, batches, fingerprint: src.fingerprint(), output: seen };
  } finally {
    await src.close();
  }
}

/** The records both ways, checked equal, fingerprints included; the default way's. */
async function readBoth(sql: string, columns: string[]): Promise<SegmentRecord[]> {
  const tailed = await readAll(sql, columns, 'auto');
  const filed = await readAll(sql, columns, 'file');
  // Windows cannot unlink an open file: it removes it after the read.
  if (process.platform !== 'win32') expect(tailed.output, 'the default way unlinks the file it reads as soon as it is open').toBe('none');
  expect(filed.output, "'file' reads a file").toBe('file');
  expect(filed.records).toEqual(tailed.records);
  expect(tailed.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  expect(filed.fingerprint).toBe(tailed.fingerprint);
  return tailed.records;
}

async function readError(sql: string, columns: string[], transport: Transport, extra: { kind?: 'query' | 'files'; statementTimeoutMs?: number; before?: () => void } = {}): Promise<{ error: unknown; rows: number }> {
  const src = source(sql, transport, extra);
  let rows = 0;
  try {
    await src.describe();
    extra.before?.();
    for await (const batch of src.records(columns)) rows += batch.length;
    return { error: undefined, rows };
  } catch (error) {
    return { error, rows };
  } finally {
    await src.close();
  }
}

/** Runs SQL in a scratch DuckDB (COPY ... TO needs absolute paths). */
async function duckRun(sql: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(sql);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** A DuckDB string literal for any text: NUL cannot be written in SQL, so it is chr(0). */
function literal(text: string): string {
  return text
    .split('\u0000')
    .map((part) => `'${part.replace(/'/g, "''")}'`)
    .join(' || chr(0) || ');
}

const AWKWARD = [
  '',
  'plain',
  'tab\there',
  '\t',
  'line\nbreak',
  '\n',
  '\n\n',
  'cr\rhere',
  'crlf\r\n',
  'q"uote',
  '"',
  '""',
  '"leading',
  'trailing"',
  '"\t"\n"',
  'back\\slash',
  '\\N',
  '\\t',
  ' leading',
  'trailing ',
  '  ',
  'é',
  '😀',
  '日本語 ✓',
  'a,b;c',
  '#hash',
  'null',
  'NULL',
  "it's",
  'nul\u0000byte',
  'x\u2028y',
];

describe('the same records as DuckDB writes them and from a finished file', { timeout: 60_000 }, () => {
  it('keeps awkward text exactly, NULL apart from the empty string', async () => {
    const rows = AWKWARD.map((v, i) => `(${i + 1}, ${literal(v)}, ${literal(v)} || 'x', ${i % 2 === 0 ? 'NULL' : literal(v)})`);
    const sql = `select * from (values ${rows.join(', ')}, (0, NULL, NULL, NULL)) t(id, v, vx, maybe) order by id`;
    const records = await readBoth(sql, ['id', 'v', 'vx', 'maybe']);
    expect(records.map((r) => r.values['v'])).toEqual([undefined, ...AWKWARD]);
    expect(records.map((r) => r.values['vx'])).toEqual([undefined, ...AWKWARD.map((v) => `${v}x`)]);
    expect(records.map((r) => r.values['maybe'])).toEqual([undefined, ...AWKWARD.map((v, i) => (i % 2 === 0 ? undefined : v))]);
    expect(records.map((r) => r.line)).toEqual(records.map((_, i) => i + 1));
  });

  it('converts every type as values.ts documents', async () => {
    const sql = `select 42 as i, 12345678901234567890::hugeint as big, 1.50::decimal(5,2) as dec, 0.1::double as dbl, 'NaN'::double as nan,
      true as t, false as f, date '2024-03-05' as d, timestamp '2024-03-05 01:02:03.25' as ts, timestamptz '2024-03-05 01:02:03+02' as tstz,
      [1, 2, NULL] as list, {'a': 'x"y', 'b': NULL} as st, map {'k': 'v\tw'} as m, union_value(num := 2) as u, [1, 2]::integer[2] as arr,
      ['a\tb', NULL, ''] as texts, '{"j": [1]}'::json as js, time '01:02:03' as tm, interval 1 day as iv, NULL::integer as n, ''::varchar as e
      union all select NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`;
    const columns = ['i', 'big', 'dec', 'dbl', 'nan', 't', 'f', 'd', 'ts', 'tstz', 'list', 'st', 'm', 'u', 'arr', 'texts', 'js', 'tm', 'iv', 'n', 'e'];
    const [typed, nulls] = await readBoth(sql, columns);
    expect(typed!.values).toEqual({
      i: '42',
      big: '12345678901234567890',
      dec: '1.50',
      dbl: '0.1',
      nan: 'nan',
      t: 'true',
      f: 'false',
      d: '2024-03-05',
      ts: '2024-03-05T01:02:03.25',
      tstz: '2024-03-04T23:02:03Z',
      list: '[1,2,null]',
      st: '{"a":"x\\"y","b":null}',
      m: '{"k":"v\\tw"}',
      u: '{"num":2}',
      arr: '[1,2]',
      texts: '["a\\tb",null,""]',
      js: '{"j": [1]}',
      tm: '01:02:03',
      iv: '1 day',
      n: undefined,
      e: '',
    });
    expect(Object.values(nulls!.values).every((v) => v === undefined)).toBe(true);
  });

  it('streams many rows in batches, with values and rows cut anywhere by the chunks', async () => {
    // Multi-byte characters, quotes and newlines at every offset, and one value longer than several chunks.
    const sql = `select range as id, repeat('é😀"\t' || chr(10) || 'ab', (range % 37)::integer) || range::varchar as v,
      case when range = 5000 then repeat('日"' || chr(10), 100000) end as long from range(20000) order by id`;
    const records = await readBoth(sql, ['id', 'v', 'long']);
    expect(records).toHaveLength(20_000);
    expect(records[5000]!.values['long']).toBe('日"\n'.repeat(100_000));
    for (const transport of TRANSPORTS) expect((await readAll(sql, ['id', 'v', 'long'], transport)).batches, transport).toBeGreaterThan(5);
  });

  it('reads a query with no rows as no batches, both ways', async () => {
    const [piped, filed] = [await readAll('select 1 as a where false', ['a'], 'auto'), await readAll('select 1 as a where false', ['a'], 'file')];
    expect([piped.batches, filed.batches]).toEqual([0, 0]);
    expect(filed.fingerprint).toBe(piped.fingerprint);
  });

  it('reads rows when no column is mapped', async () => {
    const records = await readBoth('select range as a from range(3)', []);
    expect(records).toEqual([1, 2, 3].map((line) => ({ line, values: {} })));
  });

  it("DuckDB's CSV writer writes NULL as nothing and the empty string quoted, as the parser expects", async () => {
    const file = path.join(data, 'writer.tsv');
    await duckRun(`copy (select NULL::varchar, ''::varchar, 'a"b', '#c', ' d ', 'e' || chr(10)) to '${file}' (format csv, header false, delimiter '\t')`);
    expect(readFileSync(file, 'utf8')).toBe('\t""\t"a""b"\t"#c"\t d \t"e\n"\n');
  });
});

describe('failures and early stops', { timeout: 120_000 }, () => {
  // Both ways wait for the COPY's answer: the rows before the failure were written, and are not the segment.
  it('a failure late in the rows is an error, never a short segment', async () => {
    const sql = "select (case when range = 500000 then 'bad' else range::varchar end)::integer as a from range(1000000)";
    for (const transport of TRANSPORTS) {
      const { error, rows } = await readError(sql, ['a'], transport);
      expect(error, transport).toBeInstanceOf(SegmentError);
      expect(rows).toBeLessThan(1_000_000);
      expect((error as Error).message).toMatch(/^acsync\.yaml:7: export 'x': the segment query failed: Conversion Error: Could not convert string 'bad' to INT32/);
    }
  });

  it('a CSV file with a bad row near its end fails the read of files', async () => {
    writeFileSync(path.join(data, 'late.csv'), `Email,Tier\n${Array.from({ length: 200_000 }, (_, i) => `p${i}@contoso.example,${i}`).join('\n')}\nlast@contoso.example,1,extra\n`);
    for (const transport of TRANSPORTS) {
      const { error, rows } = await readError("select * from read_csv('late.csv')", ['Email', 'Tier'], transport, { kind: 'files' });
      expect(error, transport).toBeInstanceOf(SegmentError);
      expect(rows).toBeLessThan(200_001);
      expect((error as Error).message).toMatch(/cannot read the query: Invalid Input Error: CSV Error on Line: 200002/);
    }
  });

  it('a query that fails before DuckDB creates its file is an error, not a wait', async () => {
    // A parameter prepares (the check) but cannot run: the COPY fails while binding, before it creates its file,
    // and the reader, waiting for the file, is let go.
    const messages: string[] = [];
    for (const transport of TRANSPORTS) {
      const { error } = await readError("select Email from (select 'ana@contoso.example' as Email) where Email <> ?", ['Email'], transport);
      expect(error, transport).toBeInstanceOf(SegmentError);
      messages.push((error as Error).message);
    }
    expect(messages[0]).toMatch(/the segment query failed: Invalid Input Error: .*parameters/);
    expect(messages[1]).toBe(messages[0]);
  });

  it('an error raised as the query runs is the same error both ways', async () => {
    const messages: string[] = [];
    for (const transport of TRANSPORTS) {
      const { error } = await readError("select error('boom') as a from range(10)", ['a'], transport);
      expect(error, transport).toBeInstanceOf(SegmentError);
      messages.push((error as Error).message);
    }
    expect(messages[0]).toMatch(/the segment query failed: Invalid Input Error: boom/);
    expect(messages[0]).toBe(messages[1]);
  });

  it('stops after the first batch without reading the rest, then reads everything again', async () => {
    const sql = "select range as id, 'row ' || range::varchar as v from range(2000000)";
    for (const transport of TRANSPORTS) {
      const src = source(sql, transport);
      try {
        let seen = 0;
        for await (const batch of src.records(['id', 'v'])) {
          seen += batch.length;
          break;
        }
        expect(seen).toBeGreaterThan(0);
        expect(src.origin().rowsRead).toBeLessThan(2_000_000);
        let all = 0;
        let last: SegmentRecord | undefined;
        for await (const batch of src.records(['id', 'v'])) {
          all += batch.length;
          last = batch.at(-1);
        }
        expect(all, transport).toBe(2_000_000);
        expect(last).toEqual({ line: 2_000_000, values: { id: '1999999', v: 'row 1999999' } });
      } finally {
        await src.close();
      }
    }
  });

  it('close() ends a read whose consumer dropped it without ending the loop', async () => {
    const src = source('select range as id from range(1000000000)', 'auto');
    const rows = src.records(['id'])[Symbol.asyncIterator]();
    expect((await rows.next()).done).toBe(false);
    await src.close();
  });

  it.each(TRANSPORTS)('spills only into the read\'s private folder, never into the working directory (%s)', async (transport) => {
    // DuckDB's default temp_directory for an in-memory database is `.tmp` in the working directory.
    const r = await readAll("select current_setting('temp_directory') as dir", ['dir'], transport);
    const dir = r.records[0]!.values['dir']!;
    expect(path.isAbsolute(dir), dir).toBe(true);
    expect(path.relative(tmp, dir)).toMatch(/^acsync-duckdb-[^/]+\/spill$/);
    expect(existsSync(path.join(data, '.tmp'))).toBe(false);
  });

  it('close() ends a read through a file, during the COPY and during the read', async () => {
    // During the COPY: the consumer still waits for its first batch, which the interrupted COPY turns into an error.
    const endless = source('select range as id from range(1000000000)', 'file');
    const first = endless
      .records(['id'])
      [Symbol.asyncIterator]()
      .next()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await copyWriting();
    await endless.close();
    expect(await first).toBeInstanceOf(SegmentError);
    expect(((await first) as Error).message).toMatch(/Interrupt/i);
    // During the read: the file is written, the consumer holds a batch and never asks for the next.
    const src = source("select range as id, 'row ' || range::varchar as v from range(1000000)", 'file');
    const rows = src.records(['id', 'v'])[Symbol.asyncIterator]();
    expect((await rows.next()).done).toBe(false);
    expect(output()).toBe('file');
    await src.close();
  });

  it('the statement timeout stops a query that has not written a row yet, and one that is streaming', async () => {
    for (const transport of TRANSPORTS) {
      const quiet = await readError('select sum(range) as s from range(100000000000)', ['s'], transport, { statementTimeoutMs: 300 });
      expect(quiet.error, transport).toBeInstanceOf(SegmentError);
      expect((quiet.error as Error).message).toMatch(/ran longer than the statement timeout \(0s\) and was stopped/);
      // Rows flow while the clock runs out: the default way reads up to where DuckDB stopped, and DuckDB's answer
      // says why. The file way is still in its COPY, which is interrupted the same way.
      const src = source("select range as id, 'row ' || range::varchar as v from range(1000000000)", transport, { statementTimeoutMs: 500 });
      let rows = 0;
      const error = await (async () => {
        try {
          for await (const batch of src.records(['id', 'v'])) rows += batch.length;
        } catch (err) {
          return err;
        } finally {
          await src.close();
        }
      })();
      expect(error, transport).toBeInstanceOf(SegmentError);
      expect((error as Error).message).toMatch(/statement timeout/);
      if (transport === 'auto') expect(rows).toBeGreaterThan(0);
      else expect(rows).toBe(0);
    }
  });

  it('the statement timeout stops the read of a file written in time', async () => {
    // The COPY takes a fraction of the 4 s; the consumer then dawdles past the deadline on its first batch.
    const src = source("select range as id, 'row ' || range::varchar as v from range(1000000)", 'file', { statementTimeoutMs: 4000 });
    const started = Date.now();
    let rows = 0;
    const error = await (async () => {
      try {
        for await (const batch of src.records(['id', 'v'])) {
          if (rows === 0) await sleep(started + 4500 - Date.now());
          rows += batch.length;
        }
      } catch (err) {
        return err;
      } finally {
        await src.close();
      }
    })();
    expect(error).toBeInstanceOf(SegmentError);
    expect((error as Error).message).toMatch(/ran longer than the statement timeout \(4s\) and was stopped/);
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(1_000_000);
  });

  it('the abort signal stops a streaming query', async () => {
    for (const transport of TRANSPORTS) {
      const src = source('select range as id from range(1000000000)', transport);
      const stop = new AbortController();
      let rows = 0;
      const error = await (async () => {
        try {
          // The default way's rows come at once; the file way is stopped in its COPY, before its first row.
          if (transport === 'file') void copyWriting().then(() => stop.abort());
          for await (const batch of src.records(['id'], stop.signal)) {
            rows += batch.length;
            stop.abort();
          }
        } catch (err) {
          return err;
        } finally {
          await src.close();
        }
      })();
      expect(error, transport).toBeInstanceOf(SegmentError);
      expect((error as Error).message).toMatch(/Interrupt/i);
      expect(rows).toBeLessThan(1_000_000_000);
    }
  });

  it('a read stopped by the signal, in the COPY or in the file, leaves the source to read again', async () => {
    const sql = "select range as id, md5(range::varchar) as v from range(3000000)";
    const src = source(sql, 'file');
    try {
      for (const when of ['copy', 'read'] as const) {
        const stop = new AbortController();
        if (when === 'copy') void copyWriting().then(() => stop.abort());
        let rows = 0;
        const error = await (async () => {
          try {
            for await (const batch of src.records(['id', 'v'], stop.signal)) {
              rows += batch.length;
              stop.abort();
            }
          } catch (err) {
            return err;
          }
        })();
        expect(error, when).toBeInstanceOf(SegmentError);
        expect((error as Error).message).toMatch(/the segment query failed: INTERRUPT Error: Interrupted!/);
        if (when === 'copy') expect(rows).toBe(0);
        else expect(rows).toBeGreaterThan(0);
        expect(readdirSync(tmp), when).toEqual([]);
        let all = 0;
        for await (const batch of src.records(['id', 'v'])) all += batch.length;
        expect(all, when).toBe(3_000_000);
      }
    } finally {
      await src.close();
    }
  });
});
