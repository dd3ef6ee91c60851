/**
 * Keeps the heap of a long apply near what is really alive. Apply is bound by ActiveCampaign's rate limits, not by
 * CPU: for most of a 40-minute run the process waits. Meanwhile its batches (alive from the moment they are built
 * until their poll) get promoted to V8's old generation, and without a heap cap V8 lets the old generation grow to
 * 4× what was alive at its last full collection before collecting again: with a 1,000,000-contact plan (~315 MB
 * alive) the process peaked at 832 MB (BENCHMARKS.md). A full collection whenever the heap has grown by
 * HEAP_SLACK_BYTES since the last one costs a few hundred milliseconds every half minute or so at the fastest,
 * which the waits absorb, and bounds the peak at what is alive plus the slack.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Garbage allowed to pile up before a full collection. */
export const HEAP_SLACK_BYTES = 128 * 1024 * 1024;
/** How often the heap is looked at: cheap (one V8 call). */
const CHECK_EVERY_MS = 1_000;
/** Below this, nothing is done: small runs never pay for a collection. */
const MIN_HEAP_BYTES = 256 * 1024 * 1024;

/**
 * V8's full collection: the `gc` of a process started with --expose-gc, else the one V8 puts in every context
 * created after the flag is set at run time (v8.setFlagsFromString, then a new vm context: the flag only decides
 * whether new contexts get a `gc`). That spares `apply` and `watch` a second process started just for the flag,
 * which a SIGKILL to the first would leave running. Null if V8 refuses: the keeper then does nothing.
 */
export function fullGc(): (() => void) | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc === 'function') return gc as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const exposed: unknown = vm.runInNewContext('gc');
    return typeof exposed === 'function' ? (exposed as () => void) : null;
  } catch {
    return null;
  }
}

export interface HeapKeeperOptions {
  slackBytes?: number;
  minHeapBytes?: number;
  everyMs?: number;
  /** Told the heap size before and after each collection (tests, diagnostics). */
  onCollect?: (before: number, after: number) => void;
}

/** Starts watching the heap; the returned function stops it. Does nothing where V8's collector cannot be reached. */
export function keepHeapCompact(o: HeapKeeperOptions = {}): () => void {
  const gc = fullGc();
  if (gc === null) return () => undefined;
  const slack = o.slackBytes ?? HEAP_SLACK_BYTES;
  const min = o.minHeapBytes ?? MIN_HEAP_BYTES;
  let floor = 0;
  const timer = setInterval(() => {
    const used = v8.getHeapStatistics().used_heap_size;
    if (used < min || used < floor + slack) return;
    gc();
    floor = v8.getHeapStatistics().used_heap_size;
    o.onCollect?.(used, floor);
  }, o.everyMs ?? CHECK_EVERY_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}
