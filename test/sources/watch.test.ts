/**
 * Watch mode with segment sources, real everything (chokidar, DuckDB, PostgreSQL, the emulator): a DuckDB query
 * over Parquet files re-runs when a partition is added; a database query with `poll:` re-reads the table and runs
 * only when its rows changed.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { loadConfig } from '../../engine/config/load.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import { startWatch, type WatchSession } from '../../engine/watch/session.ts';
import { listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { writeConfig, writeParquet } from './helpers.ts';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './postgres-server.ts';

let emulator: EmulatorHandle;
let ws: Workspace;
let session: WatchSession | undefined;
const events: WatchSessionEvent[] = [];

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  events.length = 0;
});
afterEach(async () => {
  await session?.stop({ graceMs: 2_000 });
  session = undefined;
});

async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${events.map((e) => e.type).join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(env: NodeJS.ProcessEnv = {}): Promise<WatchSession> {
  const started = await startWatch({
    configFile: `${ws.dir}/acsync.yaml`,
    mode: 'apply',
    env: { ...ws.env, ...env },
    sink: (e) => events.push(e),
    deps: { loadConfig: (file) => loadConfig(file, { cwd: ws.dir }), runExports },
  });
  if (started.session === undefined) throw new Error(started.message);
  session = started.session;
  return started.session;
}

const runs = () => events.filter((e): e is Extract<WatchSessionEvent, { type: 'watch:run-done' }> => e.type === 'watch:run-done');
const runStarts = () => events.filter((e): e is Extract<WatchSessionEvent, { type: 'watch:run-start' }> => e.type === 'watch:run-start');

describe('watch with segment sources', { timeout: 60_000 }, () => {
  it('a DuckDB query over Parquet files re-runs when a partition is added (files it does not read are ignored)', async () => {
    await writeParquet(ws, 'lake/a.parquet', [['ana@contoso.example', 'Ana', null, 1]]);
    await writeConfig(ws, [{ name: 'q', segment: "\n      query: select * from read_parquet('lake/*.parquet') order by \"Email\"", listId: 1 }]);
    const s = await start();
    expect(s.paths()).toContain(`${ws.dir}/lake`);
    await eventually(() => (runs().length === 1 ? true : undefined), 'the initial run');
    expect(runs()[0]).toMatchObject({ ok: true, result: { applied: 1 } });
    await ws.write('lake/notes.txt', 'not a partition');
    await writeParquet(ws, 'lake/b.parquet', [['ben@contoso.example', 'Ben', null, 2]]);
    await eventually(async () => ((await listMembers(emulator, 1)).length === 2 ? true : undefined), 'ben in the list');
    await s.settled();
    expect(runStarts().map((r) => r.reasons)).toEqual([['initial'], ['change']]);
    const change = events.filter((e) => e.type === 'watch:change');
    expect(JSON.stringify(change)).not.toContain('notes.txt');
  });

  describe.skipIf(!postgresAvailable)('poll on PostgreSQL', () => {
    let server: TestPostgres;
    let admin: pg.Client;
    const table = `acsync_w${process.pid}`;
    beforeAll(async () => {
      server = await startTestPostgres();
      admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`drop table if exists ${table}; create table ${table} (id int primary key, email text)`);
      await admin.query(`insert into ${table} values (1, 'ana@contoso.example')`);
    });
    afterAll(async () => {
      await admin?.query(`drop table if exists ${table}`).catch(() => {});
      await admin?.end();
      await server?.stop();
    });

    it('re-reads every poll interval and applies only when the rows changed', async () => {
      await writeConfig(
        ws,
        [{ name: 'loyal', segment: `\n      database: warehouse\n      query: select email from ${table} order by id`, listId: 1, mapping: ['      email: email'], extra: ['    poll: 1s'] }],
        ['  warehouse:', '    type: postgres', '    url: ${WAREHOUSE_URL}'],
      );
      const s = await start({ WAREHOUSE_URL: server.url });
      expect(s.paths()).toEqual([`${ws.dir}/acsync.yaml`]);
      await eventually(() => (runs().length === 1 ? true : undefined), 'the initial run');
      // Three polls of an unchanged table: no run.
      await new Promise((r) => setTimeout(r, 3_200));
      expect(runStarts()).toHaveLength(1);
      await admin.query(`insert into ${table} values (2, 'ben@contoso.example')`);
      await eventually(async () => ((await listMembers(emulator, 1)).length === 2 ? true : undefined), 'ben in the list');
      await s.settled();
      expect(runStarts().map((r) => r.reasons)).toEqual([['initial'], ['poll']]);
    });
  });
});
