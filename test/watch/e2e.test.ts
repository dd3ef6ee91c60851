/**
 * Watch mode end to end: the real session with chokidar, the config loader, the engine and the emulator over
 * loopback. A file edit must show up as a contact in the list, as a person would see it in ActiveCampaign.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { loadConfig } from '../../engine/config/load.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import { startWatch, type WatchSession } from '../../engine/watch/session.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { eventsOf } from './fakes.ts';

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

/** Polls until `check` returns a value (real time: this is the real file watcher and a real server). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${events.map((e) => e.type).join(' ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start(): Promise<WatchSession> {
  const started = await startWatch({
    configFile: 'acsync.yaml',
    mode: 'apply',
    env: ws.env,
    sink: (e) => events.push(e),
    deps: { loadConfig: (file) => loadConfig(file, { cwd: ws.dir }), runExports },
  });
  if (started.session === undefined) throw new Error(started.message);
  session = started.session;
  return started.session;
}

/** Real files, a real watcher and a real server: seconds, not the default 5 s budget of a unit test. */
const E2E_TIMEOUT_MS = 20_000;

const runsDone = () => eventsOf(events, 'watch:run-done');

describe('acsync watch against the emulator', () => {
  it(
    'syncs at start, then a row appended to the segment appears in the list; an invalid config edit keeps the old config',
    async () => {
      await ws.write(
        'seg.csv',
        csv([
          ['ana@contoso.example', 'Ana'],
          ['ben@contoso.example', 'Ben'],
        ]),
      );
      await ws.config([{ segment: 'seg.csv', fields: false }]);
      const s = await start();
      await eventually(() => (runsDone().length === 1 ? true : undefined), 'the initial run');
      expect(runsDone()[0]).toMatchObject({ ok: true, result: { applied: 2 } });

      await appendFile(path.join(ws.dir, 'seg.csv'), 'cleo@contoso.example,Cleo,,,\n');
      const written = Date.now();
      await eventually(async () => ((await listMembers(emulator, 1)).some((m) => m.email === 'cleo@contoso.example') ? true : undefined), 'cleo in the list');
      // The bar: a new row is visible in ActiveCampaign within two seconds.
      expect(Date.now() - written).toBeLessThan(2_000);
      await s.settled();

      // Break the config: the watch keeps the last good one, and a segment edit still syncs with it.
      const configFile = path.join(ws.dir, 'acsync.yaml');
      const good = s.currentConfig;
      await appendFile(configFile, '  oops: [\n');
      await eventually(() => eventsOf(events, 'watch:config-error')[0], 'the config error');
      expect(s.currentConfig).toBe(good);
      expect(eventsOf(events, 'watch:config-error')[0]?.diagnostics[0]).toMatchObject({ severity: 'error', file: 'acsync.yaml' });
      await appendFile(path.join(ws.dir, 'seg.csv'), 'dan@contoso.example,Dan,,,\n');
      await eventually(async () => ((await listMembers(emulator, 1)).some((m) => m.email === 'dan@contoso.example') ? true : undefined), 'dan in the list');

      // Fix it, pointing the export at another list: the reload takes it and syncs the changed export there.
      await ws.config([{ segment: 'seg.csv', fields: false, listId: 2 }]);
      await eventually(() => eventsOf(events, 'watch:config-reloaded')[0], 'the reload');
      expect(eventsOf(events, 'watch:config-reloaded')[0]).toMatchObject({ changed: ['customers'], added: [], removed: [] });
      await eventually(async () => ((await listMembers(emulator, 2)).length === 4 ? true : undefined), 'all four in list 2');
      expect(runsDone().every((r) => r.ok)).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a burst of writes yields one run, and a bad segment row is reported without ending the watch',
    async () => {
      await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
      await ws.config([{ segment: 'seg.csv', fields: false }]);
      const s = await start();
      await eventually(() => (runsDone().length === 1 ? true : undefined), 'the initial run');
      const seg = path.join(ws.dir, 'seg.csv');
      for (let i = 0; i < 5; i++) await appendFile(seg, `p${i}@contoso.example,P${i},,,\n`);
      await eventually(() => (runsDone().length === 2 ? true : undefined), 'the run after the burst');
      await new Promise((r) => setTimeout(r, 400));
      await s.settled();
      expect(runsDone()).toHaveLength(2);
      expect((await listMembers(emulator, 1)).length).toBe(6);

      await appendFile(seg, '"unterminated,quote\n');
      await eventually(() => (runsDone().length === 3 ? true : undefined), 'the failed run');
      expect(runsDone()[2]).toMatchObject({ ok: false, error: { file: expect.stringMatching(/seg\.csv$/) } });
      // Rewritten whole (as an export job does), without the bad row and with one more contact.
      const rows: Array<[string, string]> = [
        ['ana@contoso.example', 'Ana'],
        ...[0, 1, 2, 3, 4].map((i): [string, string] => [`p${i}@contoso.example`, `P${i}`]),
        ['zoe@contoso.example', 'Zoe'],
      ];
      await writeFile(seg, csv(rows));
      await eventually(async () => ((await listMembers(emulator, 1)).some((m) => m.email === 'zoe@contoso.example') ? true : undefined), 'zoe in the list');
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a run that cannot plan writes nothing and reports what `acsync apply` reports for the same export',
    async () => {
      // Watch runs each export as its own run (as `acsync apply --export NAME` would): the engine's rule, nothing
      // written while a selected export cannot plan, holds for each run (engine/pipeline/run.ts).
      await ws.write('good.csv', csv([['ana@contoso.example', 'Ana']]));
      await ws.write('broken.csv', 'Mail,First\nben@contoso.example,Ben\n');
      await ws.config([
        { name: 'good', segment: 'good.csv', listId: 1, fields: false },
        { name: 'broken', segment: 'broken.csv', listId: 2, fields: false },
      ]);
      const s = await start();
      await eventually(() => (runsDone().length === 2 ? true : undefined), 'both initial runs');
      await s.settled();
      const broken = runsDone().find((r) => r.export === 'broken')!;
      const apply = await runExports(await ws.load(), { mode: 'apply', exports: ['broken'], sink: () => {}, env: ws.env });
      expect(broken.ok).toBe(false);
      expect(broken.error).toEqual(apply.exports[0]!.error);
      expect(broken.error).toMatchObject({ kind: 'user', line: 1 });
      expect(await listMembers(emulator, 2)).toEqual([]);
      expect(runsDone().find((r) => r.export === 'good')).toMatchObject({ ok: true, result: { applied: 1 } });
    },
    E2E_TIMEOUT_MS,
  );
});
