/**
 * Waiting for a bulk import batch to finish. Polls spend the same account budget as imports (5 requests/second),
 * so they start slow and get slower: a batch of 250 contacts takes seconds, and every poll saved is a request
 * another export can use.
 */
import type { ActiveCampaignApi, BulkBatchInfo } from './api.ts';
import { BatchTimeoutError } from './errors.ts';
import { sleep as defaultSleep } from './sleep.ts';

/** First poll after this long: ActiveCampaign answers `status: false` when polled within about a second. */
export const BATCH_POLL_START_MS = 1_000;
/** Polls back off by this factor up to BATCH_POLL_MAX_MS. */
const BATCH_POLL_BACKOFF = 1.5;
export const BATCH_POLL_MAX_MS = 5_000;
/**
 * A batch still unfinished after this long is given up on (its contacts can be sent again: imports upsert),
 * unless the account's import queue is long: then the wait grows by QUEUED_BATCH_MS for each batch outstanding
 * (AC's own example shows 333 outstanding in one day), up to BATCH_MAX_WAIT_CAP_MS. A batch AC still holds is
 * not resent before that.
 */
export const BATCH_MAX_WAIT_MS = 15 * 60_000;
export const QUEUED_BATCH_MS = 3_000;
export const BATCH_MAX_WAIT_CAP_MS = 6 * 3600_000;
/** Progress of a long wait is reported about this often (never an ETA: AC gives none). */
export const WAIT_REPORT_EVERY_MS = 60_000;

const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

export interface WaitForBatchOptions {
  signal?: AbortSignal;
  /** First poll interval (then backing off to maxPollMs). */
  pollMs?: number;
  maxPollMs?: number;
  maxWaitMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Called about every WAIT_REPORT_EVERY_MS while the batch is not finished: how long it has waited, its status. */
  onWaiting?: (info: { batchId: string; waitedMs: number; status: string; outstanding?: number }) => void;
  reportEveryMs?: number;
}

/** Polls until the batch is completed, failed or interrupted; BatchTimeoutError past maxWaitMs. */
export async function waitForBatch(api: ActiveCampaignApi, batchId: string, options: WaitForBatchOptions = {}): Promise<BulkBatchInfo> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const maxPollMs = options.maxPollMs ?? BATCH_POLL_MAX_MS;
  const maxWaitMs = options.maxWaitMs ?? BATCH_MAX_WAIT_MS;
  const reportEvery = options.reportEveryMs ?? WAIT_REPORT_EVERY_MS;
  const started = now();
  let deadline = maxWaitMs;
  let queueChecked = false;
  let outstanding: number | undefined;
  let reportedAt = 0;
  let interval = options.pollMs ?? BATCH_POLL_START_MS;
  for (;;) {
    await sleep(interval, options.signal);
    const info = await api.bulkStatus(batchId, options.signal);
    if (info.status !== false && TERMINAL.has(info.status)) return info;
    const waited = now() - started;
    if (waited + interval > deadline && !queueChecked && api.bulkQueueLength !== undefined) {
      // Past the base wait: a long queue at AC earns the batch more time (once, from the queue's length now).
      queueChecked = true;
      outstanding = await api.bulkQueueLength(options.signal).catch(() => undefined);
      if (outstanding !== undefined) deadline = Math.min(BATCH_MAX_WAIT_CAP_MS, Math.max(deadline, maxWaitMs + outstanding * QUEUED_BATCH_MS));
    }
    if (waited + interval > deadline) throw new BatchTimeoutError(api.connection, batchId, waited, String(info.status));
    if (options.onWaiting !== undefined && waited - reportedAt >= reportEvery) {
      reportedAt = waited;
      const report: { batchId: string; waitedMs: number; status: string; outstanding?: number } = { batchId, waitedMs: waited, status: info.status === false ? 'not yet registered' : info.status };
      if (outstanding !== undefined) report.outstanding = outstanding;
      options.onWaiting(report);
    }
    interval = Math.min(maxPollMs, Math.round(interval * BATCH_POLL_BACKOFF));
  }
}
