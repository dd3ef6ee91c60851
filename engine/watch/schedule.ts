/**
 * Cron schedules for watch mode. croner only computes the next occurrence; the timer comes from the injected
 * clock, so tests fire a schedule by moving a fake clock rather than waiting for the wall clock.
 */
import { Cron } from 'croner';
import type { TimerClock, TimerHandle } from '../clock.ts';

/** Node's setTimeout holds at most 2^31-1 ms (about 24.8 days; longer delays fire at once): longer waits re-arm. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The zone a schedule without `timezone` is read in. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface ScheduleOptions {
  expression: string;
  /** IANA zone; the local zone when absent. */
  timezone?: string;
  clock: TimerClock;
  onFire: () => void;
  /** Told each time the schedule is armed, with the next occurrence (null when there is none). */
  onArm?: (nextAt: number | null) => void;
}

export class Schedule {
  private readonly cron: Cron;
  private timer: TimerHandle | undefined;
  private stopped = false;
  readonly timezone: string;

  constructor(private readonly options: ScheduleOptions) {
    this.timezone = options.timezone ?? localTimeZone();
    this.cron = new Cron(options.expression, { paused: true, timezone: this.timezone });
  }

  /** The next occurrence strictly after `from` (epoch ms), or null. */
  nextAfter(from: number): number | null {
    return this.cron.nextRun(new Date(from))?.getTime() ?? null;
  }

  start(): void {
    this.arm(this.options.clock.now());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.cron.stop();
  }

  private arm(from: number): void {
    if (this.stopped) return;
    const next = this.nextAfter(from);
    this.options.onArm?.(next);
    if (next === null) return;
    this.wait(next);
  }

  private wait(due: number): void {
    const { clock } = this.options;
    const delay = Math.max(0, due - clock.now());
    this.timer = clock.setTimer(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (clock.now() < due) return this.wait(due);
      this.options.onFire();
      // From `due`, not from now: a timer that fires late must not skip, and one that fires early must not repeat.
      this.arm(Math.max(due, clock.now()));
    }, Math.min(delay, MAX_TIMER_MS));
  }
}
