import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinesReporter, HEARTBEAT_MS } from '../../cli/report/lines-reporter.ts';
import type { ReporterOptions } from '../../cli/report/reporter.ts';
import { CONNECTION_NAMES, QUIET_PLAN, VIP_PLAN } from './sample-plans.ts';
import { Capture } from './streams.ts';

function setup(over: Partial<ReporterOptions> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const reporter = new LinesReporter({
    mode: 'apply',
    color: false,
    maskEmails: false,
    full: false,
    stdout,
    stderr,
    connectionNames: CONNECTION_NAMES,
    ...over,
  });
  return { stdout, stderr, reporter };
}

describe('lines reporter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says how long a batch has been queued at ActiveCampaign, never an ETA', () => {
    const { stderr, reporter } = setup();
    reporter.event({
      type: 'batch:waiting',
      export: 'vip-customers',
      id: 'vip-customers#3',
      batchId: 'b-1',
      waitedMs: 360_000,
      status: 'waiting',
      outstanding: 333,
    });
    expect(stderr.lines()).toEqual(['vip-customers: batch vip-customers#3 queued at ActiveCampaign for 6m 00s (333', '  batches outstanding in the account)']);
    expect(stderr.lines().join('\n')).not.toMatch(/ETA/);
  });

  it('prints a heartbeat every 10 s while an export is at work, and stops when it is done', async () => {
    const { stderr, reporter } = setup();
    reporter.event({ type: 'plan:start', export: 'vip-customers', connection: 'contoso', listId: '3' });
    reporter.event({ type: 'plan:progress', export: 'vip-customers', phase: 'list', done: 1200, total: 5000 });
    vi.advanceTimersByTime(HEARTBEAT_MS - 1);
    expect(stderr.lines()).toEqual(['planning vip-customers: list 3 on Contoso Marketing (contoso)']);
    vi.advanceTimersByTime(1);
    expect(stderr.lines().at(-1)).toBe('… vip-customers: reading list: 1,200/5,000 contacts (24%)');

    reporter.event({ type: 'plan:done', export: 'vip-customers', plan: VIP_PLAN });
    reporter.event({ type: 'apply:start', export: 'vip-customers', total: 400 });
    reporter.event({ type: 'request:sent', connection: 'contoso', kind: 'bulk_import' });
    reporter.event({ type: 'batch:sent', export: 'vip-customers', kind: 'bulk_import', id: 'b1', contacts: 250 });
    vi.advanceTimersByTime(5_000);
    for (let i = 0; i < 100; i++) reporter.event({ type: 'change:applied', export: 'vip-customers', change: VIP_PLAN.changes[0]! });
    // Our own pacing to the budget: not ActiveCampaign holding us back, so no "waited on rate limits".
    reporter.event({ type: 'ratelimit:wait', connection: 'contoso', ms: 2_500, reason: 'budget' });
    vi.advanceTimersByTime(5_000);
    // 100 done in 10 s → 10/s; 300 left → 30 s. The one request is older than the 5 s window → 0.0/s. Laid out
    // for 80 columns, broken between words.
    expect(stderr.lines().slice(-2)).toEqual(['… vip-customers: applying 100/400 contacts (25%) · 10/s · 1 batch in flight ·', '  0.0/5 req/s · ETA 30s']);

    reporter.event({ type: 'apply:summary', export: 'vip-customers', applied: 400, failed: 0, counts: VIP_PLAN.counts, durationMs: 12_000, requests: {} });
    const before = stderr.lines().length;
    vi.advanceTimersByTime(HEARTBEAT_MS * 3);
    expect(stderr.lines().length).toBe(before);
    await reporter.close();
  });

  it('sends the plan and the summary to stdout, progress to stderr, with no escape codes', async () => {
    const { stdout, stderr, reporter } = setup({ mode: 'plan' });
    reporter.event({ type: 'plan:start', export: 'vip-customers', connection: 'contoso', listId: '3' });
    reporter.event({ type: 'plan:done', export: 'vip-customers', plan: VIP_PLAN });
    reporter.result({
      mode: 'plan',
      ok: false,
      changesPending: true,
      exports: [
        { export: 'vip-customers', connection: 'contoso', listId: '3', plan: VIP_PLAN, durationMs: 5 },
        { export: 'lapsed-buyers', connection: 'contoso', listId: '7', plan: QUIET_PLAN, durationMs: 5 },
        { export: 'broken', connection: 'contoso', listId: '9', error: { kind: 'remote', message: 'list 9 not found', hint: 'check listId' }, durationMs: 5 },
      ],
    });
    await reporter.close();
    expect(stderr.text).toBe('planning vip-customers: list 3 on Contoso Marketing (contoso)\n');
    const out = stdout.text;
    expect(out.startsWith('vip-customers → list 3 on Contoso Marketing (contoso)\n')).toBe(true);
    // The plan that came only with the result is shown too, once.
    expect(out.match(/lapsed-buyers → list 7/g)).toHaveLength(1);
    expect(out).toContain('✗ broken: list 9 not found\n  hint: check listId');
    expect(out.trimEnd().split('\n').slice(-2)).toEqual([
      'Plan: 2 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to',
      '  unsubscribe (2 skipped, 174 unchanged); 1 export could not be planned.',
    ]);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(out + stderr.text).not.toContain('\u001b');
  });

  it('colours only when allowed, and masks emails in failures', async () => {
    const { stderr, reporter } = setup({ color: true, maskEmails: true });
    reporter.event({ type: 'change:failed', export: 'vip-customers', email: 'anna@contoso.example', action: 'create', reason: 'rejected' });
    await reporter.close();
    // util.styleText closes red with its own reset (39), not the full reset (0).
    expect(stderr.text).toBe('\u001b[31m✗\u001b[39m vip-customers: a***@contoso.example (create): rejected\n');
  });

  it('shows the first 20 failures live and lists them all in the apply summary', async () => {
    const { stdout, stderr, reporter } = setup({ full: true });
    const failures = Array.from({ length: 25 }, (_, i) => ({ email: `p${i}@contoso.example`, action: 'create' as const, reason: 'rejected' }));
    for (const f of failures) reporter.event({ type: 'change:failed', export: 'vip', ...f });
    reporter.result({
      mode: 'apply',
      ok: false,
      changesPending: true,
      exports: [{ export: 'vip', connection: 'contoso', listId: '3', applied: 0, failed: 25, failures, durationMs: 61_000 }],
    });
    await reporter.close();
    expect(stderr.lines()).toHaveLength(21);
    expect(stderr.lines().at(-1)).toBe('  vip: more failures; all of them are listed at the end');
    expect(stdout.text).toContain('p24@contoso.example');
    expect(stdout.lines()).toContain('  vip        3        0      25      1m 01s');
    expect(stdout.lines().at(-1)).toBe('Apply finished with problems: 0 applied, 25 failed in 1m 01s.');
  });
});
