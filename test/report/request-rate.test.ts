/**
 * The req/s shown against the budget (issue 16 item 11: "5.6/5 req/s"): a client that sends exactly at
 * ActiveCampaign's 5 requests a second puts 26 requests in a 5 s window (one at each end), which read as 5.2/5.
 * Intervals are counted instead, so the pace the client keeps never shows above the limit.
 */
import { describe, expect, it } from 'vitest';
import { ProgressTracker, REQUEST_RATE_WINDOW_MS } from '../../cli/report/progress.ts';

describe('requests per second', () => {
  it('a client at exactly 5 requests a second shows 5.0/5, never more', () => {
    let now = 0;
    const tracker = new ProgressTracker(() => now);
    for (let t = 0; t <= 60_000; t += 200) {
      now = t;
      tracker.apply({ type: 'request:sent', connection: 'contoso', kind: 'GET /contacts' });
      if (t >= REQUEST_RATE_WINDOW_MS) expect(tracker.requestRate('contoso')).toBeLessThanOrEqual(5);
    }
    expect(tracker.requestRate('contoso')).toBeCloseTo(5, 5);
  });

  it('a burst of 5 in one second, then quiet: the window shows what was sent, 1.0/s', () => {
    let now = 10_000;
    const tracker = new ProgressTracker(() => now);
    for (let i = 0; i < 5; i++) {
      now = 10_000 + i * 10;
      tracker.apply({ type: 'request:sent', connection: 'contoso', kind: 'GET /contacts' });
    }
    now = 12_000;
    expect(tracker.requestRate('contoso')).toBeCloseTo(1, 5);
    now = 16_000;
    expect(tracker.requestRate('contoso')).toBe(0);
  });
});
