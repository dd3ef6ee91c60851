import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { duration, WatchView } from '../../cli/ui/WatchView.tsx';
import { emptyCounts } from '../../engine/model.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import { initialStatus, reduceStatus, type WatchStatus } from '../../engine/watch/status.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');

function fold(events: WatchSessionEvent[]): WatchStatus {
  return events.reduce(reduceStatus, initialStatus());
}

const ready: WatchSessionEvent = {
  type: 'watch:ready',
  at: T0,
  config: 'acsync.yaml',
  mode: 'apply',
  exports: [
    { name: 'vip', segment: 'segments/vip.csv', schedule: '0 * * * *', timezone: 'UTC' },
    { name: 'lapsed', segment: 'segments/lapsed.csv' },
  ],
  paths: [],
};

function frame(status: WatchStatus, now: number, notices: string[] = []): string {
  const { lastFrame, unmount } = render(<WatchView status={status} now={now} notices={notices} color={false} timeZone="UTC" />);
  const out = stripVTControlCharacters(lastFrame() ?? '');
  unmount();
  return out;
}

describe('watch status folded from events', () => {
  it('follows a run: idle → running with progress → queued → last run with counts', () => {
    const counts = { ...emptyCounts(), create: 3, skip: 1 };
    const s = fold([
      ready,
      { type: 'watch:schedule', at: T0, export: 'vip', schedule: '0 * * * *', timezone: 'UTC', nextAt: T0 + 3_600_000 },
      { type: 'watch:run-start', at: T0 + 1000, export: 'vip', reasons: ['change'], run: 1 },
      { type: 'plan:progress', export: 'vip', phase: 'list', done: 100, total: 250 },
      { type: 'apply:start', export: 'vip', total: 3 },
      { type: 'change:applied', export: 'vip', change: { action: 'create', email: 'a@x.io', key: 'a@x.io' } },
      { type: 'watch:queued', at: T0 + 1500, export: 'vip', reason: 'change' },
    ]);
    expect(s.exports[0]).toMatchObject({ state: 'queued', current: { phase: 'applying', done: 1, total: 3 }, nextRunAt: T0 + 3_600_000 });
    const done = reduceStatus(s, {
      type: 'watch:run-done',
      at: T0 + 3000,
      export: 'vip',
      run: 1,
      ok: true,
      durationMs: 2000,
      result: { export: 'vip', connection: 'c', listId: '1', plan: { export: 'vip', connection: 'c', listId: '1', changes: [], counts }, applied: 3, failed: 0, durationMs: 2000 },
    });
    expect(done.exports[0]).toMatchObject({ state: 'queued', runs: 1, lastRun: { ok: true, applied: 3, counts } });
    expect(done.exports[0]?.current).toBeUndefined();
  });

  it('a reload keeps what is known of kept exports and adds new ones in config order', () => {
    const s = fold([
      ready,
      { type: 'watch:schedule', at: T0, export: 'vip', schedule: '0 * * * *', timezone: 'UTC', nextAt: T0 + 60_000 },
      { type: 'watch:config-error', at: T0, file: 'acsync.yaml', diagnostics: [{ severity: 'error', file: 'acsync.yaml', line: 3, column: 1, path: '', message: 'x' }] },
      {
        type: 'watch:config-reloaded',
        at: T0,
        file: 'acsync.yaml',
        added: ['new'],
        removed: ['lapsed'],
        changed: [],
        exports: [
          { name: 'new', segment: 'segments/new.csv' },
          { name: 'vip', segment: 'segments/vip.csv', schedule: '0 * * * *', timezone: 'UTC' },
        ],
        paths: [],
        diagnostics: [],
      },
    ]);
    expect(s.configErrors).toBeUndefined();
    expect(s.exports.map((x) => [x.name, x.nextRunAt])).toEqual([
      ['new', undefined],
      ['vip', T0 + 60_000],
    ]);
  });
});

describe('WatchView', () => {
  it('shows each export: state, progress while running, last run, next scheduled run', () => {
    const s = fold([
      ready,
      { type: 'watch:schedule', at: T0, export: 'vip', schedule: '0 * * * *', timezone: 'UTC', nextAt: Date.parse('2026-03-02T09:00:00Z') },
      { type: 'watch:run-start', at: T0, export: 'vip', reasons: ['initial'], run: 1 },
      { type: 'apply:start', export: 'vip', total: 40 },
      { type: 'watch:run-start', at: T0, export: 'lapsed', reasons: ['initial'], run: 2 },
      { type: 'watch:run-done', at: T0 + 1200, export: 'lapsed', run: 2, ok: false, durationMs: 1200, error: { kind: 'remote', message: 'connect ECONNREFUSED', hint: 'is the emulator running?' } },
    ]);
    const out = frame(s, T0 + 5 * 60_000 + 4_000, ['08:00:01 acsync.yaml reloaded: no export changed']);
    expect(out).toContain('acsync watch · acsync.yaml · applying changes');
    expect(out).toMatch(/vip\s+● running\s+segments\/vip\.csv/);
    expect(out).toContain('applying 0/40 (initial, 5m 4s)');
    expect(out).toContain('next 09:00:00 (in 54m 56s) 0 * * * * UTC');
    expect(out).toMatch(/lapsed\s+○ idle/);
    expect(out).toContain('last 08:00:01 ✗ connect ECONNREFUSED after 1.2s');
    expect(out).toContain('hint: is the emulator running?');
    expect(out).toContain('08:00:01 acsync.yaml reloaded');
    expect(out).toContain('Ctrl-C to stop');
  });

  it('says plainly when nothing is applied, when the config is broken, and when stopping', () => {
    const s = fold([
      { ...ready, mode: 'plan' } as WatchSessionEvent,
      { type: 'watch:config-error', at: T0, file: 'acsync.yaml', diagnostics: [{ severity: 'error', file: 'acsync.yaml', line: 3, column: 1, path: '', message: 'x' }] },
      { type: 'watch:stopping', at: T0, inFlight: [], graceMs: 1000 },
    ]);
    const out = frame(s, T0);
    expect(out).toContain('plan only: nothing is applied');
    expect(out).toContain('✗ acsync.yaml has 1 error: the last good config keeps running');
    expect(out).toContain('Ctrl-C again to quit at once');
    const after = frame(reduceStatus(s, { type: 'watch:stopped', at: T0, summary: { startedAt: T0, stoppedAt: T0, exports: [], unfinished: [] } }), T0);
    expect(after).toContain('· stopped');
    expect(after).not.toContain('Ctrl-C');
  });

  it('stays a row under the terminal height: exports that do not fit are counted, the notices printed above', () => {
    const many: WatchSessionEvent = {
      ...ready,
      exports: Array.from({ length: 6 }, (_, i) => ({ name: `export-${i}`, segment: `segments/s${i}.csv`, schedule: '0 * * * *', timezone: 'UTC' })),
    } as WatchSessionEvent;
    const s = fold([many]);
    const { lastFrame, unmount } = render(<WatchView status={s} now={T0} notices={['08:00:01 acsync.yaml reloaded']} color={false} timeZone="UTC" rows={12} />);
    const out = stripVTControlCharacters(lastFrame() ?? '');
    unmount();
    const live = out.slice(out.indexOf('acsync watch · ')).split('\n');
    expect(live.length, live.join('\n')).toBeLessThanOrEqual(11);
    // Header, two exports of 3 rows, the count, the footer: 9 rows (a third export would make 12).
    expect(live.filter((l) => /^export-\d/.test(l))).toHaveLength(2);
    expect(out).toContain('… 4 more exports (a taller terminal shows them)');
    expect(out).toContain('Ctrl-C to stop');
    expect(out.indexOf('08:00:01 acsync.yaml reloaded')).toBeLessThan(out.indexOf('acsync watch · '));
    // Unbounded (no terminal height known): every export.
    expect(frame(s, T0).match(/^export-\d/gm)).toHaveLength(6);
  });

  it.each([
    [850, '850ms'],
    [12_300, '12.3s'],
    [200_000, '3m 20s'],
    [7_380_000, '2h 3m'],
    [90_000_000, '1d 1h'],
  ])('duration(%i) = %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
