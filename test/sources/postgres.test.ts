/**
 * Segments from a real PostgreSQL through the real CLI against the emulator: streamed with COPY TO STDOUT (text
 * format: escapes and NULL as PostgreSQL writes them), typed values converted as documented, saved plans that
 * refuse when rows changed, and errors that say what to do (refused, bad password, syntax error at the line of
 * query:, missing email column before any ActiveCampaign request, statement timeout, the server ending the
 * session mid-stream), with the URL and the password in no output, event, plan or snapshot.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { readDesiredContacts } from '../../engine/segment/desired.ts';
import { PostgresSource } from '../../engine/segment/sources/postgres.ts';
import { listMembers, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { lineOf, writeConfig } from './helpers.ts';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './postgres-server.ts';

let server: TestPostgres;
let admin: pg.Client;
let emulator: EmulatorHandle;
let ws: Workspace;
const SCHEMA = `acsync_t${process.pid}`;

/** Every form in which the password or URL could leak. */
function secretForms(url: string): string[] {
  const password = decodeURIComponent(new URL(url).password);
  const raw = [url, password, encodeURIComponent(password), new URL(url).password];
  return [...new Set([...raw, ...raw.map((s) => Buffer.from(s).toString('base64'))])];
}

function expectNoSecret(text: string, url: string): void {
  for (const s of secretForms(url)) expect(text.includes(s), `a form of the database secret appears: ${s.slice(0, 3)}…`).toBe(false);
}

async function filesText(dir: string): Promise<string> {
  let out = '';
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out += await readFile(path.join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

const WAREHOUSE = ['  warehouse:', '    type: postgres', '    url: ${WAREHOUSE_URL}'];

describe.skipIf(!postgresAvailable)('PostgreSQL segments', { timeout: 120_000 }, () => {
  const setup = withEmulatorWorkspace({ seedLists: 8, seedFields: ['LOYALTY_TIER', 'VIP', 'SINCE', 'SEEN', 'SCORE', 'NOTE'] });
  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await admin.query(`create table ${SCHEMA}.loyal_customers (id int primary key, email text, first_name text, last_name text, tier int, vip boolean, since date, seen timestamptz, score numeric(6,2), note text)`);
    await admin.query(`insert into ${SCHEMA}.loyal_customers values
      (1, 'ana@contoso.example', 'Ana', 'Silva', 3, true, '2024-03-05', '2024-03-05 01:02:03+02', 1.50, null),
      (2, 'ben@contoso.example', null, 'Okafor', null, false, null, null, null, 'null'),
      (3, 'not-an-email', 'Bad', null, 1, null, null, null, null, null),
      (4, 'ANA@contoso.example', 'Ana again', null, 9, null, null, null, null, null)`);
  });
  afterAll(async () => {
    await admin?.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {});
    await admin?.end();
    await server?.stop();
  });
  beforeEach(() => {
    ({ emulator, ws } = setup);
  });

  const env = (): NodeJS.ProcessEnv => ({ WAREHOUSE_URL: server.url });
  const loyal = (): Parameters<typeof writeConfig>[1][number] => ({
    name: 'loyal',
    segment: `\n      database: warehouse\n      query: select email, first_name, last_name, tier, vip, since, seen, score, note from ${SCHEMA}.loyal_customers order by id`,
    listId: 1,
    mapping: ['      email: email', '      firstName: first_name', '      lastName: last_name', '      fields:', '        LOYALTY_TIER: tier', '        VIP: vip', '        SINCE: since', '        SEEN: seen', '        SCORE: score', '        NOTE: note'],
  });

  it('plans, applies and then plans no changes; values typed as documented; no secret anywhere', async () => {
    await writeConfig(ws, [loyal()], WAREHOUSE);
    const plan = await ws.cli(['plan', '--detailed-exitcode', '--no-mask-emails', '--out', 'plan.json'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 2 to create');
    expect(plan.stdout).toMatch(/segment: postgres database warehouse, query [0-9a-f]{16}, 4 rows read/);
    expect(plan.stdout).toMatch(/row 3 +not-an-email +invalid email/);
    expect(plan.stdout).toMatch(/row 4 +ANA@contoso\.example +duplicate/);

    const json = await ws.cli(['apply', '--auto-approve', '--json'], { env: env() });
    expect(json.code, json.stdout + json.stderr).toBe(0);
    const [ana, ben] = await listMembers(emulator, 1);
    expect(ana).toMatchObject({ email: 'ana@contoso.example', firstName: 'Ana', lastName: 'Silva' });
    expect(ana!.fields).toEqual({ LOYALTY_TIER: '3', VIP: 'true', SINCE: '2024-03-05', SEEN: '2024-03-04T23:02:03Z', SCORE: '1.50' });
    // NULL is no value; the text 'null' in a column is a value like any other.
    expect(ben).toMatchObject({ firstName: '', fields: { VIP: 'false', NOTE: 'null' } });

    const again = await ws.cli(['plan', '--detailed-exitcode'], { env: env() });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('No changes');
    expectNoSecret(plan.stdout + plan.stderr + json.stdout + json.stderr + again.stdout + again.stderr + (await filesText(ws.dir)), server.url);
  });

  it('COPY text keeps tabs, line breaks, backslashes and a literal \\N as they are; a repeated column name maps its first', async () => {
    await admin.query(`create table ${SCHEMA}.awkward (id int, email text, note text)`);
    try {
      await admin.query(`insert into ${SCHEMA}.awkward values (1, 'tab@contoso.example', E'a\\tb'), (2, 'nl@contoso.example', E'line 1\\nline 2\\r\\n'), (3, 'bs@contoso.example', E'C:\\\\temp\\\\N'), (4, 'n@contoso.example', E'\\\\N'), (5, 'null@contoso.example', null), (6, 'uni@contoso.example', 'Zoë Łęcka – 東京')`);
      await writeConfig(
        ws,
        [{ name: 'awkward', segment: `\n      database: warehouse\n      query: select email, note, 'second' as note from ${SCHEMA}.awkward order by id`, listId: 1, mapping: ['      email: email', '      fields:', '        NOTE: note'] }],
        WAREHOUSE,
      );
      const r = await ws.cli(['apply', '--auto-approve'], { env: env() });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const notes = Object.fromEntries((await listMembers(emulator, 1)).map((m) => [m.email, m.fields['NOTE']]));
      expect(notes).toEqual({
        'tab@contoso.example': 'a\tb',
        // The normaliser trims values (as for every source): the trailing CRLF goes, the inner one stays.
        'nl@contoso.example': 'line 1\nline 2',
        'bs@contoso.example': 'C:\\temp\\N',
        'n@contoso.example': '\\N',
        'null@contoso.example': undefined,
        'uni@contoso.example': 'Zoë Łęcka – 東京',
      });
    } finally {
      await admin.query(`drop table ${SCHEMA}.awkward`);
    }
  });

  it('rows split across the chunks COPY arrives in, multi-byte characters included, come out whole and in order', async () => {
    // ~60 bytes a row of 2- to 4-byte characters: 30,000 rows are some thirty 64 KB chunks, each ending mid-row.
    const query = "select 'zoë' || g || '@contoso.example' as email, 'Łęcka 東京 🎉 ' || repeat('é', g % 7) as note from generate_series(1, 30000) g";
    const source = new PostgresSource({ label: 'chunks', site: { exportName: 'chunks', configFile: 'acsync.yaml', mappingLines: new Map() }, query, database: 'warehouse', urlEnv: 'WAREHOUSE_URL', url: server.url, statementTimeoutMs: 60_000 });
    try {
      let n = 0;
      for await (const batch of source.records(['email', 'note'])) {
        for (const r of batch) {
          n++;
          expect(r.line).toBe(n);
          expect(r.values).toEqual({ email: `zoë${n}@contoso.example`, note: `Łęcka 東京 🎉 ${'é'.repeat(n % 7)}` });
        }
      }
      expect(n).toBe(30_000);
    } finally {
      await source.close();
    }
  });

  it('a read stopped mid-stream (the profile limit) leaves no COPY behind: the same source reads again, every row', async () => {
    const query = "select 'u' || g || '@contoso.example' as email from generate_series(1, 5000) g";
    const source = new PostgresSource({ label: 'limit', site: { exportName: 'limit', configFile: 'acsync.yaml', mappingLines: new Map() }, query, database: 'warehouse', urlEnv: 'WAREHOUSE_URL', url: server.url, statementTimeoutMs: 60_000 });
    const mapping = { email: 'email', fields: {} };
    try {
      const drain = async (maxProfiles?: number): Promise<number> => {
        let n = 0;
        for await (const batch of readDesiredContacts(source, mapping, maxProfiles === undefined ? {} : { maxProfiles })) n += batch.length;
        return n;
      };
      await expect(drain(10)).rejects.toThrow(/more than 10 profiles \(profile 11 is at row 11\)/);
      expect(await drain()).toBe(5000);
      expect(source.origin()).toMatchObject({ engine: 'postgres', rowsRead: 5000 });
    } finally {
      await source.close();
    }
  });

  it('a mapped column the query lacks stops the plan before any request to ActiveCampaign (the query is described, not run)', async () => {
    const yaml = await writeConfig(
      ws,
      [{ name: 'typo', segment: `\n      database: warehouse\n      query: select email, (100 / (id - id))::text as boom from ${SCHEMA}.loyal_customers`, listId: 1, mapping: ['      email: email', '      firstName: first_name'] }],
      WAREHOUSE,
    );
    const before = emulator.stats().requests;
    const r = await ws.cli(['plan'], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`acsync.yaml:${lineOf(await readFile(yaml, 'utf8'), 'firstName: first_name')}`);
    expect(unwrapped(r.stdout + r.stderr)).toMatch(/has no column first_name \(mapping\.firstName\); it has 'email', 'boom'/);
    // Run, the query would fail on its first row (division by zero): it was only described.
    expect(r.stdout + r.stderr).not.toContain('division by zero');
    expect(emulator.stats().requests).toBe(before);
  });

  it('a saved plan refuses to apply once a row changed in the database', async () => {
    await writeConfig(ws, [loyal()], WAREHOUSE);
    expect((await ws.cli(['plan', '--out', 'plan.json'], { env: env() })).code).toBe(0);
    await admin.query(`update ${SCHEMA}.loyal_customers set tier = 4 where id = 1`);
    try {
      const r = await ws.cli(['apply', 'plan.json', '--auto-approve'], { env: env() });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/segment.*loyal.*changed/);
      expect(await listMembers(emulator, 1)).toHaveLength(0);
    } finally {
      await admin.query(`update ${SCHEMA}.loyal_customers set tier = 3 where id = 1`);
    }
  });

  it('errors say what to do, at the right line, write nothing, and never show the URL or password', async () => {
    const u = new URL(server.url);
    const badPassword = new URL(server.url);
    badPassword.password = 'wrong-s3cret';
    const refused = new URL(server.url);
    refused.port = '1';
    const slow = `select 'u' || g || '@contoso.example' as email from generate_series(1, 40000) g where pg_sleep(0.0005) is not null`;
    const yaml = await writeConfig(
      ws,
      [
        { name: 'refused', segment: '\n      database: down\n      query: select 1 as email', listId: 1, mapping: ['      email: email'] },
        { name: 'badlogin', segment: '\n      database: badpass\n      query: select 1 as email', listId: 1, mapping: ['      email: email'], extra: ['    enabled: true'] },
        { name: 'syntax', segment: '\n      database: warehouse\n      query: |\n        select email,\n        from analytics.x', listId: 2, mapping: ['      email: email'] },
        { name: 'noemail', segment: `\n      database: warehouse\n      query: select first_name from ${SCHEMA}.loyal_customers`, listId: 3, mapping: ['      email: email_address'] },
        { name: 'timeout', segment: '\n      database: quick\n      query: select pg_sleep(3)::text as email', listId: 3, mapping: ['      email: email'], extra: ['    enabled: true'] },
        { name: 'dies', segment: `\n      database: warehouse\n      query: ${slow}`, listId: 4, mapping: ['      email: email'] },
        { name: 'fine', segment: `\n      database: warehouse\n      query: select email from ${SCHEMA}.loyal_customers where id = 1`, listId: 5, mapping: ['      email: email'] },
      ],
      [...WAREHOUSE, '  down:', '    type: postgres', '    url: ${DOWN_URL}', '  badpass:', '    type: postgres', '    url: ${BADPASS_URL}', '  quick:', '    type: postgres', '    url: ${WAREHOUSE_URL}', '    statementTimeout: 1s'],
    );
    // Two exports on list 1 would be refused by the config rules: give badlogin its own list.
    await ws.write('acsync.yaml', (await readFile(yaml, 'utf8')).replace(/(badlogin:[\s\S]*?listId: )1/, '$16').replace(/(timeout:[\s\S]*?listId: )3/, '$17'));
    const text = await readFile(yaml, 'utf8');
    const running = ws.cli(['plan', '--no-mask-emails', '--json'], { env: { ...env(), DOWN_URL: refused.href, BADPASS_URL: badPassword.href } });
    // The server ends the session that streams `dies` while it reads (as a restart or an admin would).
    let killed = false;
    for (let i = 0; i < 200 && !killed; i++) {
      const r = await admin.query("select pid from pg_stat_activity where application_name = 'acsync' and query like '%generate_series(1, 40000)%'");
      if (r.rows.length > 0) {
        await admin.query('select pg_terminate_backend($1)', [r.rows[0].pid]);
        killed = true;
      } else await new Promise((res) => setTimeout(res, 50));
    }
    const r = await running;
    expect(killed, r.stdout.slice(-3000)).toBe(true);
    expect(r.code, r.stdout.slice(-3000)).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: { exports: Array<{ export: string; error?: { message: string; hint?: string; line?: number } }> } });
    const result = events.find((e) => e.type === 'result')?.result;
    const errors = new Map((result?.exports ?? []).filter((x) => x.error !== undefined).map((x) => [x.export, x.error!]));
    const find = (name: string): { message: string; hint?: string; line?: number } => {
      expect(errors.get(name), `${name}: ${JSON.stringify(result).slice(0, 3000)}`).toBeDefined();
      return errors.get(name)!;
    };
    expect(find('refused').message).toMatch(/cannot connect to database 'down' at 127\.0\.0\.1:1: connection refused/);
    expect(find('refused').hint).toMatch(/\$DOWN_URL/);
    expect(find('badlogin').message).toMatch(/database 'badpass' refused the login: password authentication failed for user "acsync"/);
    expect(find('badlogin').hint).toMatch(/user and password in \$BADPASS_URL/);
    const syntax = find('syntax');
    expect(syntax.message).toMatch(/syntax error at or near "from" \(line 2, column 1 of the query\)/);
    expect(syntax.line).toBe(lineOf(text, 'query: |'));
    const noemail = find('noemail');
    expect(noemail.message).toMatch(/has no column email_address \(mapping\.email\); it has 'first_name'/);
    expect(noemail.line).toBe(lineOf(text, 'email: email_address'));
    expect(find('timeout').message).toMatch(/longer than the statement timeout \(1s\)/);
    expect(find('dies').message).toMatch(/connection to database 'warehouse' was lost while reading the segment/);
    expect(find('dies').hint).toMatch(/nothing was sent/);
    expect(errors.has('fine')).toBe(false);
    expectNoSecret(r.stdout + r.stderr, server.url);
    expectNoSecret(r.stdout + r.stderr, badPassword.href);
    expect(u.password).not.toBe('');
    for (const list of [1, 2, 3, 4, 5, 6, 7]) expect(await listMembers(emulator, list)).toHaveLength(0);
  });

  it('validate stays offline; validate --connect prepares each query and reports a missing column at its mapping line', async () => {
    const yaml = await writeConfig(
      ws,
      [
        { name: 'loyal', segment: `\n      database: warehouse\n      query: select email, first_name from ${SCHEMA}.loyal_customers`, listId: 1, mapping: ['      email: email', '      firstName: first_name', '      lastName: surname'] },
        { name: 'typo', segment: `\n      database: warehouse\n      query: select email from ${SCHEMA}.no_such_table`, listId: 2, mapping: ['      email: email'] },
      ],
      WAREHOUSE,
    );
    const text = await readFile(yaml, 'utf8');
    // No database variable, no server needed: PR checks have no credentials. (Counting the server's connections
    // would say nothing more, and other test files share this server.)
    const offline = await ws.cli(['validate'], { env: { WAREHOUSE_URL: '' } });
    expect(offline.code, offline.stdout).toBe(0);
    const r = await ws.cli(['validate', '--connect'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`acsync.yaml:${lineOf(text, 'lastName: surname')}:17 error exports.loyal.mapping.lastName: the segment has no column surname; it has 'email', 'first_name'`);
    expect(r.stdout).toMatch(new RegExp(`acsync.yaml:${lineOf(text, 'no_such_table')}:\\d+ error exports.typo.segment: .*relation "${SCHEMA}.no_such_table" does not exist`));
    expectNoSecret(r.stdout + r.stderr, server.url);
  });
});
