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
import type { ActiveCampaignApi, BulkBatchInfo, BulkContact, SyncContact } from './activecampaign/api.ts';
import { waitForBatch } from './activecampaign/wait-for-batch.ts';
import { findSilentSkips, SILENT_SKIP_REASON } from './activecampaign/silent-skips.ts';
import { unsubscribedByAcsync } from './consent.ts';
import type { EventSink } from './events.ts';
import type { Change, ChangeAction, ContactFields } from './model.ts';
import { managedTag, unsubscribedTag } from './tags.ts';

/** ActiveCampaign bulk import: at most 250 contacts per request (developers.activecampaign.com bulk-import-contacts). */
export const BULK_MAX_CONTACTS = 250;
/** Bulk import payloads must be under 400,000 bytes; keep a margin for the envelope (activecampaign-api.md §3). */
export const BULK_MAX_BYTES = 399_000;
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

export interface ApplyInput {
  export: string;
  listId: string;
  changes: readonly Change[];
  api: ActiveCampaignApi;
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
  sink: EventSink;
  /** When aborted, no new batch is sent; batches already sent are still awaited and accounted for. */
  signal?: AbortSignal;
  concurrency?: number;
  /** Minimum time between two batch-status polls of this apply (scale down with the account's rate limit). */
  pollSpacingMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ContactFailure {
  email: string;
  action: ChangeAction;
  reason: string;
}

export interface ApplyOutcome {
  applied: number;
  failed: number;
  /** Changes not attempted because the run was stopped (SIGINT). */
  notAttempted: number;
  failures: ContactFailure[];
  interrupted: boolean;
  durationMs: number;
}

const WRITES: ReadonlySet<ChangeAction> = new Set(['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe']);

interface Entry {
  change: Change;
  contact: BulkContact;
  bytes: number;
}

export async function applyChanges(input: ApplyInput): Promise<ApplyOutcome> {
  const started = Date.now();
  const sleep = input.sleep ?? defaultSleep;
  const poller = new PollSpacer(input.pollSpacingMs ?? DEFAULT_POLL_SPACING_MS, sleep);
  const writes = input.changes.filter((c) => WRITES.has(c.action));
  const outcome: ApplyOutcome = { applied: 0, failed: 0, notAttempted: 0, failures: [], interrupted: false, durationMs: 0 };
  input.sink({ type: 'apply:start', export: input.export, total: writes.length });

  const ok = (change: Change): void => {
    outcome.applied++;
    input.sink({ type: 'change:applied', export: input.export, change });
  };
  const fail = (change: Change, reason: string): void => {
    outcome.failed++;
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
    outcome.durationMs = Date.now() - started;
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
      await runBatch(batch, attempt + 1);
      return;
    }
    for (const { entry, reason } of result.failed) {
      // One more chance in a later batch for contacts that failed inside an otherwise good batch: such failures
      // are often transient on ActiveCampaign's side, and a resend is an idempotent upsert.
      if (attempt === 1 && !result.wholeBatchFailed && !result.permanent.has(entry)) retryLater.push(entry);
      else fail(entry.change, reason);
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
  outcome.durationMs = Date.now() - started;
  return outcome;
}

/** The small-change path: each contact through the contacts API. Returns how many were not attempted (stopped). */
async function applyOneByOne(input: ApplyInput, entries: Entry[], ok: (c: Change) => void, fail: (c: Change, reason: string) => void): Promise<number> {
  const { api, listId, signal } = input;
  // `signal` only stops new contacts from starting: a contact already started is finished (its two or three
  // requests), as a bulk batch already sent is awaited, so no contact is left half written.
  const tagIds = new Map<string, string>(input.knownTagIds ?? []);
  const tagId = async (name: string): Promise<string> => {
    let id = tagIds.get(name);
    if (id === undefined) {
      id = (await api.ensureTag(name)).id;
      tagIds.set(name, id);
    }
    return id;
  };
  let notAttempted = 0;
  for (const [i, { change, contact }] of entries.entries()) {
    if (signal?.aborted) {
      notAttempted++;
      continue;
    }
    const id = `${input.export}#c${i + 1}`;
    input.sink({ type: 'batch:sent', export: input.export, kind: 'contact_list', id, contacts: 1 });
    try {
      if (change.action === 'unsubscribe') {
        if (change.contactId === undefined) throw new Error('unsubscribe needs the contact id (internal error)');
        // Unsubscribe first, then tag: a crash between the two leaves an unsubscribed contact without acsync's tag,
        // which acsync then treats as the person's own opt-out and never re-subscribes (the safe side).
        await api.setListStatus(change.contactId, listId, 2);
        for (const tag of contact.tags ?? []) await api.addContactTag(change.contactId, await tagId(tag));
      } else {
        const synced = await api.syncContact(toSyncContact(change, input.fieldIds));
        if (change.action === 'create' || change.action === 'subscribe') {
          // The contact was not on the list when planned, so this cannot undo their own unsubscribe from it;
          // resubscribes (the one case that could) never come here.
          await api.setListStatus(synced.id, listId, 1);
        }
        for (const tag of contact.tags ?? []) await api.addContactTag(synced.id, await tagId(tag));
      }
      ok(change);
      input.sink({ type: 'batch:done', export: input.export, kind: 'contact_list', id, contacts: 1, succeeded: 1, failed: 0 });
    } catch (err) {
      fail(change, errorReason(err));
      input.sink({ type: 'batch:done', export: input.export, kind: 'contact_list', id, contacts: 1, succeeded: 0, failed: 1 });
    }
  }
  return notAttempted;
}

function toSyncContact(change: Change, fieldIds: ReadonlyMap<string, string>): SyncContact {
  const after = change.after ?? { email: change.email };
  const out: SyncContact = { email: change.email };
  if (after.firstName) out.firstName = after.firstName;
  if (after.lastName) out.lastName = after.lastName;
  if (after.phone) out.phone = after.phone;
  const values: Array<{ field: string; value: string }> = [];
  for (const [perstag, value] of Object.entries(after.fields ?? {})) {
    const field = fieldIds.get(perstag);
    if (field !== undefined && value !== '') values.push({ field, value });
  }
  if (values.length > 0) out.fieldValues = values;
  return out;
}

async function resubscribe(input: ApplyInput, change: Change): Promise<void> {
  if (change.contactId === undefined) throw new Error('re-subscribe needs the contact id (internal error)');
  // Consent is checked again here, from what ActiveCampaign says now, not from the plan (which may be a saved file,
  // or hours old) or the snapshot: the person may have re-subscribed and unsubscribed themselves in between.
  const now = await input.api.readMembership(change.contactId, input.listId, input.signal);
  const tag = input.unsubscribedTagId === undefined ? undefined : now.contactTags.find((ct) => ct.tagId === input.unsubscribedTagId);
  if (now.listStatus === undefined) throw new Error('not re-subscribed: the contact is no longer on the list in ActiveCampaign');
  if (now.listStatus !== 2) throw new Error(`not re-subscribed: the contact's status on the list is now ${now.listStatus}, not unsubscribed`);
  if (!unsubscribedByAcsync({ listStatus: now.listStatus, dates: now.dates, tag })) {
    throw new Error(
      "not re-subscribed: ActiveCampaign now shows a subscribe or unsubscribe after acsync's own unsubscribe (or cannot show there was none); acsync treats this as the person's own opt-out",
    );
  }
  // Detach acsync's "unsubscribed" tag FIRST: if we crash between the two calls, the contact stays unsubscribed
  // without the tag, and the next plan then treats them as someone who opted out (safe), never the other way round.
  await input.api.removeContactTag(tag!.id);
  await input.api.setListStatus(change.contactId, input.listId, 1);
}

/**
 * The parts every contact of one apply shares (the list reference, the tag lists): built once, not once per
 * contact. A million-contact apply otherwise allocates four small objects and a tag string per contact while its
 * batches wait for the rate budget, and V8 promotes much of that to the old generation (BENCHMARKS.md).
 */
interface SharedParts {
  listRef: ReadonlyArray<{ listid: number }>;
  subscribeTags: string[] | undefined;
  unsubscribeTags: string[];
  updateTags: string[] | undefined;
}

const sharedParts = new WeakMap<ApplyInput, SharedParts>();

function partsFor(input: ApplyInput): SharedParts {
  let parts = sharedParts.get(input);
  if (parts === undefined) {
    const extra = [...(input.extraTags ?? [])];
    parts = {
      listRef: [{ listid: Number(input.listId) }],
      subscribeTags: [...extra, managedTag(input.listId)],
      unsubscribeTags: [...extra, unsubscribedTag(input.listId)],
      updateTags: extra.length > 0 ? extra : undefined,
    };
    sharedParts.set(input, parts);
  }
  return parts;
}

function toEntry(input: ApplyInput, change: Change): Entry {
  const parts = partsFor(input);
  const contact: BulkContact = { email: change.email };
  let tags: string[] | undefined;
  if (change.action === 'unsubscribe') {
    contact.unsubscribe = parts.listRef as Array<{ listid: number }>;
    tags = parts.unsubscribeTags;
  } else {
    Object.assign(contact, bulkFields(change.after, input.fieldIds));
    if (change.action === 'create' || change.action === 'subscribe') {
      contact.subscribe = parts.listRef as Array<{ listid: number }>;
      tags = parts.subscribeTags;
    } else tags = parts.updateTags;
  }
  if (tags !== undefined) contact.tags = tags;
  return { change, contact, bytes: Buffer.byteLength(JSON.stringify(contact)) + 1 };
}

/** The bulk importer's snake_case shape. Empty values are never sent: an empty string would erase what AC has. */
function bulkFields(after: ContactFields | undefined, fieldIds: ReadonlyMap<string, string>): Partial<BulkContact> {
  if (after === undefined) return {};
  const out: Partial<BulkContact> = {};
  if (after.firstName) out.first_name = after.firstName;
  if (after.lastName) out.last_name = after.lastName;
  if (after.phone) out.phone = after.phone;
  const fields: Array<{ id: number; value: string }> = [];
  for (const [perstag, value] of Object.entries(after.fields ?? {})) {
    const id = fieldIds.get(perstag);
    if (id !== undefined && value !== '') fields.push({ id: Number(id), value });
  }
  if (fields.length > 0) out.fields = fields;
  return out;
}

/** Packs entries into batches of at most 250 contacts and under 400,000 bytes, keeping plan order. */
export function splitBatches<T extends { bytes: number }>(entries: readonly T[]): T[][] {
  return [...packBatches(entries)];
}

/** splitBatches, one batch at a time. */
export function* packBatches<T extends { bytes: number }>(entries: Iterable<T>): Generator<T[]> {
  const envelope = 64; // {"contacts":[...],"exclude_automations":false}
  let current: T[] = [];
  let bytes = envelope;
  for (const e of entries) {
    if (current.length > 0 && (current.length >= BULK_MAX_CONTACTS || bytes + e.bytes > BULK_MAX_BYTES)) {
      yield current;
      current = [];
      bytes = envelope;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) yield current;
}

function* mapLazily<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

interface BatchResult {
  succeeded: Entry[];
  failed: Array<{ entry: Entry; reason: string }>;
  /** The batch as a whole did not land (failed/interrupted/never queued): resending it may help. */
  wholeBatchFailed: boolean;
  /** Entries whose failure is the contact's own (validation): resending will not help. */
  permanent: Set<Entry>;
  /** The run was stopped before the batch was sent (it waited for the rate budget): nothing of it left. */
  notSent?: boolean;
}

async function sendAndWait(input: ApplyInput, batch: Entry[], id: string, poller: PollSpacer): Promise<BatchResult> {
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
          failed.push({ entry, reason: `rejected by ActiveCampaign: ${reason}` });
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
    if (failedEmails.has(entry.change.key)) failed.push({ entry, reason: 'ActiveCampaign reported this contact as failed in its bulk import batch' });
    else if (skipped.has(entry.change.email)) {
      failed.push({ entry, reason: SILENT_SKIP_REASON });
      permanent.add(entry);
    } else succeeded.push(entry);
  }
  return { succeeded, failed, wholeBatchFailed: false, permanent };
}

/** Hands out poll times at least `spacingMs` apart across all batches of one apply. */
class PollSpacer {
  private next = 0;
  constructor(
    private readonly spacingMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** How much slower than at ActiveCampaign's real limits this account is polled (1 at real limits). */
  get scale(): number {
    return this.spacingMs / DEFAULT_POLL_SPACING_MS;
  }

  /** Waits at least `minWait`, and until this apply's next free poll slot. */
  async slot(minWait: number): Promise<void> {
    const now = Date.now();
    const at = Math.max(now + minWait, this.next);
    this.next = at + this.spacingMs;
    await this.sleep(at - now);
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

function errorReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
