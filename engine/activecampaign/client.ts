/**
 * The ActiveCampaign endpoints acsync uses, on top of transport.ts (HTTP, budget, retries, bounds) and
 * read-members.ts (reading a list). Where ActiveCampaign's behaviour is unclear, each endpoint is written to be
 * right under every reading (docs/activecampaign-api.md says which).
 */
import type { AcField, AcList, AcTag, ActiveCampaignApi, BulkBatchInfo, BulkBatchStatus } from './api.ts';
import { BulkLimitError, BulkValidationError, NotFoundError, RemoteError, scrubSecret, type BulkFailureReason } from './errors.ts';
import { readMembers, contactTagOf, membershipDatesOf, type AccountClock } from './read-members.ts';
import { createTransport, type CallSpec, type TransportOptions } from './transport.ts';
import { int, isObject, objects, str, type JsonObject } from './wire.ts';
import { emailProblem } from '../segment/normalize.ts';
import type { BulkContact } from './api.ts';

export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_RETRY_TOTAL_MS,
  DEFAULT_RESPONSE_DEADLINE_MS,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  MAX_SERVER_WAIT_MS,
  RATE_LIMIT_DEADLINE_MS,
  RETRY_MAX_DELAY_MS,
} from './transport.ts';
export { PAGE_SIZE } from './read-members.ts';
import { PAGE_SIZE } from './read-members.ts';

// Each ActiveCampaign limit is defined once, in limits.ts.
import { BULK_IMPORT_MAX_BYTES as BULK_MAX_PAYLOAD_BYTES, BULK_IMPORT_MAX_CONTACTS as BULK_MAX_CONTACTS } from './limits.ts';
export { BULK_MAX_CONTACTS, BULK_MAX_PAYLOAD_BYTES };
/** An address no importer accepts (a space in it): the payload of the one probe that settles failureReasons' base. */
const BASE_PROBE_EMAIL = 'acsync index probe@invalid';

/** What the client needs: the transport's options (transport.ts), which it hands on as they are. */
export type ActiveCampaignClientOptions = TransportOptions;

export interface ActiveCampaignClient extends ActiveCampaignApi {
  readonly baseUrl: string;
  /** Closes the connection pool (in-flight requests finish first). */
  close(): Promise<void>;
}

export function createActiveCampaignClient(options: ActiveCampaignClientOptions): ActiveCampaignClient {
  const t = createTransport(options);
  const { connection } = t;
  const { call, getJson, expectObject, formatError, details } = t;
  /** Remote text shown to people: no secret in any encoding (engine/secrets.ts). */
  const scrub = (text: string): string => scrubSecret(text, options.apiKey);
  /** The account's UTC offset as its dates show it (learned from udate), for filters[updated_after]. */
  const clock: AccountClock = { offset: undefined };
  /** failureReasons[].contact: 0- or 1-based, once a refusal (or the probe) settled it for this account. */
  let indexBase: 0 | 1 | undefined;

    const api: ActiveCampaignClient = {
    connection,
    baseUrl: t.baseUrl.href,

    async checkCredentials(signal) {
      // GET /users/me: the cheapest call every valid key may make (developers.activecampaign.com/reference/authentication).
      await getJson({ method: 'GET', path: '/users/me', kind: 'GET /users/me', signal });
    },

    async getList(listId, signal) {
      const spec: CallSpec = { method: 'GET', path: `/lists/${encodeURIComponent(listId)}`, kind: 'GET /lists/:id', accept: [404], signal };
      const result = await call(spec);
      if (result.status === 404) throw new NotFoundError(connection, 'list', listId);
      const list = expectObject(spec, result, 'list').list;
      if (!isObject(list) || str(list.id) === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(list), "has no list id");
      const out: AcList = { id: str(list.id), name: str(list.name) };
      if (str(list.stringid) !== '') out.stringid = str(list.stringid);
      return out;
    },

    async listFields(signal) {
      // Paged by what came back, not by what was asked: an account may answer pages of 20 whatever `limit` says
      // (a short page is then not the last). Ends at meta.total, an empty page, or a page that repeats one seen.
      const fields: AcField[] = [];
      const seen = new Set<string>();
      for (let offset = 0; ; ) {
        const page = await getJson(
          { method: 'GET', path: '/fields', kind: 'GET /fields', query: { limit: String(PAGE_SIZE), offset: String(offset) }, signal },
          'fields',
        );
        const items = objects(page.fields);
        const fresh = items.filter((f) => !seen.has(str(f.id)));
        for (const f of fresh) {
          seen.add(str(f.id));
          fields.push({ id: str(f.id), perstag: str(f.perstag).toUpperCase(), title: str(f.title), type: str(f.type) });
        }
        const total = int(isObject(page.meta) ? page.meta.total : undefined);
        if (items.length === 0 || fresh.length === 0) return fields;
        if (total === undefined ? items.length < PAGE_SIZE : fields.length >= total) return fields;
        offset += items.length;
      }
    },

    async findTags(names, signal) {
      // One exact lookup per name (acsync's own tags: two per list): a "contains" search paged by offset over an
      // undocumented order could skip the tag we look for.
      const found = new Map<string, AcTag>();
      for (const name of new Set(names)) {
        const tag = await findTag(name, signal);
        if (tag !== undefined) found.set(name, tag);
      }
      return found;
    },

    async ensureTag(name, signal) {
      const existing = await findTag(name, signal);
      if (existing !== undefined) return existing;
      const spec: CallSpec = {
        method: 'POST',
        path: '/tags',
        kind: 'POST /tags',
        body: { tag: { tag: name, tagType: 'contact', description: 'Managed by acsync' } },
        // A duplicate may answer 422 or `{"message":"Could not process request","error":"Duplicate entry …"}` with a
        // status nobody recorded (verbb/formie#1389): any refusal is followed by a fresh lookup.
        accept: [400, 409, 422],
        signal,
      };
      const result = await call(spec);
      if (result.status >= 400) {
        const raced = await findTag(name, signal);
        if (raced !== undefined) return raced;
        throw new RemoteError(connection, details(spec, result.status, result.requestId, JSON.stringify(result.json)));
      }
      const tag = expectObject(spec, result, 'tag').tag;
      if (!isObject(tag) || str(tag.id) === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(tag), 'has no tag id');
      return { id: str(tag.id), tag: str(tag.tag) || name };
    },

    readListMembers(listId, opts = {}) {
      return readMembers(t, clock, listId, opts);
    },

    async readMembership(contactId, listId, signal) {
      const id = encodeURIComponent(contactId);
      const lists = await call({ method: 'GET', path: `/contacts/${id}/contactLists`, kind: 'GET /contacts/:id/contactLists', accept: [404], signal });
      // 404: the contact is gone (deleted by hand since the plan). Nothing to re-subscribe.
      if (lists.status === 404) return { dates: {}, contactTags: [] };
      const listsSpec: CallSpec = { method: 'GET', path: `/contacts/${id}/contactLists`, kind: 'GET /contacts/:id/contactLists' };
      const membership = objects(expectObject(listsSpec, lists, 'contactLists').contactLists).find((cl) => str(cl.list) === listId && str(cl.contact) === contactId);
      const tagsSpec: CallSpec = { method: 'GET', path: `/contacts/${id}/contactTags`, kind: 'GET /contacts/:id/contactTags', signal };
      const tags = objects((await getJson(tagsSpec, 'contactTags')).contactTags).filter((ct) => str(ct.contact) === contactId);
      const contactTags = tags.map((ct) => contactTagOf(ct, true));
      if (membership === undefined) return { dates: {}, contactTags };
      const status = int(membership.status);
      if (status !== 0 && status !== 1 && status !== 2 && status !== 3) {
        throw formatError(listsSpec, lists.status, lists.requestId, '', `has no readable status of contact ${contactId} on list ${listId}`);
      }
      return { listStatus: status, dates: membershipDatesOf(membership), contactTags };
    },

    async findContactByEmail(email, signal) {
      const found = await contactByEmail(email, [], signal);
      return found === undefined ? undefined : { id: str(found.match.id), email: str(found.match.email) };
    },

    async lookUpContact(email, signal) {
      // fieldValues sideloaded: the plan shows what would change.
      const found = await contactByEmail(email, ['fieldValues'], signal);
      if (found === undefined) return undefined;
      const { match, page, spec } = found;
      const id = str(match.id);
      if (id === '') throw formatError(spec, 200, undefined, '', 'has a contact without an id');
      const fieldValues: Record<string, string> = {};
      for (const fv of objects(page.fieldValues)) {
        if (str(fv.contact) === id && str(fv.field) !== '') fieldValues[str(fv.field)] = str(fv.value);
      }
      return { id, email: str(match.email), firstName: str(match.firstName), lastName: str(match.lastName), phone: str(match.phone), fieldValues };
    },

    async countContacts(signal) {
      const page = await getJson({ method: 'GET', path: '/contacts', kind: 'GET /contacts?count', query: { limit: '1' }, signal }, 'contacts');
      const total = isObject(page.meta) ? int(page.meta.total) : undefined;
      return total === undefined || Number.isNaN(total) || total < 0 ? undefined : total;
    },

    async bulkImport(contacts, { excludeAutomations, signal }) {
      if (contacts.length === 0) throw new BulkLimitError(connection, 'A bulk import needs at least one contact.');
      if (contacts.length > BULK_MAX_CONTACTS) {
        throw new BulkLimitError(connection, `A bulk import takes at most ${BULK_MAX_CONTACTS} contacts; this one has ${contacts.length}.`);
      }
      // exclude_automations at the top level ("in the payload", the reference's text) and in each contact (the
      // reference's own example): which one AC honours is unverified, so both (docs/activecampaign-api.md).
      const payload = { contacts: contacts.map((c) => ({ ...c, exclude_automations: excludeAutomations })), exclude_automations: excludeAutomations };
      const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
      if (bytes >= BULK_MAX_PAYLOAD_BYTES) {
        throw new BulkLimitError(connection, `A bulk import must be under ${BULK_MAX_PAYLOAD_BYTES} bytes; these ${contacts.length} contacts make ${bytes} bytes.`);
      }
      const spec: CallSpec = {
        method: 'POST',
        path: '/import/bulk_import',
        kind: 'POST /import/bulk_import',
        body: payload,
        budgetKind: contacts.length === 1 ? 'bulk-import-single' : 'bulk-import',
        accept: [400],
        signal,
      };
      const result = await call(spec);
      const root = expectObject(spec, result);
      const success = int(root.success ?? root.Success);
      const batchId = str(root.batchId);
      // A 2xx with a batchId is queued, whatever `success` says or whether it is there at all: dropping it would
      // resend contacts AC already holds.
      const queued = result.status < 300 && batchId !== '' && success !== 0;
      if (!queued) {
        const raw = objects(root.failureReasons).map((r) => ({ index: int(r.contact), failureReason: scrub(str(r.failureReason)) || 'invalid' }));
        const message = scrub(str(root.message)) || 'the import was not queued';
        if (raw.length > 0) throw new BulkValidationError(connection, message, await blame(contacts, raw, signal));
        throw new RemoteError(connection, details(spec, result.status, result.requestId, message));
      }
      if (batchId === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(root), 'has no batchId');
      return { batchId };
    },

    async bulkStatus(batchId, signal) {
      const spec: CallSpec = { method: 'GET', path: '/import/info', kind: 'GET /import/info', query: { batchId }, signal };
      const root = await getJson(spec);
      const raw = root.status;
      let status: BulkBatchInfo['status'];
      if (raw === false || raw === undefined || raw === null || raw === '' || raw === 'false') status = false;
      else if (typeof raw === 'string' && BATCH_STATUSES.has(raw as BulkBatchStatus)) status = raw as BulkBatchStatus;
      else throw formatError(spec, 200, undefined, JSON.stringify(root), `has an unknown batch status '${scrub(String(raw)).slice(0, 80)}'`);
      const success = Array.isArray(root.success) ? root.success.map(str).filter((s) => s !== '') : [];
      const failure = Array.isArray(root.failure)
        ? root.failure.map((f) => (isObject(f) ? str(f.email) : str(f))).filter((s) => s !== '')
        : [];
      return { status, success, failure };
    },

    async bulkQueueLength(signal) {
      const root = await getJson({ method: 'GET', path: '/import/bulk_import', kind: 'GET /import/bulk_import', signal });
      return objects(root.outstanding).reduce((sum, row) => sum + (int(row.batches) ?? 0), 0);
    },

    async setListStatus(contactId, listId, status, signal) {
      const contactList: JsonObject = { list: Number(listId), contact: Number(contactId), status };
      // ActiveCampaign's docs: sourceid 4 marks a re-subscription made through the API (update-list-status-for-contact).
      if (status === 1) contactList.sourceid = 4;
      await getJson({ method: 'POST', path: '/contactLists', kind: 'POST /contactLists', body: { contactList }, signal });
    },

    async syncContact(contact, signal) {
      const body: JsonObject = { email: contact.email };
      if (contact.firstName) body.firstName = contact.firstName;
      if (contact.lastName) body.lastName = contact.lastName;
      if (contact.phone) body.phone = contact.phone;
      const values = (contact.fieldValues ?? []).filter((v) => v.value !== '');
      if (values.length > 0) body.fieldValues = values.map((v) => ({ field: v.field, value: v.value }));
      const spec: CallSpec = { method: 'POST', path: '/contact/sync', kind: 'POST /contact/sync', body: { contact: body }, signal };
      const result = await call(spec);
      const c = expectObject(spec, result, 'contact').contact;
      if (!isObject(c) || str(c.id) === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(c), 'has no contact id');
      return { id: str(c.id) };
    },

    async addContactTag(contactId, tagId, signal) {
      const spec: CallSpec = {
        method: 'POST',
        path: '/contactTags',
        kind: 'POST /contactTags',
        body: { contactTag: { contact: contactId, tag: tagId } },
        accept: [422],
        signal,
      };
      const result = await call(spec);
      if (result.status === 422) {
        // The one documented 422 is "Missing attribute": our request was wrong, not "already tagged". Another 422
        // (a duplicate, in the emulator) means the contact has the tag, which is what we wanted.
        const errors = objects(isObject(result.json) ? result.json.errors : undefined);
        if (errors.length === 0 || errors.some((e) => /missing/i.test(str(e.title)) || /related_missing|field_missing/.test(str(e.code)))) {
          throw new RemoteError(connection, details(spec, 422, result.requestId, JSON.stringify(result.json)));
        }
        return '';
      }
      // A 2xx for a tag the contact had (undocumented) may carry the existing contactTag, or none.
      const ct = isObject(result.json) ? result.json.contactTag : undefined;
      return isObject(ct) ? str(ct.id) : '';
    },

    async removeContactTag(contactTagId, signal) {
      await call({ method: 'DELETE', path: `/contactTags/${encodeURIComponent(contactTagId)}`, kind: 'DELETE /contactTags/:id', accept: [404], signal });
    },

    stats() {
      return t.stats();
    },

    async close() {
      await t.close();
    },
  };


  /**
   * The account's contact with this email, with the page it came on. GET /contacts?email= is exact and takes one
   * address; there is no documented form that takes several (docs/activecampaign-api.md, GET /contacts).
   */
  async function contactByEmail(email: string, include: readonly string[], signal: AbortSignal | undefined): Promise<{ match: JsonObject; page: JsonObject; spec: CallSpec } | undefined> {
    const wanted = email.trim().toLowerCase();
    const query: Record<string, string> = { email: email.trim(), ...(include.length > 0 ? { include: include.join(',') } : {}) };
    const spec: CallSpec = { method: 'GET', path: '/contacts', kind: 'GET /contacts?email', query, signal };
    const page = await getJson(spec, 'contacts');
    // ActiveCampaign ignores filters it does not know and answers with everyone: check the email ourselves.
    const match = objects(page.contacts).find((c) => str(c.email).trim().toLowerCase() === wanted);
    return match === undefined ? undefined : { match, page, spec };
  }

  async function findTag(name: string, signal: AbortSignal | undefined): Promise<AcTag | undefined> {
    // Exact lookup (filters[search][eq]) with exact matches first (orders[search]=weight), both documented; `search`
    // as well, so a server that ignores the filter still narrows to names containing ours.
    const query = { search: name, 'filters[search][eq]': name, 'orders[search]': 'weight', limit: String(PAGE_SIZE) };
    const page = await getJson({ method: 'GET', path: '/tags', kind: 'GET /tags', query, signal }, 'tags');
    const tags = objects(page.tags).map((tg) => ({ id: str(tg.id), tag: str(tg.tag) }));
    // ActiveCampaign treats tag names case-insensitively: prefer the exact spelling.
    const exact = tags.find((tg) => tg.tag === name && tg.id !== '') ?? tags.find((tg) => tg.tag.toLowerCase() === name.toLowerCase() && tg.id !== '');
    return exact;
  }

  /**
   * Maps a refusal's failureReasons to the contacts sent. Whether `contact` counts from 0 or 1 is unverified, so
   * the refusal itself is read for evidence (an index 0, or one equal to the count; the blamed address failing
   * acsync's own email rule under one reading only); failing that, one probe of a single invalid address (nothing
   * is queued: the importer refuses the whole payload) settles it for the account. Unsettled, an index is read as
   * 0-based and marked uncertain.
   */
  async function blame(contacts: BulkContact[], raw: Array<{ index: number | undefined; failureReason: string }>, signal: AbortSignal | undefined): Promise<BulkFailureReason[]> {
    const indexes = raw.map((r) => r.index).filter((i): i is number => i !== undefined);
    if (indexBase === undefined) indexBase = baseFromEvidence(contacts, indexes);
    if (indexBase === undefined && indexes.length > 0) indexBase = await probeBase(signal);
    return raw.map((r) => {
      const base = indexBase ?? 0;
      const index = r.index === undefined ? -1 : r.index - base;
      const reason: BulkFailureReason = { contact: index, failureReason: r.failureReason };
      const email = contacts[index]?.email;
      if (email !== undefined) reason.email = email;
      if (indexBase === undefined) reason.uncertain = true;
      return reason;
    });
  }

  async function probeBase(signal: AbortSignal | undefined): Promise<0 | 1 | undefined> {
    const spec: CallSpec = {
      method: 'POST',
      path: '/import/bulk_import',
      kind: 'POST /import/bulk_import (index probe)',
      body: { contacts: [{ email: BASE_PROBE_EMAIL }] },
      budgetKind: 'bulk-import-single',
      accept: [400],
      signal,
    };
    try {
      const root = expectObject(spec, await call(spec));
      const index = objects(root.failureReasons).map((r) => int(r.contact)).find((i) => i !== undefined);
      return index === 0 ? 0 : index === 1 ? 1 : undefined;
    } catch {
      return undefined;
    }
  }

  return api;
}

/** The base the refusal itself proves, if any. */
export function baseFromEvidence(contacts: readonly BulkContact[], indexes: readonly number[]): 0 | 1 | undefined {
  if (indexes.some((i) => i === 0)) return 0;
  if (indexes.some((i) => i === contacts.length)) return 1;
  let zero = 0;
  let one = 0;
  for (const i of indexes) {
    const bad0 = contacts[i] !== undefined && emailProblem(contacts[i]!.email) !== undefined;
    const bad1 = contacts[i - 1] !== undefined && emailProblem(contacts[i - 1]!.email) !== undefined;
    if (bad0 && !bad1) zero++;
    if (bad1 && !bad0) one++;
  }
  if (zero > 0 && one === 0) return 0;
  if (one > 0 && zero === 0) return 1;
  return undefined;
}

const BATCH_STATUSES = new Set<BulkBatchStatus>(['waiting', 'claimed', 'active', 'completed', 'failed', 'interrupted']);

