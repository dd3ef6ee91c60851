import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../engine/config/model.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import { DEBOUNCE_MAX_MS, DEBOUNCE_MS, startWatch, type WatchSession } from '../../engine/watch/session.ts';
import { config, eventsOf, exportConfig, HandConfig, HandRuns, HandWatcher, ManualClock, okResult, settle } from './fakes.ts';

const VIP = '/project/segments/vip.csv';
const LAPSED = '/project/segments/lapsed.csv';

async function setup(opts: { initial?: boolean; exports?: string[]; schedule?: string; mode?: 'plan' | 'apply' } = {}) {
  const clock = new ManualClock();
  const watcher = new HandWatcher();
  const runs = new HandRuns();
  const cfg = new HandConfig({
    config: config([exportConfig('vip', opts.schedule !== undefined ? { schedule: opts.schedule, timezone: 'UTC' } : {}), exportConfig('lapsed')]),
    diagnostics: [],
  });
  const events: WatchSessionEvent[] = [];
  const started = await startWatch({
    configFile: 'acsync.yaml',
    mode: opts.mode ?? 'apply',
    initial: opts.initial ?? false,
    ...(opts.exports ? { exports: opts.exports } : {}),
    sink: (e) => events.push(e),
    deps: { loadConfig: cfg.load, runExports: runs.fn, clock, createWatcher: watcher.factory },
  });
  if (started.session === undefined) throw new Error(started.message);
  const session: WatchSession = started.session;
  /** Emits file events, then lets the debounce elapse. */
  const write = async (...files: string[]) => {
    for (const f of files) watcher.emit(f);
    await clock.advance(DEBOUNCE_MS);
  };
  return { clock, watcher, runs, cfg, events, session, write };
}

describe('watch session: file changes', () => {
  it('watches the config file and each watched segment, and reports ready', async () => {
    const { watcher, events } = await setup();
    expect(watcher.watched).toEqual(['/project/acsync.yaml', LAPSED, VIP]);
    expect(eventsOf(events, 'watch:ready')[0]).toMatchObject({ config: 'acsync.yaml', mode: 'apply', exports: [{ name: 'vip' }, { name: 'lapsed' }] });
  });

  it('runs every export once at start unless told not to', async () => {
    const { runs, session } = await setup({ initial: true });
    expect(runs.calls.map((c) => c.exports)).toEqual([['vip'], ['lapsed']]);
    runs.finish('vip');
    runs.finish('lapsed');
    await session.settled();
    const quiet = await setup({ initial: false });
    expect(quiet.runs.calls).toEqual([]);
  });

  it('a burst of writes to one segment yields one run of the exports that read it, and none of the others', async () => {
    const { runs, watcher, clock, events, session } = await setup();
    for (let i = 0; i < 5; i++) {
      watcher.emit(VIP);
      await clock.advance(DEBOUNCE_MS / 2);
    }
    expect(runs.calls).toEqual([]);
    await clock.advance(DEBOUNCE_MS);
    expect(runs.calls.map((c) => c.exports)).toEqual([['vip']]);
    expect(eventsOf(events, 'watch:change')).toMatchObject([{ paths: [VIP], exports: ['vip'] }]);
    runs.finish('vip');
    await session.settled();
    expect(runs.calls).toHaveLength(1);
  });

  it('a burst that never goes quiet is still handled after DEBOUNCE_MAX_MS', async () => {
    const { runs, watcher, clock } = await setup();
    for (let t = 0; t < DEBOUNCE_MAX_MS + DEBOUNCE_MS; t += DEBOUNCE_MS / 2) {
      watcher.emit(VIP);
      await clock.advance(DEBOUNCE_MS / 2);
    }
    expect(runs.runsOf('vip')).toBe(1);
  });

  it('changes during a run merge into exactly one follow-up run', async () => {
    const { runs, write, events, session } = await setup();
    await write(VIP);
    expect(runs.inFlight).toEqual(['vip']);
    await write(VIP);
    await write(VIP);
    await write(VIP);
    expect(runs.runsOf('vip')).toBe(1);
    expect(session.states()).toEqual({ vip: 'queued', lapsed: 'idle' });
    runs.finish('vip');
    await settle();
    expect(runs.runsOf('vip')).toBe(2);
    runs.finish('vip');
    await session.settled();
    expect(runs.runsOf('vip')).toBe(2);
    expect(eventsOf(events, 'watch:queued')).toHaveLength(3);
    expect(eventsOf(events, 'watch:run-done').map((e) => [e.export, e.ok])).toEqual([
      ['vip', true],
      ['vip', true],
    ]);
  });

  it('two exports reading one file both run; a file nobody reads runs nothing', async () => {
    const { runs, cfg, write, session } = await setup({ initial: false });
    cfg.current = { config: config([exportConfig('vip'), exportConfig('vip-copy', { segmentPath: VIP, segment: 'segments/vip.csv' })]), diagnostics: [] };
    await write('/project/acsync.yaml');
    runs.finish('vip-copy'); // the new export's first sync
    await session.settled();
    await write(VIP);
    expect(runs.inFlight.sort()).toEqual(['vip', 'vip-copy']);
    runs.finish('vip');
    runs.finish('vip-copy');
    await write('/project/segments/unrelated.csv');
    await session.settled();
    expect(runs.inFlight).toEqual([]);
  });

  it('a failed run (thrown or reported) is reported and the watch goes on', async () => {
    const { runs, write, events, session } = await setup();
    await write(VIP);
    runs.finish('vip', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { fault: 'remote', hint: 'is ActiveCampaign reachable?' }));
    await session.settled();
    await write(VIP);
    const bad = okResult('vip');
    bad.exports[0]!.error = { kind: 'user', message: 'segments/vip.csv:3: not valid CSV', file: 'segments/vip.csv', line: 3 };
    delete bad.exports[0]!.applied;
    runs.finish('vip', bad);
    await session.settled();
    await write(VIP);
    runs.finish('vip');
    await session.settled();
    expect(eventsOf(events, 'watch:run-done').map((e) => [e.ok, e.error?.message])).toEqual([
      [false, 'connect ECONNREFUSED 127.0.0.1:1'],
      [false, 'segments/vip.csv:3: not valid CSV'],
      [true, undefined],
    ]);
    expect(eventsOf(events, 'watch:run-done')[0]?.error?.hint).toBe('is ActiveCampaign reachable?');
  });

  it('a deleted segment does not start a run; its return does', async () => {
    const { runs, watcher, clock } = await setup();
    watcher.emit(VIP, 'unlink');
    await clock.advance(DEBOUNCE_MS);
    expect(runs.calls).toEqual([]);
    watcher.emit(VIP, 'add');
    await clock.advance(DEBOUNCE_MS);
    expect(runs.runsOf('vip')).toBe(1);
  });

  it('--export limits the watch to the named exports; an unknown name refuses to start', async () => {
    const { watcher, runs, write } = await setup({ exports: ['lapsed'] });
    expect(watcher.watched).toEqual(['/project/acsync.yaml', LAPSED]);
    await write(VIP);
    expect(runs.calls).toEqual([]);
    const cfg = new HandConfig({ config: config([exportConfig('vip')]), diagnostics: [] });
    const r = await startWatch({
      configFile: 'acsync.yaml',
      mode: 'apply',
      exports: ['nope'],
      sink: () => {},
      deps: { loadConfig: cfg.load, runExports: runs.fn, clock: new ManualClock(), createWatcher: new HandWatcher().factory },
    });
    expect(r.session).toBeUndefined();
    expect('message' in r && r.message).toMatch(/no export named 'nope' in acsync\.yaml \(known exports: vip\)/);
  });

  it('passes the mode through: --plan-only plans, never applies', async () => {
    const planOnly = await setup({ mode: 'plan' });
    await planOnly.write(VIP);
    const applying = await setup();
    await applying.write(VIP);
    expect(planOnly.runs.calls.map((c) => c.mode)).toEqual(['plan']);
    expect(applying.runs.calls.map((c) => c.mode)).toEqual(['apply']);
  });
});

const badConfig: Diagnostic = {
  severity: 'error',
  file: 'acsync.yaml',
  line: 7,
  column: 14,
  path: 'exports.vip.listId',
  message: 'must be a string of digits',
  hint: 'copy the list id from ActiveCampaign',
};

describe('watch session: config reload', () => {
  it('an invalid config edit is reported and the old config keeps running', async () => {
    const { runs, cfg, write, events, session, watcher } = await setup();
    const before = session.currentConfig;
    cfg.current = { diagnostics: [badConfig] };
    await write('/project/acsync.yaml');
    expect(eventsOf(events, 'watch:config-error')).toMatchObject([{ file: 'acsync.yaml', diagnostics: [badConfig] }]);
    expect(session.currentConfig).toBe(before);
    expect(watcher.watched).toEqual(['/project/acsync.yaml', LAPSED, VIP]);
    await write(VIP);
    expect(runs.calls.map((c) => [c.exports, c.config])).toEqual([[['vip'], before]]);
  });

  it('a valid edit updates the watch set: a new segment is watched, a removed one dropped, new exports sync', async () => {
    const { runs, cfg, write, events, watcher, session } = await setup();
    const NEW = '/project/segments/new.csv';
    cfg.current = { config: config([exportConfig('vip'), exportConfig('new', { segmentPath: NEW })]), diagnostics: [] };
    await write('/project/acsync.yaml');
    expect(watcher.watched).toEqual(['/project/acsync.yaml', NEW, VIP]);
    expect(eventsOf(events, 'watch:config-reloaded')).toMatchObject([{ added: ['new'], removed: ['lapsed'], changed: [] }]);
    expect(runs.inFlight).toEqual(['new']);
    runs.finish('new');
    await session.settled();
    await write(LAPSED);
    expect(runs.runsOf('lapsed')).toBe(0);
    await write(NEW);
    expect(runs.inFlight).toEqual(['new']);
  });

  it('a changed export is synced again with the new config; an unchanged one is not', async () => {
    const { runs, cfg, write } = await setup();
    const next = config([exportConfig('vip', { listId: '2' }), exportConfig('lapsed')]);
    cfg.current = { config: next, diagnostics: [] };
    await write('/project/acsync.yaml');
    expect(runs.calls.map((c) => c.exports)).toEqual([['vip']]);
    expect(runs.calls[0]?.config).toBe(next);
  });

  it('a config edit and a segment write in one burst: the reload comes first and the run uses the new config', async () => {
    const { runs, cfg, write } = await setup();
    const next = config([exportConfig('vip'), exportConfig('lapsed', { mapping: { email: 'mail', fields: {} } })]);
    cfg.current = { config: next, diagnostics: [] };
    await write(VIP, '/project/acsync.yaml');
    expect(runs.calls.map((c) => [c.exports[0], c.config === next])).toEqual([
      ['lapsed', true],
      ['vip', true],
    ]);
  });
});

describe('watch session: schedules', () => {
  it('a schedule fires at its time, and is not started twice while its run is still going', async () => {
    const { runs, clock, events, session } = await setup({ schedule: '*/10 * * * *' });
    expect(eventsOf(events, 'watch:schedule')).toMatchObject([
      { export: 'vip', schedule: '*/10 * * * *', timezone: 'UTC', nextAt: Date.parse('2026-03-02T08:10:00Z') },
    ]);
    await clock.advanceTo('2026-03-02T08:09:59Z');
    expect(runs.calls).toEqual([]);
    await clock.advanceTo('2026-03-02T08:10:00Z');
    expect(runs.inFlight).toEqual(['vip']);
    // The run is slow: two more occurrences come due while it goes.
    await clock.advanceTo('2026-03-02T08:30:00Z');
    expect(runs.runsOf('vip')).toBe(1);
    expect(session.states().vip).toBe('queued');
    runs.finish('vip');
    await settle();
    expect(runs.runsOf('vip')).toBe(2);
    runs.finish('vip');
    await session.settled();
    expect(runs.runsOf('vip')).toBe(2);
    expect(eventsOf(events, 'watch:run-start').map((e) => e.reasons)).toEqual([['schedule'], ['schedule']]);
  });

  it('a reload that changes the schedule re-arms it; one that removes the export stops it', async () => {
    const { runs, clock, cfg, write, session } = await setup({ schedule: '0 * * * *' });
    cfg.current = { config: config([exportConfig('vip', { schedule: '30 8 * * *', timezone: 'UTC' }), exportConfig('lapsed')]), diagnostics: [] };
    await write('/project/acsync.yaml');
    runs.finish('vip'); // the changed export syncs once
    await session.settled();
    await clock.advanceTo('2026-03-02T08:30:00Z');
    expect(runs.runsOf('vip')).toBe(2);
    runs.finish('vip');
    cfg.current = { config: config([exportConfig('lapsed')]), diagnostics: [] };
    await write('/project/acsync.yaml');
    await clock.advanceTo('2026-03-03T09:00:00Z');
    expect(runs.runsOf('vip')).toBe(2);
  });
});

describe('watch session: shutdown', () => {
  it('with a run in flight: stops watching and scheduling, aborts new batches, waits for the run, summarises', async () => {
    const { runs, write, watcher, clock, events, session } = await setup({ schedule: '* * * * *' });
    await write(VIP);
    await write(VIP); // queued follow-up: dropped by the shutdown
    const signal = runs.calls[0]?.signal;
    expect(signal?.aborted).toBe(false);
    const stopped = session.stop({ signal: 'SIGINT', graceMs: 5_000 });
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(watcher.closed).toBe(true);
    expect(eventsOf(events, 'watch:stopping')).toMatchObject([{ signal: 'SIGINT', inFlight: ['vip'], graceMs: 5_000 }]);
    await clock.advance(1_000);
    runs.finish('vip');
    const summary = await stopped;
    expect(summary.unfinished).toEqual([]);
    expect(summary.exports).toEqual([
      { name: 'vip', runs: 1, failedRuns: 0, applied: 1, failed: 0, lastRunOk: true },
      { name: 'lapsed', runs: 0, failedRuns: 0, applied: 0, failed: 0 },
    ]);
    // Nothing runs after the stop: not the queued follow-up, not the schedule, not a file event.
    watcher.emit(VIP);
    await clock.advance(10 * 60_000);
    expect(runs.calls).toHaveLength(1);
    expect(eventsOf(events, 'watch:stopped')).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('the wait is bounded: a run that does not end is reported unfinished', async () => {
    const { write, clock, session } = await setup();
    await write(VIP);
    const stopped = session.stop({ graceMs: 5_000 });
    await clock.advance(5_000);
    const summary = await stopped;
    expect(summary.unfinished).toEqual(['vip']);
  });

  it('stop() twice returns the same summary', async () => {
    const { session } = await setup();
    const a = session.stop();
    const b = session.stop();
    expect(a).toBe(b);
    expect((await a).exports).toHaveLength(2);
  });
});
