/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The whole Ink reporter, events in → screen out: the reporter draws on a fake terminal in Ink's debug mode, where
 * every write is the whole screen (<Static> output included), so the last write is what a person would see.
 */
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import { FRAME_MS, InkReporter } from '../../cli/report/ink-reporter.tsx';
import { CONNECTION_NAMES, QUIET_PLAN, VIP_PLAN } from '../report/sample-plans.ts';

/** A terminal of a given size that keeps what was written. */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  writes: string[] = [];
  constructor(
    readonly columns = 100,
    readonly rows = 40,
  ) {
    super();
  }
  write = (chunk: string): boolean => {
    this.writes.push(chunk);
    return true;
  };
  /** The last frame (Ink also writes bare control sequences, such as showing the cursor again on exit). */
  screen(): string {
    const frames = this.writes.map((w) => stripVTControlCharacters(w)).filter((w) => w.trim() !== '');
    return (frames.at(-1) ?? '')
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
  }
}

/** Keys typed on the terminal, the way Ink reads them (the 'readable' event, then read()). */
class FakeKeyboard extends EventEmitter {
  readonly isTTY = true;
  private pending: string | null = null;
  type(keys: string): void {
    this.pending = keys;
    this.emit('readable');
  }
  read = (): string | null => {
    const keys = this.pending;
    this.pending = null;
    return keys;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

let now = 0;
let term: FakeTerminal;
let stdout: FakeTerminal;
let keyboard: FakeKeyboard;

function reporter(mode: 'plan' | 'apply', columns = 100): InkReporter {
  term = new FakeTerminal(columns);
  // stdout is a terminal too, so the plan is drawn in the UI rather than written to it as text.
  stdout = new FakeTerminal(columns);
  keyboard = new FakeKeyboard();
  return new InkReporter(
    { mode, color: true, maskEmails: false, full: false, stdout: stdout as never, stderr: term as never, connectionNames: CONNECTION_NAMES },
    { stdin: keyboard as never, now: () => now, debug: true },
  );
}

/** Closes on real timers: Ink's exit waits on timers of its own. */
async function close(r: InkReporter): Promise<void> {
  vi.useRealTimers();
  await r.close();
}

/** Lets the reporter's coalesced redraw happen. */
function frame(): void {
  vi.advanceTimersByTime(FRAME_MS);
}

const LAPSED_PLAN = { ...QUIET_PLAN, changes: [VIP_PLAN.changes[0]!, VIP_PLAN.changes[1]!], counts: { ...QUIET_PLAN.counts, create: 2 } };

const planned: EngineEvent[] = [
  { type: 'plan:start', export: 'vip-customers', connection: 'contoso', listId: '3' },
  { type: 'plan:start', export: 'lapsed-buyers', connection: 'contoso', listId: '7' },
  { type: 'plan:done', export: 'vip-customers', plan: VIP_PLAN },
  { type: 'plan:done', export: 'lapsed-buyers', plan: LAPSED_PLAN },
];

function applyResult(): RunResult {
  return {
    mode: 'apply',
    ok: true,
    changesPending: true,
    exports: [
      { export: 'vip-customers', connection: 'contoso', listId: '3', plan: VIP_PLAN, applied: 6, failed: 0, failures: [], durationMs: 60_000 },
      { export: 'lapsed-buyers', connection: 'contoso', listId: '7', plan: LAPSED_PLAN, applied: 2, failed: 0, failures: [], durationMs: 4_000 },
    ],
  };
}

beforeEach(() => {
  now = 0;
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('InkReporter: plan', () => {
  it('shows reading progress, then each plan with its grouped changes, then the summary table and the Plan sentence', async () => {
    const r = reporter('plan');
    r.event(planned[0]!);
    r.event({ type: 'plan:progress', export: 'vip-customers', phase: 'list', done: 100, total: 200 });
    frame();
    expect(term.screen()).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] vip-customers {2}reading list · 100\/200 contacts \(50%\)$/m);

    for (const e of planned.slice(1)) r.event(e);
    frame();
    const during = term.screen();
    expect(during).toContain('vip-customers → list 3 on Contoso Marketing (contoso)');
    expect(during).toContain('  create 2 · update 1 · subscribe 1 · resubscribe 1 · unsubscribe 1 · skip 2 · unchanged 120');
    // Grouped by kind, each with its symbol and count, field-level before → after for the update.
    expect(during).toMatch(/ {2}\+ create \(2\)\n {4}\+ anna@contoso\.example +Anna Lind\n {4}\+ bo\.berg@contoso\.example\n/);
    expect(during).toMatch(/\n\n {2}~ update \(1\)\n {4}~ carl@contoso\.example\n {8}firstName {5}"Karl" → "Carl"\n {8}LOYALTY_TIER {2}\(empty\) → "gold"/);
    expect(during).toMatch(/^ {4}! row 9 {2}\(no email\) +missing email$/m);

    r.result({
      mode: 'plan',
      ok: true,
      changesPending: true,
      exports: [
        { export: 'vip-customers', connection: 'contoso', listId: '3', plan: VIP_PLAN, durationMs: 900 },
        { export: 'lapsed-buyers', connection: 'contoso', listId: '7', plan: LAPSED_PLAN, durationMs: 400 },
      ],
    });
    await close(r);
    const screen = term.screen();
    expect(screen.split('\n').slice(-7)).toEqual([
      // 100 columns: the action titles would not fit, their symbols do.
      '  export         list  connection         +  ~  >  »  -  !    =',
      '  vip-customers     3  Contoso Marketing  2  1  1  1  1  2  120',
      '  lapsed-buyers     7  Contoso Marketing  2  0  0  0  0  0   54',
      // The symbols get a legend (issue 16, item 11).
      '  + create  ~ update  > subscribe  » resubscribe  - unsubscribe  ! skip  = unchanged',
      '',
      // The last line of the screen is the Plan sentence (wrapped at a word): no blank line, no spinner after it.
      'Plan: 4 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to unsubscribe (2 skipped, 174',
      'unchanged).',
    ]);
    // Each plan once, no spinner left, nothing on stdout (it is the terminal: everything went through the UI).
    expect(screen.match(/vip-customers → list 3/g)).toHaveLength(1);
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏█░]/);
    expect(stdout.writes.join('')).toBe('');
  });
});

describe('InkReporter: apply', () => {
  it('draws a bar per export with done/total and ETA, moves finished exports above, and ends with the summary', async () => {
    const r = reporter('apply');
    for (const e of planned) r.event(e);
    r.event({ type: 'apply:start', export: 'vip-customers', total: 6 });
    r.event({ type: 'apply:start', export: 'lapsed-buyers', total: 2 });
    r.event({ type: 'batch:sent', export: 'vip-customers', kind: 'bulk_import', id: '1', contacts: 6 });
    r.event({ type: 'batch:sent', export: 'lapsed-buyers', kind: 'bulk_import', id: '2', contacts: 2 });
    now = 2_000;
    for (const c of VIP_PLAN.changes.slice(0, 3)) r.event({ type: 'change:applied', export: 'vip-customers', change: c });
    frame();
    const live = term.screen();
    // The summary table comes before the apply starts, then one bar (and a details line) per export.
    expect(live).toContain('Plan: 4 to create, 1 to update');
    expect(live).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] vip-customers {2}█+░+ 3\/6 {2}50% {2}elapsed 2\.0s {2}ETA 2\.0s$/m);
    expect(live).toMatch(/^ {4}1\.5 contacts\/s · 1 batch in flight$/m);
    expect(live).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] lapsed-buyers {2}░+ 0\/2 {3}0% {2}elapsed 2\.0s$/m);

    // One export finishes: its line goes into <Static>, above the bar still moving.
    now = 4_000;
    for (const c of LAPSED_PLAN.changes) r.event({ type: 'change:applied', export: 'lapsed-buyers', change: c });
    r.event({ type: 'batch:done', export: 'lapsed-buyers', kind: 'bulk_import', id: '2', contacts: 2, succeeded: 2, failed: 0 });
    r.event({ type: 'apply:summary', export: 'lapsed-buyers', applied: 2, failed: 0, counts: LAPSED_PLAN.counts, durationMs: 4_000, requests: { bulk_import: 1 } });
    frame();
    const half = term.screen().split('\n');
    const finished = half.findIndex((l) => l.startsWith('✓ lapsed-buyers  2 applied, 0 failed; applying took 4.0s'));
    const bar = half.findIndex((l) => / vip-customers {2}█/.test(l));
    expect(finished).toBeGreaterThan(0);
    expect(bar).toBeGreaterThan(finished);
    expect(half.filter((l) => l.includes('lapsed-buyers  ░') || l.includes('lapsed-buyers  █'))).toEqual([]);

    now = 60_000;
    for (const c of VIP_PLAN.changes.slice(3, 6)) r.event({ type: 'change:applied', export: 'vip-customers', change: c });
    r.event({ type: 'apply:summary', export: 'vip-customers', applied: 6, failed: 0, counts: VIP_PLAN.counts, durationMs: 60_000, requests: { bulk_import: 1 } });
    r.result(applyResult());
    await close(r);
    const end = term.screen().split('\n');
    expect(end.slice(-8)).toEqual([
      '✓ lapsed-buyers  2 applied, 0 failed; applying took 4.0s',
      '✓ vip-customers  6 applied, 0 failed; applying took 1m 00s',
      '',
      '  export         list  applied  failed  total time',
      '  vip-customers     3        6       0      1m 00s',
      '  lapsed-buyers     7        2       0        4.0s',
      '',
      'Apply complete: 8 applied, 0 failed in 1m 00s.',
    ]);
    expect(term.screen()).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏█░]/);
  });

  it('shows requests per second against the budget once the client reports requests, and a failure as it happens', async () => {
    const r = reporter('apply');
    for (const e of planned.slice(0, 3).filter((e) => e.type !== 'plan:start' || e.export === 'vip-customers')) r.event(e);
    r.event({ type: 'apply:start', export: 'vip-customers', total: 6 });
    now = 3_000;
    r.event({ type: 'change:applied', export: 'vip-customers', change: VIP_PLAN.changes[0]! });
    frame();
    // A client that does not emit request:sent: no rate is shown rather than a made-up one.
    expect(term.screen()).not.toContain('req/s');

    for (let i = 0; i < 12; i++) r.event({ type: 'request:sent', connection: 'contoso', kind: 'bulk_import' });
    r.event({ type: 'change:failed', export: 'vip-customers', email: 'bo.berg@contoso.example', action: 'create', reason: 'ActiveCampaign: email domain rejected' });
    frame();
    const screen = term.screen();
    // 12 requests in the 5 s window: 2.4 of the account's 5 per second.
    expect(screen).toMatch(/^ {4}0\.7 contacts\/s · 2\.4\/5 req\/s · 1 failed$/m);
    expect(screen).toContain('✗ vip-customers: bo.berg@contoso.example (create) ActiveCampaign: email domain rejected');
    await close(r);
  });

  it('at 80 columns, keeps every line of the live area within the width', async () => {
    const r = reporter('apply', 80);
    const long = { ...VIP_PLAN, export: 'vip-customers-in-sweden' };
    r.event({ type: 'plan:done', export: long.export, plan: long });
    r.event({ type: 'apply:start', export: long.export, total: 3_000 });
    for (let i = 0; i < 12; i++) r.event({ type: 'batch:sent', export: long.export, kind: 'bulk_import', id: String(i), contacts: 250 });
    r.event({ type: 'ratelimit:wait', connection: 'contoso', ms: 2_500, reason: 'budget' });
    now = 8_000;
    for (let i = 0; i < 1_250; i++) r.event({ type: 'change:applied', export: long.export, change: VIP_PLAN.changes[0]! });
    r.event({ type: 'request:retry', connection: 'contoso', method: 'POST', path: '/api/3/import/bulk_import', status: 429, attempt: 2, delayMs: 100 });
    r.event({ type: 'ratelimit:wait', connection: 'contoso', ms: 40_000, reason: 'retry-after' });
    for (let i = 0; i < 20; i++) r.event({ type: 'request:sent', connection: 'contoso', kind: 'bulk_import' });
    frame();
    const lines = term.screen().split('\n');
    const liveFrom = lines.findIndex((l) => l.includes('vip-customers-in-sweden  █'));
    expect(liveFrom).toBeGreaterThan(0);
    for (const l of lines.slice(liveFrom)) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines.slice(liveFrom).join(' ').replace(/\s+/g, ' ')).toContain(
      "156 contacts/s · 12 batches in flight · 4.0/5 req/s · 1 retry · ActiveCampaign rate limit (429): retry in 40s",
    );
    await close(r);
  });
});

describe('InkReporter: other writes to the terminal', () => {
  it("puts them above the live area (Ink clears it, writes, redraws) instead of in the middle of Ink's frame", async () => {
    const r = reporter('apply');
    for (const e of planned.slice(0, 3)) r.event(e);
    r.event({ type: 'apply:start', export: 'vip-customers', total: 6 });
    frame();
    const before = term.writes.length;
    // What apply itself writes on Ctrl-C, straight to process.stderr.
    term.write('acsync apply: stopping: no new batches\n');
    const after = term.writes.slice(before).map((w) => stripVTControlCharacters(w));
    // It went through Ink's write-above (in debug mode: the text, then the whole screen again), not into the frame.
    expect(after[0]).toBe('acsync apply: stopping: no new batches\n');
    expect(after.length).toBeGreaterThan(1);
    frame();
    expect(term.screen()).toMatch(/vip-customers {2}░+ 0\/6/);
    await close(r);
    // Once closed, the terminal is the caller's again: a write is just a write.
    const n = term.writes.length;
    term.write('cancelled\n');
    expect(term.writes.slice(n)).toEqual(['cancelled\n']);
  });
});

describe('InkReporter: the approval prompt drawn inside it', () => {
  async function ask(keys: string): Promise<{ answer: string; screen: string }> {
    const r = reporter('apply', 120);
    for (const e of planned) r.event(e);
    const answer = r.ask('Apply these changes to ActiveCampaign?');
    frame();
    const asking = term.screen();
    expect(asking.split('\n').slice(-3)).toEqual([
      'Plan: 4 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to unsubscribe (2 skipped, 174 unchanged).',
      '',
      "Apply these changes to ActiveCampaign? Only 'yes' will be accepted:",
    ]);
    // Ink starts listening for keys once the prompt is mounted.
    await vi.advanceTimersByTimeAsync(1);
    keyboard.type(keys);
    const result = await answer;
    frame();
    const screen = term.screen();
    await close(r);
    return { answer: result, screen };
  }

  it('says No on Enter (the default)', async () => {
    const { answer, screen } = await ask('\r');
    expect(answer).toBe('no');
    expect(screen).toMatch(/Apply these changes to ActiveCampaign\? no$/m);
  });

  it('says Yes on "yes" and Enter, and keeps the answer on screen above what follows', async () => {
    const { answer, screen } = await ask('yes\r');
    expect(answer).toBe('yes');
    expect(screen).toMatch(/Apply these changes to ActiveCampaign\? yes$/m);
    expect(screen).not.toContain("Only 'yes'");
  });

  it('answers interrupted when the reporter closes while asking (Ctrl-C path)', async () => {
    const r = reporter('apply');
    for (const e of planned) r.event(e);
    const answer = r.ask('Apply these changes to ActiveCampaign?');
    await close(r);
    expect(await answer).toBe('interrupted');
  });
});
