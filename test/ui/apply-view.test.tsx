/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { ConfirmPrompt } from '../../cli/ui/ConfirmPrompt.tsx';
import { ExportProgressView } from '../../cli/ui/ExportProgressView.tsx';
import { progressCells } from '../../cli/ui/ProgressBar.tsx';
import { ReporterApp, type StaticItem } from '../../cli/ui/ReporterApp.tsx';
import { ProgressTracker } from '../../cli/report/progress.ts';
import { VIP_PLAN } from '../report/sample-plans.ts';

const frame = (f: string | undefined) => stripVTControlCharacters(f ?? '');
const tick = () => new Promise((r) => setTimeout(r, 20));

function applyingTracker() {
  let now = 0;
  const tracker = new ProgressTracker(() => now);
  tracker.apply({ type: 'plan:start', export: 'vip-customers', connection: 'contoso', listId: '3' });
  tracker.apply({ type: 'plan:done', export: 'vip-customers', plan: VIP_PLAN });
  tracker.apply({ type: 'apply:start', export: 'vip-customers', total: 1_000 });
  tracker.apply({ type: 'batch:sent', export: 'vip-customers', kind: 'bulk_import', id: 'a', contacts: 250 });
  tracker.apply({ type: 'batch:sent', export: 'vip-customers', kind: 'bulk_import', id: 'b', contacts: 250 });
  now = 20_000;
  for (let i = 0; i < 24; i++) tracker.apply({ type: 'request:sent', connection: 'contoso', kind: 'bulk_import' });
  for (let i = 0; i < 249; i++) tracker.apply({ type: 'change:applied', export: 'vip-customers', change: VIP_PLAN.changes[0]! });
  tracker.apply({ type: 'change:failed', export: 'vip-customers', email: 'x@contoso.example', action: 'create', reason: 'rejected' });
  tracker.apply({ type: 'batch:done', export: 'vip-customers', kind: 'bulk_import', id: 'a', contacts: 250, succeeded: 249, failed: 1 });
  // Our own pacing to 5 requests a second: not ActiveCampaign holding us back, so not "waited on rate limits"
  // (with batches in flight some request always waits for its slot; that total was always the elapsed time).
  tracker.apply({ type: 'ratelimit:wait', connection: 'contoso', ms: 3_200, reason: 'budget' });
  tracker.apply({ type: 'ratelimit:wait', connection: 'contoso', ms: 2_000, reason: 'budget' });
  return { tracker, setNow: (t: number) => (now = t) };
}

describe('ExportProgressView', () => {
  it('shows done/total, percentage, ETA, rate, batches in flight, req/s against the budget and failures; our own pacing is no wait', () => {
    const view = applyingTracker().tracker.find('vip-customers')!;
    const { lastFrame, unmount } = render(<ExportProgressView view={view} nameWidth={13} columns={100} tick={0} />);
    const [bar = '', details = ''] = frame(lastFrame()).split('\n');
    // 250 of 1,000 in 20 s: 12.5/s, 750 left → 60 s.
    expect(bar).toMatch(/^⠋ vip-customers {2}█+░+ 250\/1,000 {2}25% {2}elapsed 20s {2}ETA 1m 00s$/);
    // 24 requests in the 5 s window: 23 intervals, 4.6 a second (never above the budget the client keeps).
    expect(details).toBe('    13 contacts/s · 1 batch in flight · 4.8/5 req/s · 1 failed');
    expect(bar.length).toBeLessThanOrEqual(100);
    unmount();
  });

  it('says when ActiveCampaign paused the account, and how long is left', () => {
    const { tracker, setNow } = applyingTracker();
    tracker.apply({ type: 'ratelimit:wait', connection: 'contoso', ms: 10_000, reason: 'retry-after' });
    tracker.apply({ type: 'request:retry', connection: 'contoso', method: 'POST', path: '/api/3/import/bulk_import', status: 429, attempt: 2, delayMs: 300 });
    setNow(24_000);
    const paused = render(<ExportProgressView view={tracker.find('vip-customers')!} nameWidth={13} columns={100} tick={0} />);
    expect(frame(paused.lastFrame()).replace(/\s+/g, ' ')).toContain("1 retry · ActiveCampaign rate limit (429): retry in 6.0s · 1 failed");
    // 250 in 24 s, 750 to go: 72 s of work that starts once the 6 s pause is over.
    expect(frame(paused.lastFrame())).toContain('ETA 1m 18s');
    paused.unmount();
    // Once the pause is over, it counts as time waited: the 10 s ActiveCampaign ordered.
    setNow(31_000);
    const after = render(<ExportProgressView view={tracker.find('vip-customers')!} nameWidth={13} columns={100} tick={0} />);
    expect(frame(after.lastFrame()).replace(/\s+/g, ' ')).toContain('waited 10s on rate limits · 1 retry · 1 failed');
    after.unmount();
  });

  it('wraps the details under themselves in a narrow terminal', () => {
    const view = applyingTracker().tracker.find('vip-customers')!;
    const { lastFrame, unmount } = render(
      <Box width={60}>
        <ExportProgressView view={view} nameWidth={13} columns={60} tick={0} />
      </Box>,
    );
    const lines = frame(lastFrame()).split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    // Continuation lines stay inside the details box, not under the spinner.
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {4}/);
    unmount();
  });

  it('fills the bar in proportion', () => {
    expect(progressCells(250, 1_000, 20)).toEqual({ filled: 5, empty: 15 });
    expect(progressCells(0, 0, 10)).toEqual({ filled: 10, empty: 0 });
    expect(progressCells(2_000, 1_000, 10)).toEqual({ filled: 10, empty: 0 });
  });
});

describe('ReporterApp', () => {
  it('keeps finished work in Static above the live rows', () => {
    const { tracker } = applyingTracker();
    const items: Array<StaticItem & { id: number }> = [{ id: 0, kind: 'text', text: 'first line' }];
    const props = { planOptions: { maskEmails: false, full: false }, tick: 0 };
    const { lastFrame, rerender, unmount, frames } = render(<ReporterApp items={items} live={tracker.list()} {...props} />);
    expect(frame(lastFrame())).toContain('vip-customers');
    tracker.apply({ type: 'apply:summary', export: 'vip-customers', applied: 999, failed: 1, counts: VIP_PLAN.counts, durationMs: 80_000, requests: {} });
    items.push({ id: 1, kind: 'finished', view: tracker.find('vip-customers')! });
    rerender(<ReporterApp items={[...items]} live={[]} {...props} />);
    const all = frames.map(frame).join('\n');
    expect(all).toContain('first line');
    expect(all).toContain('✗ vip-customers  999 applied, 1 failed; applying took 1m 20s');
    expect(frame(lastFrame())).toMatch(/^first line\n✗ vip-customers/);
    expect(frame(lastFrame())).not.toContain('█');
    unmount();
  });

  it('tells changes a stopped run never sent apart from failures', () => {
    const { tracker } = applyingTracker();
    tracker.apply({ type: 'apply:summary', export: 'vip-customers', applied: 249, failed: 1, notSent: 750, counts: VIP_PLAN.counts, durationMs: 5_000, requests: {} });
    const items: Array<StaticItem & { id: number }> = [{ id: 0, kind: 'finished', view: tracker.find('vip-customers')! }];
    const { lastFrame, unmount } = render(<ReporterApp items={items} live={[]} planOptions={{ maskEmails: false, full: false }} tick={0} />);
    expect(frame(lastFrame())).toMatch(/✗ vip-customers {2}249 applied, 1 failed, 750 not sent \(stopped\); applying took 5\.0s/);
    unmount();
  });
});

describe('ReporterApp live rows', () => {
  it('lines up the bars of exports whose names and counts differ in width', () => {
    let now = 0;
    const tracker = new ProgressTracker(() => now);
    tracker.apply({ type: 'apply:start', export: 'vip', total: 47 });
    tracker.apply({ type: 'apply:start', export: 'vip-customers-sweden', total: 3_000 });
    now = 5_000;
    for (let i = 0; i < 1_250; i++) tracker.apply({ type: 'change:applied', export: 'vip-customers-sweden', change: VIP_PLAN.changes[0]! });
    const props = { items: [], planOptions: { maskEmails: false, full: false }, tick: 0 };
    const { lastFrame, unmount } = render(<ReporterApp {...props} live={tracker.list()} />);
    const bars = frame(lastFrame())
      .split('\n')
      .filter((l) => /[█░]/.test(l));
    expect(bars).toHaveLength(2);
    const span = (l: string) => [l.search(/[█░]/), l.lastIndexOf('░') + 1 || l.lastIndexOf('█') + 1];
    expect(span(bars[0]!)).toEqual(span(bars[1]!));
    expect(bars[0]).toMatch(/ {6}0\/47 {3}0% {2}elapsed 5\.0s$/);
    unmount();
  });
});

describe('ConfirmPrompt: only "yes" and Enter approve (issue 16, item 4)', () => {
  const prompt = 'Apply? Only \'yes\' will be accepted:';
  it.each([
    ['yes\r', 'yes'],
    [' yes \r', 'yes'],
    ['y', undefined],
    ['y\r', 'no'],
    ['Y\r', 'no'],
    ['YES\r', 'no'],
    ['n\r', 'no'],
    ['\r', 'no'],
    ['yess\u007f\r', 'yes'],
    ['\u001b', 'no'],
    ['\u0003', 'interrupted'],
  ])('answers %j with %s', async (keys, expected) => {
    const answers: string[] = [];
    const { stdin, lastFrame, unmount } = render(<ConfirmPrompt question="Apply?" onAnswer={(a) => answers.push(a)} />);
    expect(frame(lastFrame()).trimEnd()).toBe(prompt);
    await tick();
    for (const k of keys === '\u001b' || keys === '\u0003' ? [keys] : [...keys]) {
      stdin.write(k);
      await tick();
    }
    expect(answers).toEqual(expected === undefined ? [] : [expected]);
    if (expected !== undefined) {
      expect(frame(lastFrame())).toBe(`${prompt} ${expected}`);
      // Nothing typed afterwards answers again.
      for (const k of ['y', 'e', 's', '\r']) stdin.write(k);
      await tick();
      expect(answers).toEqual([expected]);
    }
    unmount();
  });

  it('a single "y" keystroke never approves: it waits for Enter', async () => {
    const answers: string[] = [];
    const { stdin, lastFrame, unmount } = render(<ConfirmPrompt question="Apply?" onAnswer={(a) => answers.push(a)} />);
    await tick();
    stdin.write('y');
    await tick();
    expect(answers).toEqual([]);
    expect(frame(lastFrame())).toBe(`${prompt} y`);
    unmount();
  });
});
