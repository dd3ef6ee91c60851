/**
 * The engine's one source of time: what the rate budget waits on, what apply spaces its polls with, what watch
 * debounces and schedules with. Everything that reads or waits for time takes this (or the part of it it needs),
 * so tests move time by hand instead of waiting for it.
 */
import { sleep } from './activecampaign/sleep.ts';

export type TimerHandle = { readonly id: unknown };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once after `ms` (watch's debounce, schedules and shutdown wait). */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The parts of the clock that waiting code needs (the rate budget, apply). */
export type SleepClock = Pick<Clock, 'now' | 'sleep'>;
/** The parts of the clock that timer code needs (watch). */
export type TimerClock = Pick<Clock, 'now' | 'setTimer' | 'clearTimer'>;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
  setTimer(fn, ms) {
    return { id: setTimeout(fn, ms) };
  },
  clearTimer(handle) {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
};
