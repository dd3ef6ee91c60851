import { describe, expect, it } from 'vitest';
import { RateBudget, parseRetryAfter, type RequestKind } from '../../engine/activecampaign/rate-budget.ts';
import { FakeClock } from './fake-clock.ts';

/** The largest number of grants whose times fall within any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0; i < sorted.length; i++) {
    let n = 0;
    for (let j = i; j < sorted.length && (sorted[j] as number) - (sorted[i] as number) < windowMs; j++) n++;
    max = Math.max(max, n);
  }
  return max;
}

/** Acquires, logs the grant, and (as a request answered at once) finishes it right away. */
function track(budget: RateBudget, clock: FakeClock, kind: RequestKind, label: string, log: Array<{ label: string; at: number }>): Promise<number> {
  return budget.acquire(kind).then((ticket) => {
    log.push({ label, at: clock.now() });
    ticket.done();
    return ticket.waitedMs;
  });
}

describe('RateBudget', () => {
  it('never lets more than the limit through in any one-second window', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    const log: Array<{ label: string; at: number }> = [];
    const all = Array.from({ length: 40 }, (_, i) => track(budget, clock, 'request', String(i), log));
    for (let t = 0; t < 12_000 && log.length < 40; t += 10) await clock.advance(10);
    await Promise.all(all);
    expect(log).toHaveLength(40);
    expect(maxInWindow(log.map((e) => e.at), 1_000)).toBe(5);
    // Limit-bound: 40 requests at 5/s need 7 full windows after the first burst, and not much more.
    const span = (log.at(-1)?.at ?? 0) - (log[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual(7_000);
    expect(span).toBeLessThan(7_500);
    expect(budget.stats().granted.request).toBe(40);
    expect(budget.stats().waitedMs).toBeGreaterThan(0);
  });

  it('serves concurrent callers first come, first served', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 2 }, clock);
    const log: Array<{ label: string; at: number }> = [];
    const order: string[] = [];
    const all: Array<Promise<number>> = [];
    // Three "exports" enqueue interleaved, 4 requests each.
    for (let i = 0; i < 4; i++) {
      for (const who of ['a', 'b', 'c']) {
        order.push(`${who}${i}`);
        all.push(track(budget, clock, 'request', `${who}${i}`, log));
      }
    }
    for (let t = 0; t < 10_000 && log.length < 12; t += 50) await clock.advance(50);
    await Promise.all(all);
    expect(log.map((e) => e.label)).toEqual(order);
  });

  it('pauses the whole account until Retry-After after a 429', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    const start = clock.now();
    const reaction = budget.onResponse(new Headers({ 'retry-after': '3' }), 429);
    // Before this budget sent anything, the 429 is someone else's doing: paused for just the same.
    expect(reaction).toEqual({ pausedMs: 3_000, scope: 'account', inherited: true });
    const log: Array<{ label: string; at: number }> = [];
    const all = [track(budget, clock, 'request', 'x', log), track(budget, clock, 'bulk-import', 'y', log)];
    await clock.advance(2_990);
    expect(log).toEqual([]);
    await clock.advance(20);
    await Promise.all(all);
    expect(log.map((e) => e.at - start)).toEqual([3_000, 3_000]);
  });

  it('treats a bulk import refused with "Rate limit exceeded." as a pause of bulk imports only', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({}, clock);
    const reaction = budget.onResponse(new Headers(), 400, { bulkRateLimited: true });
    expect(reaction.scope).toBe('bulk');
    const log: Array<{ label: string; at: number }> = [];
    const bulk = track(budget, clock, 'bulk-import', 'bulk', log);
    const read = track(budget, clock, 'request', 'read', log);
    await clock.advance(1);
    expect(log.map((e) => e.label)).toEqual(['read']);
    await clock.advance(reaction.pausedMs);
    await Promise.all([bulk, read]);
    expect(log.map((e) => e.label)).toEqual(['read', 'bulk']);
  });

  it('holds bulk imports to their per-minute window without holding back other requests', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 50, bulkPerMinute: 3 }, clock);
    const log: Array<{ label: string; at: number }> = [];
    const start = clock.now();
    const all = [
      ...Array.from({ length: 5 }, (_, i) => track(budget, clock, 'bulk-import', `bulk${i}`, log)),
      track(budget, clock, 'request', 'poll', log),
    ];
    await clock.advance(100);
    expect(log.map((e) => e.label)).toEqual(['bulk0', 'bulk1', 'bulk2', 'poll']);
    for (let t = 0; t < 70_000 && log.length < 6; t += 500) await clock.advance(500);
    await Promise.all(all);
    expect(log.map((e) => e.label)).toEqual(['bulk0', 'bulk1', 'bulk2', 'poll', 'bulk3', 'bulk4']);
    expect((log[4]?.at ?? 0) - start).toBeGreaterThanOrEqual(60_000);
  });

  it('counts single-contact imports against their own, smaller window', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 100, bulkSinglePerMinute: 2 }, clock);
    const log: Array<{ label: string; at: number }> = [];
    const all = [
      track(budget, clock, 'bulk-import-single', 's0', log),
      track(budget, clock, 'bulk-import-single', 's1', log),
      track(budget, clock, 'bulk-import-single', 's2', log),
      track(budget, clock, 'bulk-import', 'm0', log),
    ];
    await clock.advance(10);
    expect(log.map((e) => e.label)).toEqual(['s0', 's1', 'm0']);
    await clock.advance(61_000);
    await Promise.all(all);
    expect(log.map((e) => e.label)).toEqual(['s0', 's1', 'm0', 's2']);
  });

  it('drops an aborted waiter without counting it, and the queue moves on', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 1 }, clock);
    (await budget.acquire('request')).done();
    const controller = new AbortController();
    const aborted = budget.acquire('request', controller.signal);
    const log: Array<{ label: string; at: number }> = [];
    const next = track(budget, clock, 'request', 'next', log);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await clock.advance(1_100);
    await next;
    expect(log.map((e) => e.label)).toEqual(['next']);
    expect(budget.stats().granted.request).toBe(2);
  });

  it('counts what RateLimit-Remaining says others used, never our own traffic twice', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    (await budget.acquire('request')).done();
    // Our one request and three others in the server's window (5 - 1 remaining): one more fits now, no more.
    expect(budget.onResponse(new Headers({ 'ratelimit-remaining': '1' }), 200)).toEqual({ pausedMs: 0, scope: 'none' });
    expect(budget.stats().foreignCounted).toBe(3);
    const log: Array<{ label: string; at: number }> = [];
    const all = ['a', 'b'].map((label) => track(budget, clock, 'request', label, log));
    await clock.advance(100);
    expect(log.map((e) => e.label)).toEqual(['a']);
    await clock.advance(1_000);
    await Promise.all(all);
    expect(log.map((e) => e.label)).toEqual(['a', 'b']);
    // At full speed our own five drive Remaining to 0: nothing more is counted.
    for (let i = 0; i < 4; i++) (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'ratelimit-remaining': '0' }), 200).scope).toBe('none');
    expect(budget.stats().foreignCounted).toBe(3);
  });

  it('says nothing remains at start: waits a full window before the next request', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'ratelimit-remaining': '0' }), 200)).toEqual({ pausedMs: 1_025, scope: 'account' });
  });

  it('starts gently: one request at a time until an answer says what is left', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    const tickets = [budget.acquire('request'), budget.acquire('request'), budget.acquire('request')];
    const granted: number[] = [];
    tickets.forEach((t, i) => void t.then(() => granted.push(i)));
    await clock.advance(2_000);
    expect(granted).toEqual([0]);
    // A refusal teaches nothing of the window: still one at a time.
    (await tickets[0])?.done();
    budget.onResponse(new Headers({ 'retry-after': '1' }), 429);
    await clock.advance(1_100);
    expect(granted).toEqual([0, 1]);
    // An answer with RateLimit-Remaining ends the gentle start: the rest go at once.
    (await tickets[1])?.done();
    budget.onResponse(new Headers({ 'ratelimit-remaining': '4', 'ratelimit-limit': '5' }), 200);
    await clock.advance(1);
    expect(granted).toEqual([0, 1, 2]);
  });

  it('tells a 429 for a budget used before this process from one this process caused', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'retry-after': '1' }), 429).inherited).toBe(true);
    await clock.advance(1_000);
    // A server that sends no RateLimit-Remaining: within the first window, fewer of ours than the limit.
    (await budget.acquire('request')).done();
    budget.onResponse(new Headers(), 200);
    (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'retry-after': '1' }), 429).inherited).toBe(true);
    expect(budget.stats()).toMatchObject({ pauses: 2, inheritedPauses: 2 });
    // Later in the run, a 429 is this run's (or a neighbour's) rate limiting: reported as such.
    await clock.advance(5_000);
    (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'retry-after': '1' }), 429).inherited).toBeUndefined();
    expect(budget.stats()).toMatchObject({ pauses: 3, inheritedPauses: 2 });
  });

  it('after RateLimit-Remaining was read, a 429 is never taken for inherited', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 5 }, clock);
    (await budget.acquire('request')).done();
    budget.onResponse(new Headers({ 'ratelimit-remaining': '4' }), 200);
    (await budget.acquire('request')).done();
    expect(budget.onResponse(new Headers({ 'retry-after': '1' }), 429).inherited).toBeUndefined();
  });

  it('a bulk refusal before this process sent its share of imports is inherited', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ bulkPerMinute: 3 }, clock);
    (await budget.acquire('request')).done();
    budget.onResponse(new Headers({ 'ratelimit-remaining': '4' }), 200);
    (await budget.acquire('bulk-import')).done();
    expect(budget.onResponse(new Headers(), 400, { bulkRateLimited: true, kind: 'bulk-import' }).inherited).toBe(true);
    // Past the first minute of our imports, a refusal says the account's imports are used up while we run.
    await clock.advance(61_000);
    (await budget.acquire('bulk-import')).done();
    expect(budget.onResponse(new Headers(), 400, { bulkRateLimited: true, kind: 'bulk-import' }).inherited).toBeUndefined();
  });

  it('counts a request in flight until its response, and from then on for a full window', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget({ requestsPerSecond: 2 }, clock);
    // Past the gentle start (an answer with nothing of others in the window), so two may be in flight.
    budget.onResponse(new Headers({ 'ratelimit-remaining': '2' }), 200);
    const start = clock.now();
    const first = await budget.acquire('request');
    const second = await budget.acquire('request');
    const log: Array<{ label: string; at: number }> = [];
    const third = track(budget, clock, 'request', 'third', log);
    // Slow answers: long after a window from the send, the two are still in flight and hold the window.
    await clock.advance(1_500);
    expect(log).toEqual([]);
    first.done();
    second.done();
    await clock.advance(1_000);
    expect(log).toEqual([]);
    await clock.advance(100);
    await third;
    expect((log[0]?.at ?? 0) - start).toBe(1_500 + 1_000 + 25);
  });

  it('adopts a lower RateLimit-Limit announced by the server', () => {
    const budget = new RateBudget({ requestsPerSecond: 5 }, new FakeClock());
    budget.onResponse(new Headers({ 'ratelimit-limit': '2' }), 200);
    expect(budget.currentLimits.requestsPerSecond).toBe(2);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['30', 30_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s -> %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
