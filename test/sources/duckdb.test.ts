/**
 * Segments read through the embedded DuckDB, end to end through the real CLI against the emulator: Parquet
 * partitions by glob and by folder, gzip'd CSV and NDJSON, and SQL queries, with the same normalisation, skips
 * and duplicate rule as CSV rows, a plan that says where the rows came from, and saved plans that refuse when
 * the data changed.
 */
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { listMembers, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { duck, lineOf, writeConfig, writeParquet } from './helpers.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

/** Custom fields in the emulator, related to every list (relid 0), as a user would set them up in ActiveCampaign. */
async function addFields(tags: string[]): Promise<void> {
  const headers = { 'Api-Token': emulator.apiKey, 'content-type': 'application/json' };
  for (const tag of tags) {
    const r = (await (await fetch(`${emulator.url}/api/3/fields`, { method: 'POST', headers, body: JSON.stringify({ field: { type: 'text', title: tag, perstag: tag } }) })).json()) as { field: { id: string } };
    await fetch(`${emulator.url}/api/3/fieldRels`, { method: 'POST', headers, body: JSON.stringify({ fieldRel: { field: r.field.id, relid: 0 } }) });
  }
}

describe('Parquet, globs and folders through DuckDB', { timeout: 120_000 }, () => {
  it('plans a glob of Parquet partitions in name order, applies it, then plans no changes', async () => {
    await writeParquet(ws, 'lake/vip/part-0002.parquet', [
      ['cy@contoso.example', 'Cy', null, 2],
      ['ANA@contoso.example', 'Ana again', null, 9],
    ]);
    await writeParquet(ws, 'lake/vip/part-0001.parquet', [
      ['ana@contoso.example', 'Ana', 'Silva', 3],
      ['not-an-email', 'Bad', null, null],
      ['ben@contoso.example', null, 'Okafor', null],
    ]);
    await writeConfig(ws, [{ name: 'vip', segment: "'lake/vip/*.parquet'", listId: 1 }]);
    const plan = await ws.cli(['plan', '--detailed-exitcode', '--no-mask-emails']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 3 to create');
    expect(unwrapped(plan.stdout)).toMatch(/segment: duckdb, 2 files \(lake\/vip\/part-0001\.parquet, lake\/vip\/part-0002\.parquet\), 5 rows read/);
    // Rows are numbered in stream order (part-0001 first): the invalid email is row 2, the duplicate row 5.
    expect(plan.stdout).toMatch(/row 2 +not-an-email +invalid email/);
    expect(plan.stdout).toMatch(/row 5 +ANA@contoso\.example +duplicate/);

    const apply = await ws.cli(['apply', '--auto-approve']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const members = await listMembers(emulator, 1);
    expect(members.map((m) => m.email).sort()).toEqual(['ana@contoso.example', 'ben@contoso.example', 'cy@contoso.example']);
    const ana = members.find((m) => m.email === 'ana@contoso.example')!;
    // The first row wins; an INTEGER becomes its digits; NULL is no value, never "null".
    expect(ana).toMatchObject({ firstName: 'Ana', lastName: 'Silva', fields: { LOYALTY_TIER: '3' } });
    const ben = members.find((m) => m.email === 'ben@contoso.example')!;
    expect(ben.firstName).toBe('');
    expect(JSON.stringify(members)).not.toContain('null');

    const again = await ws.cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('No changes');
  });

  it('reads a folder of partitions (Hive-style subfolders) and gzip\'d CSV and NDJSON files', async () => {
    await writeParquet(ws, 'lake/loyal/year=2024/a.parquet', [['ana@contoso.example', 'Ana', null, 1]]);
    await writeParquet(ws, 'lake/loyal/year=2025/a.parquet', [['ben@contoso.example', 'Ben', null, 2]]);
    await ws.write('lake/loyal/_SUCCESS', '');
    await writeFile(`${ws.dir}/seg.csv.gz`, gzipSync('Email,First,Last,Tier\r\ncy@contoso.example,"Cy, Jr",,00123\r\n'));
    await writeFile(`${ws.dir}/seg.ndjson.gz`, gzipSync('{"Email":"di@contoso.example","First":"Di","Tier":true}\n{"Email":"ed@contoso.example","First":null,"Last":"Eze","Tier":1.5}\n'));
    await writeConfig(ws, [
      { name: 'loyal', segment: 'lake/loyal', listId: 1 },
      { name: 'csvgz', segment: 'seg.csv.gz', listId: 2 },
      { name: 'ndgz', segment: 'seg.ndjson.gz', listId: 3 },
    ]);
    const apply = await ws.cli(['apply', '--auto-approve', '--no-mask-emails']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(unwrapped(apply.stdout)).toMatch(/segment: duckdb, 2 files \(lake\/loyal\/year=2024\/a\.parquet, lake\/loyal\/year=2025\/a\.parquet\)/);
    expect((await listMembers(emulator, 1)).map((m) => m.email)).toEqual(['ana@contoso.example', 'ben@contoso.example']);
    // CSV cells stay text (no number guessing: 00123 keeps its zeros); the quoted comma survives gzip.
    expect(await listMembers(emulator, 2)).toMatchObject([{ email: 'cy@contoso.example', firstName: 'Cy, Jr', fields: { LOYALTY_TIER: '00123' } }]);
    const nd = await listMembers(emulator, 3);
    expect(nd).toMatchObject([{ email: 'di@contoso.example', fields: { LOYALTY_TIER: 'true' } }, { email: 'ed@contoso.example', firstName: '', fields: { LOYALTY_TIER: '1.5' } }]);
    expect((await ws.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a saved plan refuses to apply once the Parquet data changed', async () => {
    const file = await writeParquet(ws, 'lake/vip.parquet', [['ana@contoso.example', 'Ana', null, 1]]);
    await writeConfig(ws, [{ name: 'vip', segment: 'lake/vip.parquet', listId: 1 }]);
    expect((await ws.cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    await duck(ws.dir, `copy (select 'ana@contoso.example' as "Email", 'Ana' as "First", null as "Last", 2 as "Tier") to '${file}' (format parquet)`);
    const r = await ws.cli(['apply', 'plan.json', '--auto-approve']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/segment.*vip.*changed/);
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });
});

describe('SQL in the embedded DuckDB', { timeout: 120_000 }, () => {
  it('runs a query over files beside the config, converting types as documented', async () => {
    await writeParquet(ws, 'lake/profiles/p1.parquet', [
      ['ana@contoso.example', 'Ana', 'Silva', 9],
      ['ben@contoso.example', 'Ben', null, 1],
    ]);
    const query = "select \"Email\", \"First\", \"Last\", \"Tier\" > 5 as vip, date '2024-03-05' as since, timestamptz '2024-03-05 01:02:03+02' as seen, 1.50::decimal(5,2) as score from read_parquet('lake/profiles/*.parquet') where \"Tier\" > 0 order by \"Email\"";
    await writeConfig(ws, [
      {
        name: 'churn',
        segment: `\n      query: >-\n        ${query}`,
        listId: 1,
        mapping: ['      email: Email', '      firstName: First', '      lastName: Last', '      fields:', '        LOYALTY_TIER: vip', '        SINCE: since', '        SEEN: seen', '        SCORE: score'],
      },
    ]);
    await addFields(['SINCE', 'SEEN', 'SCORE']);
    const plan = await ws.cli(['plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const done = plan.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; plan?: { source?: Record<string, unknown> } }).find((e) => e.type === 'plan:done');
    expect(done?.plan?.source).toMatchObject({ engine: 'duckdb', queryHash: expect.stringMatching(/^[0-9a-f]{16}$/), rowsRead: 2 });
    const apply = await ws.cli(['apply', '--auto-approve']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const [ana, ben] = await listMembers(emulator, 1);
    expect(ana!.fields).toEqual({ LOYALTY_TIER: 'true', SINCE: '2024-03-05', SEEN: '2024-03-04T23:02:03Z', SCORE: '1.50' });
    expect(ben!.fields.LOYALTY_TIER).toBe('false');
    expect(ben!.lastName).toBe('');
    expect((await ws.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a syntax error is reported at the line of query:, a missing email column at mapping.email; other exports still plan', async () => {
    await writeParquet(ws, 'p.parquet', [['ana@contoso.example', 'Ana', null, 1]]);
    const yaml = await writeConfig(ws, [
      { name: 'broken', segment: "\n      query: selec \"Email\" from 'p.parquet'", listId: 1 },
      { name: 'noemail', segment: "\n      query: select \"First\", \"Last\", \"Tier\" from 'p.parquet'", listId: 2 },
      { name: 'fine', segment: "\n      query: select * from 'p.parquet'", listId: 3 },
    ]);
    const text = await import('node:fs/promises').then((f) => f.readFile(yaml, 'utf8'));
    const r = await ws.cli(['apply', '--auto-approve']);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`acsync.yaml:${lineOf(text, 'selec "Email"')}`);
    expect(unwrapped(out)).toMatch(/export 'broken': the segment query failed: Parser Error: syntax error at or near "selec"/);
    const emailLine = text.split('\n').findIndex((l, i) => i > lineOf(text, 'select "First"') && l.includes('email: Email')) + 1;
    expect(out).toContain(`acsync.yaml:${emailLine}`);
    expect(unwrapped(out)).toMatch(/export 'noemail': the query has no column Email \(mapping\.email\)/);
    // The export that planned is shown; apply writes nothing while any export failed to plan (cli/commands/apply.ts).
    expect(r.stdout).toMatch(/fine → list 3[\s\S]*create 1/);
    for (const list of [1, 2, 3]) expect(await listMembers(emulator, list)).toHaveLength(0);
    const only = await ws.cli(['apply', '--auto-approve', '--export', 'fine']);
    expect(only.code, only.stdout + only.stderr).toBe(0);
    expect(await listMembers(emulator, 3)).toHaveLength(1);
  });

  it('validate --connect binds the query without running it and checks the mapped columns', async () => {
    await writeParquet(ws, 'p.parquet', [['ana@contoso.example', 'Ana', null, 1]]);
    const yaml = await writeConfig(ws, [
      { name: 'q', segment: "\n      query: select \"Email\", \"First\" from 'p.parquet'", listId: 1 },
      { name: 'files', segment: "'*.parquet'", listId: 2, mapping: ['      email: Email', '      phone: Phone'] },
    ]);
    const text = await import('node:fs/promises').then((f) => f.readFile(yaml, 'utf8'));
    expect((await ws.cli(['validate'])).code).toBe(0);
    const r = await ws.cli(['validate', '--connect']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`acsync.yaml:${lineOf(text, 'lastName: Last')}:17 error exports.q.mapping.lastName: the segment has no column Last; it has 'Email', 'First'`);
    expect(r.stdout).toContain(`exports.files.mapping.phone: the segment has no column Phone; it has 'Email', 'First', 'Last', 'Tier'`);
    expect(r.stdout).not.toContain('exports.q.mapping.email');
  });
});
