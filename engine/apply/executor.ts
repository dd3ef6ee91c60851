/**
 * The apply executor: the only place that writes to ActiveCampaign. It turns an ExportPlan into bulk imports
 * (creates, updates, subscribes, unsubscribes) and the few per-contact calls bulk import cannot do (re-subscribing),
 * waits for every batch, maps failures back to contacts, and records each contact's outcome.
 *
 * Why this never duplicates or loses a contact: bulk import upserts by email, so resending a batch (after a timeout,
 * an `interrupted` batch or a crash) updates the same contacts again instead of creating new ones; and a rerun plans
 * afresh from what ActiveCampaign holds, so whatever did not land is simply still in the next plan.
 */
import pMap from 'p-map';
import type { ActiveCampaignWriter } from '../activecampaign/api.ts';
import { systemClock, type SleepClock } from '../clock.ts';
import type { EventSink } from '../events.ts';
import { WRITE_ACTIONS, type Change, type ChangeAction } from '../model.ts';
import type { SeenRefusal } from '../refusals/memory.ts';
import { DEFAULT_POLL_SPACING_MS, mapLazily, packBatches, PollSpacer, sendAndWait, splitBatches, type Refusal } from './batches.ts';
import { errorReason } from './failure-reason.ts';
import { applyOneByOne } from './one-by-one.ts';
import { toEntry, type Entry } from './payloads.ts';
import { resubscribe } from './resubscribe.ts';
import { redactChange, scrubSensitive } from '../sensitive.ts';

/** How many times a whole batch is resent after it ended `failed` or `interrupted` (resending is safe: upsert by email). */
export const BATCH_RESENDS = 3;
/**
 * At most this many writes go one contact at a time (contact/sync, contactLists, contactTags) instead of through
 * a bulk import. ActiveCampaign advises the contacts API below 10 contacts (bulk-import-contacts); at about three
 * requests a contact and 5 requests/s, a handful of contacts is also done before a bulk batch would have finished
 * processing, which is what makes `acsync watch` quick on a small edit.
 */
export const ONE_BY_ONE_MAX = 5;
/** Batches queued or in flight at once. The account's rate budget, not this number, sets the pace. */
export const DEFAULT_BATCH_CONCURRENCY = 16;
export interface ApplyInput {
  export: string;
  listId: string;
  changes: readonly Change[];
  api: ActiveCampaignWriter;
  /** Custom field ids by personalization tag. */
  fieldIds: ReadonlyMap<string, string>;
  /**
   * contactTag ids of acsync's unsubscribed-tag, by contact id, as planning read them: a stale one (on a contact
   * planned for unsubscribe, so re-subscribed by someone since) is detached before acsync unsubscribes again.
   */
  unsubscribedTagLinks: ReadonlyMap<string, string>;
  /** The id of acsync's unsubscribed-tag for this list (absent when the tag does not exist: nobody can be re-subscribed). */
  unsubscribedTagId?: string;
  /** Tag ids already known (from planning), by name: saves a lookup per tag. */
  knownTagIds?: ReadonlyMap<string, string>;
  /** Extra tags the export puts on every contact it writes. */
  extraTags?: readonly string[];
  excludeAutomations?: boolean;
  /** Personalization tags of sensitive fields: their values are sent, never put in an event or a failure. */
  sensitive?: readonly string[];
  sink: EventSink;
  /** When aborted, no new batch is sent; batches already sent are still awaited and accounted for. */
  signal?: AbortSignal;
  concurrency?: number;
  /** Minimum time between two batch-status polls of this apply (scale down with the account's rate limit). */
  pollSpacingMs?: number;
  /** Time (engine/clock.ts): durations and the spacing of polls. */
  clock?: SleepClock;
}

export interface ContactFailure {
  email: string;
  action: ChangeAction;
  reason: string;
}

export interface ApplyOutcome {
  applied: number;
  failed: number;
  /** Whole bulk batches sent again after they ended failed or interrupted, or outlasted their wait. */
  batchesResent: number;
  /** The failed changes ActiveCampaign itself turned down (remembered by apply-export.ts, engine/refusals/). */
  refusals: SeenRefusal[];
  /** Changes not attempted because the run was stopped (SIGINT). */
  notAttempted: number;
  failures: ContactFailure[];
  interrupted: boolean;
  durationMs: number;
}

const WRITES: ReadonlySet<ChangeAction> = new Set(WRITE_ACTIONS);

export async function applyChanges(input: ApplyInput): Promise<ApplyOutcome> {
  const clock = input.clock ?? systemClock;
  const started = clock.now();
  const poller = new PollSpacer(input.pollSpacingMs ?? DEFAULT_POLL_SPACING_MS, clock);
  const writes = input.changes.filter((c) => WRITES.has(c.action));
  const outcome: ApplyOutcome = { applied: 0, failed: 0, batchesResent: 0, refusals: [], notAttempted: 0, failures: [], interrupted: false, durationMs: 0 };
  input.sink({ type: 'apply:start', export: input.export, total: writes.length });

  const sensitive = new Set(input.sensitive ?? []);
  const ok = (change: Change): void => {
    outcome.applied++;
    input.sink({ type: 'change:applied', export: input.export, change: redactChange(change, sensitive) });
  };
  const fail = (change: Change, why: string, refusal?: Refusal): void => {
    // ActiveCampaign's refusals may quote the value ("The custom field value `…` could not be saved").
    const reason = scrubSensitive(why, change, sensitive);
    outcome.failed++;
    if (refusal !== undefined) outcome.refusals.push({ change, ...refusal });
    outcome.failures.push({ email: change.email, action: change.action, reason });
    input.sink({ type: 'change:failed', export: input.export, email: change.email, action: change.action, reason });
  };

  // Re-subscribing is the one thing bulk import cannot do (its `subscribe` never re-adds someone who unsubscribed),
  // so those go one by one through /contactLists, before the bulk work. Field changes ride along in the bulk batches.
  const resubscribes = writes.filter((c) => c.action === 'resubscribe');
  const resubscribed = new Set<Change>();
  for (const change of resubscribes) {
    if (input.signal?.aborted) break;
    try {
      await resubscribe(input, change);
      resubscribed.add(change);
    } catch (err) {
      fail(change, errorReason(err));
    }
  }

  // A contact planned for unsubscribe is active now; if it still carries acsync's unsubscribed tag from an earlier
  // round, someone re-subscribed it since. Detach that tag first, so the tag acsync puts on now carries the date of
  // this unsubscribe (engine/consent.ts compares it with the membership's dates). A failure here skips the contact.
  const staleDetachFailed = new Set<Change>();
  for (const change of writes) {
    if (change.action !== 'unsubscribe' || change.contactId === undefined) continue;
    const link = input.unsubscribedTagLinks.get(change.contactId);
    if (link === undefined || input.signal?.aborted) continue;
    try {
      await input.api.removeContactTag(link);
    } catch (err) {
      staleDetachFailed.add(change);
      fail(change, `not unsubscribed: could not first detach acsync's earlier unsubscribed tag (${errorReason(err)})`);
    }
  }

  const toSend: Change[] = [];
  for (const change of writes) {
    if (staleDetachFailed.has(change)) continue;
    if (change.action === 'resubscribe') {
      if (!resubscribed.has(change)) continue;
      if (change.fieldChanges === undefined || change.fieldChanges.length === 0) {
        ok(change);
        continue;
      }
    }
    toSend.push(change);
  }

  // contact/sync and contactLists have no exclude_automations: with it set, small changes go by bulk import too.
  if (toSend.length > 0 && toSend.length <= ONE_BY_ONE_MAX && input.excludeAutomations !== true) {
    outcome.notAttempted += await applyOneByOne(input, toSend.map((c) => toEntry(input, c)), ok, fail);
    outcome.interrupted = input.signal?.aborted === true && outcome.notAttempted > 0;
    outcome.durationMs = clock.now() - started;
    return outcome;
  }

  // Built batch by batch as p-map asks for the next one: a million contacts' bulk payloads never exist at once.
  const batches = packBatches(mapLazily(toSend, (c) => toEntry(input, c)));
  let batchSeq = 0;
  const retryLater: Entry[] = [];
  let sent = 0;

  const runBatch = async (batch: Entry[], attempt: number): Promise<void> => {
    const id = `${input.export}#${++batchSeq}`;
    const result = await sendAndWait(input, batch, id, poller);
    if (result.notSent) {
      // Stopped while the batch waited for the rate budget: it never left, so it is "not attempted", not failed.
      outcome.notAttempted += batch.length;
      if (attempt === 1) sent -= batch.length;
      input.sink({ type: 'batch:done', export: input.export, kind: 'bulk_import', id, contacts: batch.length, succeeded: 0, failed: 0 });
      return;
    }
    input.sink({
      type: 'batch:done',
      export: input.export,
      kind: 'bulk_import',
      id,
      contacts: batch.length,
      succeeded: result.succeeded.length,
      failed: result.failed.length,
    });
    for (const e of result.succeeded) ok(e.change);
    if (result.wholeBatchFailed && attempt < BATCH_RESENDS && !input.signal?.aborted) {
      outcome.batchesResent++;
      await runBatch(batch, attempt + 1);
      return;
    }
    for (const { entry, reason, refusal } of result.failed) {
      // One more chance in a later batch for contacts that failed inside an otherwise good batch: such failures
      // are often transient on ActiveCampaign's side, and a resend is an idempotent upsert.
      if (attempt === 1 && !result.wholeBatchFailed && !result.permanent.has(entry)) retryLater.push(entry);
      else fail(entry.change, reason, refusal);
    }
  };

  await pMap(
    batches,
    async (batch) => {
      if (input.signal?.aborted) {
        outcome.notAttempted += batch.length;
        return;
      }
      sent += batch.length;
      await runBatch(batch, 1);
    },
    { concurrency: input.concurrency ?? DEFAULT_BATCH_CONCURRENCY },
  );

  if (retryLater.length > 0 && !input.signal?.aborted) {
    const pending = retryLater.splice(0);
    await pMap(splitBatches(pending), (batch) => runBatch(batch, 2), { concurrency: input.concurrency ?? DEFAULT_BATCH_CONCURRENCY });
  } else {
    for (const entry of retryLater) fail(entry.change, 'failed inside its bulk import batch; not retried because the run was stopped');
  }

  outcome.interrupted = input.signal?.aborted === true && sent < toSend.length;
  outcome.durationMs = clock.now() - started;
  return outcome;
}
