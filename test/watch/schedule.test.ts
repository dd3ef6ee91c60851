import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, Schedule } from '../../engine/watch/schedule.ts';
import { ManualClock } from './fakes.ts';

describe('Schedule (croner, on an injected clock)', () => {
  it('fires at each occurrence and re-arms for the next', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T08:00:30Z'));
    const fired: string[] = [];
    const armed: Array<number | null> = [];
    const s = new Schedule({
      expression: '*/5 * * * *',
      timezone: 'UTC',
      clock,
      onFire: () => fired.push(new Date(clock.now()).toISOString()),
      onArm: (n) => armed.push(n),
    });
    s.start();
    expect(armed).toEqual([Date.parse('2026-03-02T08:05:00Z')]);
    await clock.advanceTo('2026-03-02T08:04:59Z');
    expect(fired).toEqual([]);
    await clock.advanceTo('2026-03-02T08:10:00Z');
    expect(fired).toEqual(['2026-03-02T08:05:00.000Z', '2026-03-02T08:10:00.000Z']);
    s.stop();
    await clock.advanceTo('2026-03-02T09:00:00Z');
    expect(fired).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('reads the expression in the configured time zone', () => {
    const clock = new ManualClock(Date.parse('2026-07-01T00:00:00Z'));
    const paris = new Schedule({ expression: '0 2 * * *', timezone: 'Europe/Paris', clock, onFire: () => {} });
    const ny = new Schedule({ expression: '0 2 * * *', timezone: 'America/New_York', clock, onFire: () => {} });
    // 02:00 in Paris in summer is 00:00 UTC; in New York it is 06:00 UTC.
    expect(new Date(paris.nextAfter(clock.now())!).toISOString()).toBe('2026-07-02T00:00:00.000Z');
    expect(new Date(ny.nextAfter(clock.now())!).toISOString()).toBe('2026-07-01T06:00:00.000Z');
  });

  it('a due time beyond what one timer can hold re-arms without firing early', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const fired: number[] = [];
    // Once a year: further away than setTimeout's limit.
    const s = new Schedule({ expression: '0 0 1 1 *', timezone: 'UTC', clock, onFire: () => fired.push(clock.now()) });
    s.start();
    await clock.advance(MAX_TIMER_MS + 1000);
    expect(fired).toEqual([]);
    await clock.advanceTo('2027-01-01T00:00:00Z');
    expect(fired).toEqual([Date.parse('2027-01-01T00:00:00Z')]);
    s.stop();
  });
});
