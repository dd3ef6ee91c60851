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
/** A batch still unfinished after this long is given up on (its contacts can be sent again: imports upsert). */
export const BATCH_MAX_WAIT_MS = 15 * 60_000;

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
}

/** Polls until the batch is completed, failed or interrupted; BatchTimeoutError past maxWaitMs. */
export async function waitForBatch(api: ActiveCampaignApi, batchId: string, options: WaitForBatchOptions = {}): Promise<BulkBatchInfo> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const maxPollMs = options.maxPollMs ?? BATCH_POLL_MAX_MS;
  const maxWaitMs = options.maxWaitMs ?? BATCH_MAX_WAIT_MS;
  const started = now();
  let interval = options.pollMs ?? BATCH_POLL_START_MS;
  for (;;) {
    await sleep(interval, options.signal);
    const info = await api.bulkStatus(batchId, options.signal);
    if (info.status !== false && TERMINAL.has(info.status)) return info;
    const waited = now() - started;
    if (waited + interval > maxWaitMs) throw new BatchTimeoutError(api.connection, batchId, waited, String(info.status));
    interval = Math.min(maxPollMs, Math.round(interval * BATCH_POLL_BACKOFF));
  }
}
