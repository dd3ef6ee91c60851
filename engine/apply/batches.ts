/**
 * Batching: changes packed into bulk imports that fit ActiveCampaign's limits (engine/activecampaign/limits.ts),
 * each sent, polled until ActiveCampaign has processed it, and its failures mapped back to contacts.
 */
import type { BulkBatchInfo } from '../activecampaign/api.ts';
import type { SleepClock } from '../clock.ts';
import { BULK_IMPORT_ENVELOPE_BYTES, BULK_IMPORT_MAX_BYTES, BULK_IMPORT_MAX_CONTACTS } from '../activecampaign/limits.ts';
import { findSilentSkips, SILENT_SKIP_REASON } from '../activecampaign/silent-skips.ts';
import { waitForBatch } from '../activecampaign/wait-for-batch.ts';
import type { ApplyInput } from './executor.ts';
import { errorReason } from './failure-reason.ts';
import type { Entry } from './payloads.ts';
import type { RefusalKind } from '../refusals/memory.ts';

/** A failure entry of a completed batch (its reasons are not given: the docs' example is an address it will not store). */
const BATCH_FAILURE_REFUSAL: Refusal = { kind: 'refused', reason: 'failed in its bulk import batch' };
const SILENT_SKIP_REFUSAL: Refusal = { kind: 'not-on-list-after-import', reason: 'not on the list after import' };

/**
 * The first poll of a batch comes after the time ActiveCampaign usually takes for one (about 2 s, see the
 * emulator's DEFAULT_BULK_DELAY_MS), so most batches need a single poll; later polls back off to POLL_MAX_MS.
 * Both scale with pollSpacingMs (an account with higher limits, such as a scaled emulator, is polled faster).
 */
const POLL_START_MS = 2_000;
const POLL_MAX_MS = 5_000;
/**
 * Polls spend the same 5 requests/second as the imports, so all polls of one apply are spaced at least this far
 * apart (2.5/s, half the budget). A batch usually needs one poll, so while the bulk window still has room (the
 * first 100 imports of a minute can go at once) polls keep pace with imports one for one; afterwards imports
 * run at 100/min (1.7/s) and the polls with them, leaving ~1.7 req/s for reads and other exports. At 2/s
 * (500 ms) polls held a burst of imports to 80% of the account's rate (measured, BENCHMARKS.md).
 */
export const DEFAULT_POLL_SPACING_MS = 400;

/** Packs entries into batches of at most 250 contacts and under 400,000 bytes, keeping plan order. */
export function splitBatches<T extends { bytes: number }>(entries: readonly T[]): T[][] {
  return [...packBatches(entries)];
}

/** splitBatches, one batch at a time. */
export function* packBatches<T extends { bytes: number }>(entries: Iterable<T>): Generator<T[]> {
  let current: T[] = [];
  let bytes = BULK_IMPORT_ENVELOPE_BYTES;
  for (const e of entries) {
    if (current.length > 0 && (current.length >= BULK_IMPORT_MAX_CONTACTS || bytes + e.bytes >= BULK_IMPORT_MAX_BYTES)) {
      yield current;
      current = [];
      bytes = BULK_IMPORT_ENVELOPE_BYTES;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) yield current;
}

export function* mapLazily<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** A contact ActiveCampaign itself turned down: remembered, so the next plan does not send it again (engine/refusals/). */
export interface Refusal {
  kind: RefusalKind;
  reason: string;
}

export interface BatchResult {
  succeeded: Entry[];
  failed: Array<{ entry: Entry; reason: string; refusal?: Refusal }>;
  /** The batch as a whole did not land (failed/interrupted/never queued): resending it may help. */
  wholeBatchFailed: boolean;
  /** Entries whose failure is the contact's own (validation): resending will not help. */
  permanent: Set<Entry>;
  /** The run was stopped before the batch was sent (it waited for the rate budget): nothing of it left. */
  notSent?: boolean;
}

/** Sends one batch and waits for ActiveCampaign to process it; never throws. */
export async function sendAndWait(input: ApplyInput, batch: Entry[], id: string, poller: PollSpacer): Promise<BatchResult> {
  const permanent = new Set<Entry>();
  let toSend = batch;
  const failed: BatchResult['failed'] = [];
  let batchId: string;
  try {
    input.sink({ type: 'batch:sent', export: input.export, kind: 'bulk_import', id, contacts: batch.length });
    // The signal only cancels the wait for the budget: once on the wire, the import is awaited (client.ts).
    batchId = (
      await input.api.bulkImport(
        toSend.map((e) => e.contact),
        { excludeAutomations: input.excludeAutomations ?? false, ...(input.signal ? { signal: input.signal } : {}) },
      )
    ).batchId;
  } catch (err) {
    if (input.signal?.aborted === true && err === input.signal.reason) return { succeeded: [], failed: [], wholeBatchFailed: false, permanent, notSent: true };
    // ActiveCampaign refused the whole payload because of some contacts: nothing was queued. Set those aside with
    // their reasons and send the rest, reading the reasons of every refusal again while each one names someone new
    // (AC may list only the first few bad contacts: one bad contact must not fail the other 249).
    let refusal: unknown = err;
    for (;;) {
      const reasons = validationReasons(refusal);
      if (reasons === undefined) {
        return { succeeded: [], failed: [...failed, ...toSend.map((entry) => ({ entry, reason: errorReason(refusal) }))], wholeBatchFailed: true, permanent };
      }
      const rest: Entry[] = [];
      toSend.forEach((entry, i) => {
        const reason = reasons.get(i);
        if (reason === undefined) rest.push(entry);
        else {
          failed.push({ entry, reason: `rejected by ActiveCampaign: ${reason}`, refusal: { kind: 'refused', reason } });
          permanent.add(entry);
        }
      });
      if (rest.length === toSend.length) {
        // No progress: the reasons name nobody in this payload.
        return { succeeded: [], failed: [...failed, ...toSend.map((entry) => ({ entry, reason: errorReason(refusal) }))], wholeBatchFailed: true, permanent };
      }
      toSend = rest;
      if (toSend.length === 0) return { succeeded: [], failed, wholeBatchFailed: false, permanent };
      try {
        batchId = (await input.api.bulkImport(toSend.map((e) => e.contact), { excludeAutomations: input.excludeAutomations ?? false })).batchId;
        break;
      } catch (err2) {
        refusal = err2;
      }
    }
  }

  let info: BulkBatchInfo;
  try {
    info = await waitForBatch(input.api, batchId, {
      pollMs: Math.max(1, Math.round(POLL_START_MS * poller.scale)),
      maxPollMs: Math.max(1, Math.round(POLL_MAX_MS * poller.scale)),
      sleep: (ms) => poller.slot(ms),
      onWaiting: (w) => input.sink({ type: 'batch:waiting', export: input.export, id, ...w }),
    });
  } catch (err) {
    return { succeeded: [], failed: [...failed, ...toSend.map((entry) => ({ entry, reason: errorReason(err) }))], wholeBatchFailed: true, permanent };
  }
  if (info.status !== 'completed') {
    // An interrupted batch may have applied some of its contacts, and ActiveCampaign does not say which: say so,
    // rather than let "failed" read as "untouched".
    const reason =
      info.status === 'interrupted'
        ? "bulk import batch ended 'interrupted' (ActiveCampaign may have applied part of it; the next plan shows what is still missing)"
        : `bulk import batch ended '${String(info.status)}'`;
    return { succeeded: [], failed: [...failed, ...toSend.map((entry) => ({ entry, reason }))], wholeBatchFailed: true, permanent };
  }
  const failedEmails = new Set(info.failure.map((e) => e.trim().toLowerCase()));
  const creates = toSend.filter((e) => e.change.action === 'create' && !failedEmails.has(e.change.key)).map((e) => e.change.email);
  const skipped = await findSilentSkips(input.api, creates, info.success.length).catch(() => new Set<string>());
  const succeeded: Entry[] = [];
  for (const entry of toSend) {
    if (failedEmails.has(entry.change.key)) failed.push({ entry, reason: 'ActiveCampaign reported this contact as failed in its bulk import batch', refusal: BATCH_FAILURE_REFUSAL });
    else if (skipped.has(entry.change.email)) {
      failed.push({ entry, reason: SILENT_SKIP_REASON, refusal: SILENT_SKIP_REFUSAL });
      permanent.add(entry);
    } else succeeded.push(entry);
  }
  return { succeeded, failed, wholeBatchFailed: false, permanent };
}

/** Hands out poll times at least `spacingMs` apart across all batches of one apply. */
export class PollSpacer {
  private next = 0;
  constructor(
    private readonly spacingMs: number,
    private readonly clock: SleepClock,
  ) {}

  /** How much slower than at ActiveCampaign's real limits this account is polled (1 at real limits). */
  get scale(): number {
    return this.spacingMs / DEFAULT_POLL_SPACING_MS;
  }

  /** Waits at least `minWait`, and until this apply's next free poll slot. */
  async slot(minWait: number): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now + minWait, this.next);
    this.next = at + this.spacingMs;
    await this.clock.sleep(at - now);
  }
}

function validationReasons(err: unknown): Map<number, string> | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const reasons = (err as { failureReasons?: unknown }).failureReasons;
  if (!Array.isArray(reasons)) return undefined;
  const out = new Map<number, string>();
  for (const r of reasons) {
    if (typeof r === 'object' && r !== null && typeof (r as { contact?: unknown }).contact === 'number') {
      out.set((r as { contact: number }).contact, String((r as { failureReason?: unknown }).failureReason ?? 'invalid'));
    }
  }
  return out.size > 0 ? out : undefined;
}
