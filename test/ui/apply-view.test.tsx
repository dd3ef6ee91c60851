/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
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
  tracker.apply({ type: 'ratelimit:wait', connection: 'contoso', ms: 3_200, reason: 'retry-after' });
  return tracker;
}

describe('ExportProgressView', () => {
  it('shows done/total, percentage, ETA, rate, batches in flight, req/s against the budget, waits and failures', () => {
    const view = applyingTracker().find('vip-customers')!;
    const { lastFrame, unmount } = render(<ExportProgressView view={view} nameWidth={13} columns={100} tick={0} />);
    const [bar = '', details = ''] = frame(lastFrame()).split('\n');
    // 250 of 1,000 in 20 s: 12.5/s, 750 left → 60 s.
    expect(bar).toMatch(/^⠋ vip-customers  █+░+ 250\/1,000  25%  ETA 1m 00s$/);
    expect(details.trim()).toBe('13 contacts/s · 1 batch in flight · 4.8/5 req/s · waited 3.2s on rate limits · 1 failed');
    expect(bar.length).toBeLessThanOrEqual(100);
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
    const tracker = applyingTracker();
    const items: Array<StaticItem & { id: number }> = [{ id: 0, kind: 'text', text: 'first line' }];
    const props = { planOptions: { maskEmails: false, full: false }, tick: 0 };
    const { lastFrame, rerender, unmount, frames } = render(<ReporterApp items={items} live={tracker.list()} {...props} />);
    expect(frame(lastFrame())).toContain('vip-customers');
    tracker.apply({ type: 'apply:summary', export: 'vip-customers', applied: 999, failed: 1, counts: VIP_PLAN.counts, durationMs: 80_000, requests: {} });
    items.push({ id: 1, kind: 'finished', view: tracker.find('vip-customers')! });
    rerender(<ReporterApp items={[...items]} live={[]} {...props} />);
    const all = frames.map(frame).join('\n');
    expect(all).toContain('first line');
    expect(all).toContain('✗ vip-customers  999 applied, 1 failed in 1m 20s (3.2s waiting on rate limits)');
    expect(frame(lastFrame())).not.toContain('█');
    unmount();
  });
});

describe('ConfirmPrompt', () => {
  it.each([
    ['y', true],
    ['Y', true],
    ['n', false],
    ['\r', false],
    ['\u001b', false],
    ['\u0003', false],
  ])('answers %j with %s', async (key, expected) => {
    const answers: boolean[] = [];
    const { stdin, lastFrame, unmount } = render(<ConfirmPrompt question="Apply?" onAnswer={(yes) => answers.push(yes)} />);
    expect(frame(lastFrame()).trimEnd()).toBe('Apply? [y/N]');
    await tick();
    stdin.write(key);
    await tick();
    expect(answers).toEqual([expected]);
    expect(frame(lastFrame())).toBe(`Apply? [y/N] ${expected ? 'yes' : 'no'}`);
    // A second key does not answer again.
    stdin.write('y');
    await tick();
    expect(answers).toEqual([expected]);
    unmount();
  });

  it('takes a typed "yes" and Enter', async () => {
    const answers: boolean[] = [];
    const { stdin, unmount } = render(<ConfirmPrompt question="Apply?" onAnswer={(yes) => answers.push(yes)} />);
    await tick();
    for (const k of [' ', 'y', 'e', 's', '\r']) {
      stdin.write(k);
      await tick();
    }
    expect(answers).toEqual([true]);
    unmount();
  });
});
