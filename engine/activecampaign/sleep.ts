/** Waits `ms`, or rejects with the signal's own reason when it aborts first (so callers see what aborted them). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    if (ms <= 0) return resolve();
    // setTimeout takes at most 2^31-1 ms (a longer wait fires at once, with a TimeoutOverflowWarning).
    ms = Math.min(ms, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The longest delay setTimeout takes (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
