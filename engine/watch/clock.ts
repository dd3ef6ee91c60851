/**
 * The time source of watch mode (debounce, schedules, the shutdown wait), injectable so that tests move time
 * by hand instead of waiting for it.
 */

export type TimerHandle = { readonly id: unknown };

export interface TimerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    return { id: setTimeout(fn, ms) };
  },
  clearTimer(handle) {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
};
