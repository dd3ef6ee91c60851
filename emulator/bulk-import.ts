/**
 * POST /import/bulk_import and GET /import/info: payload validation (all or nothing), then asynchronous
 * batches that move waiting → claimed → active → completed and are applied to the store in queue order.
 */
import { randomUUID } from 'node:crypto';
import { Quirks } from './quirks.ts';
import type { BatchFault, FaultInjector } from './faults.ts';
import { isRecord, toId } from './http-io.ts';
import type { ContactRec, FieldRec, Store } from './store.ts';
import { fieldValueProblem } from './field-values.ts';
import { isDeliverableEmail, isEmailShaped } from './email-rules.ts';

/** ActiveCampaign bulk import: at most 250 contacts per request (developers.activecampaign.com bulk-import-contacts). */
export const BULK_MAX_CONTACTS = 250;
/** Payload must be under 400,000 bytes (bulk-import doc, as quoted by third parties; see shared API notes §3). */
export const BULK_MAX_BYTES = 400_000;

export const VALIDATION_MESSAGE =
  'JSON payload did not pass validation. Please fix failure Reasons and retry. The import was not queued for processing.';

export interface BulkContactIn {
  email: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  tags?: string[];
  fields?: Array<{ id: number; value: string }>;
  subscribe?: number[];
  unsubscribe?: number[];
}

export type FailureReason = string | { contact: number; failureReason: string };

export type BatchOutcome = 'completed' | 'failed' | 'interrupted';

export interface Batch {
  id: string;
  queuedAt: number;
  dueAt: number;
  /** Dropped once applied. */
  contacts: BulkContactIn[] | undefined;
  contactCount: number;
  fault: BatchFault;
  outcome?: BatchOutcome;
  success: string[];
  failure: string[];
}

/** Validates a bulk payload. Returns the contacts to queue, or every reason it was refused. */
export function validateBulkPayload(
  body: unknown,
  bytes: number,
  store: Store,
): { ok: true; contacts: BulkContactIn[] } | { ok: false; failureReasons: FailureReason[] } {
  const reasons: FailureReason[] = [];
  if (bytes >= BULK_MAX_BYTES) reasons.push(`Payload too large: ${bytes} bytes. Requests must be under ${BULK_MAX_BYTES} bytes.`);
  if (!isRecord(body) || !Array.isArray(body['contacts'])) return { ok: false, failureReasons: [...reasons, "'contacts' is a required field."] };
  const raw = body['contacts'] as unknown[];
  if (raw.length === 0) reasons.push("'contacts' must contain at least one contact.");
  if (raw.length > BULK_MAX_CONTACTS) reasons.push(`Too many contacts: ${raw.length}. Up to ${BULK_MAX_CONTACTS} contacts may be imported per request.`);
  if (body['exclude_automations'] !== undefined && typeof body['exclude_automations'] !== 'boolean') reasons.push("'exclude_automations' must be a boolean.");
  const cb = body['callback'];
  if (cb !== undefined) {
    if (!isRecord(cb) || typeof cb['url'] !== 'string' || (cb['requestType'] !== 'GET' && cb['requestType'] !== 'POST'))
      reasons.push("'callback' requires 'url' and 'requestType' (GET or POST).");
  }
  const contacts: BulkContactIn[] = [];
  raw.forEach((item, i) => {
    const bad = (r: string): void => {
      reasons.push({ contact: i, failureReason: r });
    };
    if (!isRecord(item)) return bad('Contact must be an object');
    const email = item['email'];
    if (typeof email !== 'string' || email.trim() === '') return bad("Field 'email' is required");
    if (!isEmailShaped(email)) return bad("Field 'email' incorrect format");
    const c: BulkContactIn = { email: email.trim() };
    for (const k of ['first_name', 'last_name', 'phone'] as const) {
      const v = item[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return bad(`Field '${k}' must be a string`);
      c[k] = v;
    }
    if (item['exclude_automations'] !== undefined && typeof item['exclude_automations'] !== 'boolean') return bad("Field 'exclude_automations' must be a boolean");
    const tags = item['tags'];
    if (tags !== undefined) {
      if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.trim() === '')) return bad("Field 'tags' must be an array of tag names");
      c.tags = tags as string[];
    }
    const fields = item['fields'];
    if (fields !== undefined) {
      if (!Array.isArray(fields)) return bad("Field 'fields' must be an array");
      c.fields = [];
      for (const f of fields as unknown[]) {
        const id = isRecord(f) ? toId(f['id']) : undefined;
        if (!isRecord(f) || id === undefined) return bad("Each of 'fields' needs a numeric 'id'");
        if (!store.fields.has(id)) return bad(`Custom field id ${id} does not exist`);
        const value = f['value'];
        if (typeof value !== 'string' && typeof value !== 'number') return bad(`Custom field ${id} needs a string 'value'`);
        c.fields.push({ id, value: String(value) });
      }
    }
    for (const k of ['subscribe', 'unsubscribe'] as const) {
      const v = item[k];
      if (v === undefined) continue;
      if (!Array.isArray(v)) return bad(`Field '${k}' must be an array of {listid}`);
      const ids: number[] = [];
      for (const s of v as unknown[]) {
        const listid = isRecord(s) ? toId(s['listid']) : undefined;
        if (listid === undefined) return bad(`Each of '${k}' needs a numeric 'listid'`);
        if (!store.lists.has(listid)) return bad(`List id ${listid} does not exist`);
        ids.push(listid);
      }
      c[k] = ids;
    }
    contacts.push(c);
  });
  return reasons.length > 0 ? { ok: false, failureReasons: reasons } : { ok: true, contacts };
}

/**
 * Applies one contact of a batch. Returns 'created' (new contact id), 'updated', or 'failed'.
 * Bulk import semantics (bulk-import doc + shared API notes): upsert by email, case-insensitively; empty or
 * absent names/phone/field values never erase what is there; `subscribe` never re-adds a contact who
 * unsubscribed from (or bounced on) that list; `unsubscribe` of a non-member does nothing; unknown tags are created.
 */
export function applyBulkContact(store: Store, c: BulkContactIn): { result: 'created'; id: number } | { result: 'updated' } | { result: 'failed' } {
  if (!isDeliverableEmail(c.email)) return { result: 'failed' };
  for (const f of c.fields ?? []) {
    const field = store.fields.get(f.id) as FieldRec | undefined;
    if (field !== undefined && f.value !== '' && fieldValueProblem(field, f.value) !== undefined) return { result: 'failed' };
  }
  let contact: ContactRec | undefined = store.findByEmail(c.email);
  let created = false;
  const names: { firstName?: string; lastName?: string; phone?: string } = {};
  if (c.first_name !== undefined && c.first_name !== '') names.firstName = c.first_name;
  if (c.last_name !== undefined && c.last_name !== '') names.lastName = c.last_name;
  if (c.phone !== undefined && c.phone !== '') names.phone = c.phone;
  if (contact === undefined) {
    contact = store.createContact({ email: c.email, ...names });
    created = true;
  } else {
    store.updateContact(contact, names);
  }
  for (const f of c.fields ?? []) if (f.value !== '') store.setFieldValue(contact, f.id, f.value);
  for (const name of c.tags ?? []) {
    const tag = store.findTagByName(name) ?? store.createTag(name);
    store.attachTag(contact, tag.id);
  }
  for (const listid of c.subscribe ?? []) {
    const list = store.lists.get(listid);
    if (list === undefined) continue;
    const m = store.membership(contact, listid);
    if (m === undefined || m.status === 0) store.setListStatus(contact, list, 1);
  }
  for (const listid of c.unsubscribe ?? []) {
    const list = store.lists.get(listid);
    const m = store.membership(contact, listid);
    if (list !== undefined && m !== undefined && m.status !== 2) store.setListStatus(contact, list, 2);
  }
  return created ? { result: 'created', id: contact.id } : { result: 'updated' };
}

/** The queue of batches; applies them in order once due. */
export class BulkQueue {
  private batches = new Map<string, Batch>();
  private pending: Batch[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly faults: FaultInjector,
    private readonly now: () => number,
    private readonly onApplied: () => void,
    private readonly quirks: Quirks = new Quirks(),
  ) {}

  enqueue(contacts: BulkContactIn[], delayMs: number): Batch {
    const t = this.now();
    // Quirk longImportQueue: an account whose import queue is long (AC's own example shows 333 batches outstanding).
    if (this.quirks.has('longImportQueue')) delayMs *= this.quirks.settings.queueFactor;
    const last = this.pending[this.pending.length - 1];
    const batch: Batch = {
      id: randomUUID(),
      queuedAt: t,
      // Batches finish in the order they were queued, as a queue does.
      dueAt: Math.max(t + delayMs, last?.dueAt ?? 0),
      contacts,
      contactCount: contacts.length,
      fault: this.faults.forBatch(),
      success: [],
      failure: [],
    };
    this.batches.set(batch.id, batch);
    this.pending.push(batch);
    this.advance();
    return batch;
  }

  get(id: string): Batch | undefined {
    return this.batches.get(id);
  }

  all(): Batch[] {
    return [...this.batches.values()];
  }

  /**
   * The status ActiveCampaign reports at this moment. The first fifth of the delay answers `false` (not yet
   * registered), then waiting, claimed and active for a fifth each, so a poller sees every stage.
   */
  statusOf(b: Batch): BatchOutcome | 'waiting' | 'claimed' | 'active' | false {
    if (b.outcome !== undefined) return b.outcome;
    const span = Math.max(1, b.dueAt - b.queuedAt);
    const p = (this.now() - b.queuedAt) / span;
    if (p < 0.2) return false;
    if (p < 0.4) return 'waiting';
    if (p < 0.6) return 'claimed';
    return 'active';
  }

  /** Applies every batch that is due, in queue order, then arms a timer for the next. */
  advance(): void {
    const t = this.now();
    let applied = false;
    while (this.pending.length > 0 && (this.pending[0] as Batch).dueAt <= t) {
      this.apply(this.pending.shift() as Batch);
      applied = true;
    }
    if (applied) this.onApplied();
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.pending[0];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.advance(), Math.max(0, next.dueAt - this.now()));
    this.timer.unref();
  }

  /**
   * A `failed` batch applies nothing and reports empty lists. An `interrupted` one applies a prefix of its
   * contacts (a fault-chosen fraction) and reports success/failure for that prefix only; the rest are untouched.
   */
  private apply(b: Batch): void {
    const contacts = b.contacts ?? [];
    b.contacts = undefined;
    if (b.fault.kind === 'failed') {
      b.outcome = 'failed';
      return;
    }
    const count = b.fault.kind === 'interrupted' ? Math.floor(contacts.length * b.fault.applyFraction) : contacts.length;
    // The same email twice in one payload is undocumented; strictest: the later copies fail.
    const seen = new Set<string>();
    for (const c of contacts.slice(0, count)) {
      const key = c.email.toLowerCase();
      if (seen.has(key) || this.faults.emailFails(c.email)) {
        b.failure.push(c.email);
        continue;
      }
      seen.add(key);
      // Quirk exclusionList: the importer skips an excluded address without a word (neither success nor failure).
      if (this.quirks.excluded(c.email)) continue;
      const r = applyBulkContact(this.store, c);
      if (r.result === 'created') b.success.push(String(r.id));
      else if (r.result === 'failed') b.failure.push(c.email);
    }
    b.outcome = b.fault.kind === 'interrupted' ? 'interrupted' : 'completed';
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.batches.clear();
    this.pending = [];
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  toJSON(): Batch[] {
    return this.all();
  }

  load(batches: Batch[]): void {
    this.clear();
    for (const b of batches) {
      this.batches.set(b.id, b);
      if (b.outcome === undefined) this.pending.push(b);
    }
    this.pending.sort((a, b) => a.dueAt - b.dueAt);
    this.advance();
  }
}
