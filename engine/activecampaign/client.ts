/**
 * The undici client behind ActiveCampaignApi: one connection pool per client, every request paid for from the
 * account's rate budget, retries with backoff for what is worth retrying, and errors that name the connection,
 * the method and the path but never the API key.
 *
 * Retrying POST /import/bulk_import after a reset or timeout (when ActiveCampaign may have received it): done, but
 * only once per call. A resent import is safe for the data (bulk import upserts by email, so nothing is duplicated;
 * the first batch, if it was queued, just writes the same values), but each send spends one of the account's 100
 * imports per minute, and the budget counts both sends, as ActiveCampaign probably does. Past that one retry the
 * NetworkError (mayHaveBeenReceived: true) goes to the executor, which resends the batch later or reports it.
 */
import { Pool, type Dispatcher } from 'undici';
import type {
  AcField,
  AcList,
  AcContactTag,
  AcListMember,
  AcMembershipDates,
  AcTag,
  ActiveCampaignApi,
  BulkBatchInfo,
  BulkBatchStatus,
  BulkContact,
  ReadMembersOptions,
  RequestStats,
} from './api.ts';
import type { EventSink } from '../events.ts';
import { resolveBaseUrl } from './base-url.ts';
import {
  AccountError,
  AuthError,
  BulkLimitError,
  BulkValidationError,
  NetworkError,
  NotFoundError,
  RemoteError,
  ResponseFormatError,
  scrubSecret,
  type BulkFailureReason,
  type RemoteErrorDetails,
} from './errors.ts';
import { getAccountBudget, parseRetryAfter, type RateBudget, type RequestKind } from './rate-budget.ts';
import { sleep } from './sleep.ts';
import { idGreater, int, isObject, objects, str, type JsonObject } from './wire.ts';
import { BULK_IMPORT_MAX_BYTES as BULK_MAX_PAYLOAD_BYTES, BULK_IMPORT_MAX_CONTACTS as BULK_MAX_CONTACTS, PAGE_SIZE } from './limits.ts';

/** Per-phase timeout (connect, response headers, gap between body chunks). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Attempts per request, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 6;
/** No request keeps retrying for longer than this in total (waits included). */
export const DEFAULT_MAX_RETRY_TOTAL_MS = 120_000;
/** Full-jitter backoff: the n-th retry waits a random time in [0, min(cap, base * 2^(n-1))]. */
export const DEFAULT_RETRY_BASE_MS = 500;
export const RETRY_MAX_DELAY_MS = 20_000;
/** A body larger than this is not JSON ActiveCampaign would send us (a page of 100 contacts is ~100 kB). */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Connections per pool: the rate budget (5/s), not this, sets the pace; a few absorb slow responses. */
const POOL_CONNECTIONS = 8;
/** Waits for the rate budget shorter than this are routine and not reported as events. */
const WAIT_EVENT_MIN_MS = 250;
/** Characters of a remote body quoted in an error message. */
const EXCERPT_CHARS = 200;
/** POST /import/bulk_import is resent at most this many times after a failure it may have survived on the server. */
const BULK_AMBIGUOUS_RETRIES = 1;
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid', 'cf-ray'];
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const USER_AGENT = 'acsync (+https://github.com/acsync/acsync)';

export interface ActiveCampaignClientOptions {
  /** The connection id, used in messages and events. */
  connection: string;
  /** Host (or host:port) of the account's API URL. */
  hostname: string;
  apiKey: string;
  /** The environment variable the key came from, named in the 403 hint. */
  apiKeyEnv?: string;
  /** Defaults to the account's shared budget (getAccountBudget(hostname)). */
  budget?: RateBudget;
  timeoutMs?: number;
  /** Attempts per request, the first included. */
  maxRetries?: number;
  maxRetryTotalMs?: number;
  retryBaseMs?: number;
  onEvent?: EventSink;
}

export interface ActiveCampaignClient extends ActiveCampaignApi {
  readonly baseUrl: string;
  /** Closes the connection pool (in-flight requests finish first). */
  close(): Promise<void>;
}

interface CallSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under /api/3, without query. */
  path: string;
  /** Label for stats: 'GET /contacts', 'GET /lists/:id', … */
  kind: string;
  query?: Record<string, string>;
  body?: unknown;
  budgetKind?: RequestKind;
  /** Non-2xx statuses the caller handles itself (e.g. 404, 422, a bulk 400). */
  accept?: number[];
  signal?: AbortSignal | undefined;
}

interface CallResult {
  status: number;
  json: unknown;
  requestId: string | undefined;
}

/** Thrown inside an attempt: a transport failure worth classifying. */
interface TransportFailure {
  code: string;
  description: string;
  mayHaveBeenReceived: boolean;
  retryable: boolean;
}

export function createActiveCampaignClient(options: ActiveCampaignClientOptions): ActiveCampaignClient {
  const base = resolveBaseUrl(options.hostname);
  const { connection, apiKey } = options;
  const budget = options.budget ?? getAccountBudget(options.hostname);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = Math.max(1, options.maxRetries ?? DEFAULT_MAX_ATTEMPTS);
  const maxTotalMs = options.maxRetryTotalMs ?? DEFAULT_MAX_RETRY_TOTAL_MS;
  const retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const emit: EventSink = options.onEvent ?? (() => {});
  const pool = new Pool(base.origin, {
    connections: POOL_CONNECTIONS,
    // rejectUnauthorized is explicit so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn verification off for us.
    connect: { timeout: timeoutMs, rejectUnauthorized: true },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const counters: RequestStats = { byKind: {}, byStatus: {}, rateLimited: 0, waitedMs: 0 };
  const bump = (record: Record<string, number>, key: string): void => {
    record[key] = (record[key] ?? 0) + 1;
  };
  const scrub = (text: string): string => scrubSecret(text, apiKey);

  async function attempt(spec: CallSpec, url: string): Promise<{ status: number; headers: Headers; text: string; requestId: string | undefined }> {
    const headers: Record<string, string> = { 'api-token': apiKey, accept: 'application/json', 'user-agent': USER_AGENT };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    const requestOptions: Dispatcher.RequestOptions = { origin: base.origin, method: spec.method, path: url, headers };
    if (body !== undefined) requestOptions.body = body;
    // The signal stops waits (budget, backoff) and reads; a write already on the wire is awaited (bounded by the
    // timeouts): cancelling it would leave its outcome unknown, e.g. a bulk import queued but its batch id lost.
    if (spec.signal !== undefined && spec.method === 'GET') requestOptions.signal = spec.signal;
    const res = await pool.request(requestOptions);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const requestId = REQUEST_ID_HEADERS.map((h) => responseHeaders.get(h)).find((v): v is string => v !== null);
    const declared = Number(responseHeaders.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) {
      res.body.destroy();
      // Rounded up to a tenth: "10 MB, more than the 10 MB" would read as nonsense.
      const mb = Math.ceil((declared / 1024 / 1024) * 10) / 10;
      throw formatError(spec, res.statusCode, requestId, '', `is ${mb} MB, more than the ${MAX_RESPONSE_BYTES / 1024 / 1024} MB acsync accepts`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        throw formatError(spec, res.statusCode, requestId, '', `is larger than the ${MAX_RESPONSE_BYTES / 1024 / 1024} MB acsync accepts`);
      }
      chunks.push(buf);
    }
    return { status: res.statusCode, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8'), requestId };
  }

  function details(spec: CallSpec, status: number, requestId: string | undefined, text: string): RemoteErrorDetails {
    const d: RemoteErrorDetails = { method: spec.method, path: `${base.pathname}${spec.path}`, status };
    if (requestId !== undefined) d.requestId = scrub(requestId);
    const excerpt = excerptOf(scrub(text));
    if (excerpt !== '') d.excerpt = excerpt;
    return d;
  }

  function formatError(spec: CallSpec, status: number, requestId: string | undefined, text: string, problem: string): ResponseFormatError {
    return new ResponseFormatError(connection, details(spec, status, requestId, text), problem);
  }

  /** Sends one logical request, retrying what is worth retrying; returns parsed JSON for 2xx and accepted statuses. */
  async function call(spec: CallSpec): Promise<CallResult> {
    const search = new URLSearchParams(spec.query ?? {}).toString();
    const url = `${base.pathname}${spec.path}${search === '' ? '' : `?${search}`}`;
    const isBulk = spec.budgetKind === 'bulk-import' || spec.budgetKind === 'bulk-import-single';
    const startedAt = Date.now();
    let ambiguousRetries = 0;
    let lastFailure: TransportFailure | undefined;

    for (let n = 1; ; n++) {
      const ticket = await budget.acquire(spec.budgetKind ?? 'request', spec.signal);
      counters.waitedMs += ticket.waitedMs;
      if (ticket.waitedMs >= WAIT_EVENT_MIN_MS) emit({ type: 'ratelimit:wait', connection, ms: ticket.waitedMs, reason: 'budget' });
      bump(counters.byKind, spec.kind);
      emit({ type: 'request:sent', connection, kind: spec.kind });

      let response: Awaited<ReturnType<typeof attempt>> | undefined;
      try {
        response = await attempt(spec, url);
      } catch (err) {
        if (spec.signal?.aborted === true) throw spec.signal.reason;
        if (err instanceof ResponseFormatError) throw err;
        lastFailure = classifyTransportError(err);
        bump(counters.byStatus, 'network');
      } finally {
        ticket.done();
      }

      let retryAfterMs: number | undefined;
      let status: number | undefined;
      if (response !== undefined) {
        status = response.status;
        bump(counters.byStatus, String(status));
        const bulkRateLimited = isBulk && (status === 400 || status === 429) && /rate limit/i.test(response.text);
        const reaction = budget.onResponse(response.headers, status, { bulkRateLimited });
        if (reaction.pausedMs > 0 && (status === 429 || bulkRateLimited)) {
          emit({ type: 'ratelimit:wait', connection, ms: reaction.pausedMs, reason: 'retry-after' });
        }
        if (status === 429 || bulkRateLimited) counters.rateLimited++;
        if (!RETRYABLE_STATUSES.has(status) && !bulkRateLimited) return finish(spec, response);
        retryAfterMs = status === 429 || bulkRateLimited ? 0 : parseRetryAfter(response.headers.get('retry-after') ?? undefined, Date.now());
        lastFailure = undefined;
      } else if (lastFailure !== undefined && isBulk && lastFailure.mayHaveBeenReceived) {
        if (ambiguousRetries >= BULK_AMBIGUOUS_RETRIES) lastFailure = { ...lastFailure, retryable: false };
        else ambiguousRetries++;
      }

      const giveUp = (): never => {
        if (response !== undefined) throw remoteFailure(spec, response);
        const failure = lastFailure as TransportFailure;
        throw new NetworkError(
          connection,
          { method: spec.method, path: `${base.pathname}${spec.path}`, code: failure.code, mayHaveBeenReceived: failure.mayHaveBeenReceived, attempts: n },
          failure.description,
        );
      };
      if (lastFailure !== undefined && !lastFailure.retryable) giveUp();
      if (n >= maxAttempts) giveUp();
      const jitter = Math.round(Math.random() * Math.min(RETRY_MAX_DELAY_MS, retryBaseMs * 2 ** (n - 1)));
      const delayMs = Math.max(jitter, retryAfterMs ?? 0);
      // The account pause (429) is waited for inside acquire; count it against the total as well.
      if (Date.now() - startedAt + delayMs + budget.pausedFor() > maxTotalMs) giveUp();
      const event: Parameters<EventSink>[0] = { type: 'request:retry', connection, method: spec.method, path: `${base.pathname}${spec.path}`, attempt: n + 1, delayMs };
      if (status !== undefined) event.status = status;
      emit(event);
      counters.waitedMs += delayMs;
      await sleep(delayMs, spec.signal);
    }
  }

  function finish(spec: CallSpec, response: Awaited<ReturnType<typeof attempt>>): CallResult {
    const { status, text, requestId } = response;
    const accepted = (status >= 200 && status < 300) || (spec.accept ?? []).includes(status);
    if (!accepted) throw remoteFailure(spec, response);
    return { status, json: parseJson(spec, status, requestId, text), requestId };
  }

  function parseJson(spec: CallSpec, status: number, requestId: string | undefined, text: string): unknown {
    const trimmed = text.trim();
    if (trimmed === '') return {};
    if (trimmed.startsWith('<')) throw formatError(spec, status, requestId, text, 'is an HTML page, not JSON');
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      throw formatError(spec, status, requestId, text, 'is not valid JSON (malformed or cut short)');
    }
  }

  function remoteFailure(spec: CallSpec, response: Awaited<ReturnType<typeof attempt>>): Error {
    const { status, text, requestId } = response;
    if (status === 403) return new AuthError(connection, options.apiKeyEnv);
    if (status === 402) return new AccountError(connection);
    if (status >= 300 && status < 400) {
      return new RemoteError(connection, details(spec, status, requestId, ''), 'Redirect not followed: ActiveCampaign answered');
    }
    return new RemoteError(connection, details(spec, status, requestId, text));
  }

  function expectObject(spec: CallSpec, result: CallResult, key?: string): JsonObject {
    const root = result.json;
    if (!isObject(root)) throw formatError(spec, result.status, result.requestId, JSON.stringify(root) ?? '', 'is not a JSON object');
    if (key !== undefined && !(key in root)) throw formatError(spec, result.status, result.requestId, JSON.stringify(root), `has no '${key}'`);
    return root;
  }

  async function getJson(spec: CallSpec, key?: string): Promise<JsonObject> {
    return expectObject(spec, await call(spec), key);
  }

  const api: ActiveCampaignClient = {
    connection,
    baseUrl: base.href,

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
      const fields: AcField[] = [];
      for (let offset = 0; ; offset += PAGE_SIZE) {
        const page = await getJson(
          { method: 'GET', path: '/fields', kind: 'GET /fields', query: { limit: String(PAGE_SIZE), offset: String(offset) }, signal },
          'fields',
        );
        const items = objects(page.fields);
        for (const f of items) fields.push({ id: str(f.id), perstag: str(f.perstag).toUpperCase(), title: str(f.title), type: str(f.type) });
        if (items.length < PAGE_SIZE) return fields;
      }
    },

    async findTags(names, signal) {
      const found = new Map<string, AcTag>();
      const unique = [...new Set(names)];
      const prefix = commonPrefix(unique.map((n) => n.toLowerCase()));
      if (unique.length > 1 && prefix.length >= 3) {
        // One search for names that share a prefix (acsync's own tags all start with "acsync:"); paging, since an
        // account may hold two tags for every list acsync writes.
        for (let offset = 0; ; offset += PAGE_SIZE) {
          const page = await getJson({ method: 'GET', path: '/tags', kind: 'GET /tags', query: { search: prefix, limit: String(PAGE_SIZE), offset: String(offset) }, signal }, 'tags');
          const tags = objects(page.tags).map((t) => ({ id: str(t.id), tag: str(t.tag) }));
          for (const name of unique) {
            if (found.has(name)) continue;
            // Tag names are case-insensitive in ActiveCampaign: prefer the exact spelling.
            const exact = tags.find((t) => t.tag === name && t.id !== '') ?? tags.find((t) => t.tag.toLowerCase() === name.toLowerCase() && t.id !== '');
            if (exact !== undefined) found.set(name, exact);
          }
          if (tags.length < PAGE_SIZE || found.size === unique.length) break;
        }
        return found;
      }
      for (const name of unique) {
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
        accept: [422],
        signal,
      };
      const result = await call(spec);
      // 422: someone (another export) created it meanwhile.
      if (result.status === 422) {
        const raced = await findTag(name, signal);
        if (raced !== undefined) return raced;
        throw new RemoteError(connection, details(spec, 422, result.requestId, JSON.stringify(result.json)));
      }
      const tag = expectObject(spec, result, 'tag').tag;
      if (!isObject(tag) || str(tag.id) === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(tag), 'has no tag id');
      return { id: str(tag.id), tag: str(tag.tag) || name };
    },

    readListMembers(listId, opts = {}) {
      return readMembers(listId, opts);
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
      const wanted = email.trim().toLowerCase();
      const page = await getJson({ method: 'GET', path: '/contacts', kind: 'GET /contacts?email', query: { email: email.trim() }, signal }, 'contacts');
      // ActiveCampaign ignores filters it does not know and answers with everyone: check the email ourselves.
      const match = objects(page.contacts).find((c) => str(c.email).trim().toLowerCase() === wanted);
      return match === undefined ? undefined : { id: str(match.id), email: str(match.email) };
    },

    async bulkImport(contacts, { excludeAutomations, signal }) {
      if (contacts.length === 0) throw new BulkLimitError(connection, 'A bulk import needs at least one contact.');
      if (contacts.length > BULK_MAX_CONTACTS) {
        throw new BulkLimitError(connection, `A bulk import takes at most ${BULK_MAX_CONTACTS} contacts; this one has ${contacts.length}.`);
      }
      const payload = { contacts, exclude_automations: excludeAutomations };
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
      if (result.status === 400 || success !== 1) {
        const reasons = objects(root.failureReasons).map((r): BulkFailureReason => {
          const index = int(r.contact) ?? -1;
          const reason: BulkFailureReason = { contact: index, failureReason: str(r.failureReason) || 'invalid' };
          const email = contacts[index]?.email;
          if (email !== undefined) reason.email = email;
          return reason;
        });
        const message = str(root.message) || 'the import was not queued';
        if (reasons.length > 0) throw new BulkValidationError(connection, message, reasons);
        throw new RemoteError(connection, details(spec, result.status, result.requestId, message));
      }
      const batchId = str(root.batchId);
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
      else throw formatError(spec, 200, undefined, JSON.stringify(root), `has an unknown batch status '${String(raw)}'`);
      const success = Array.isArray(root.success) ? root.success.map(str).filter((s) => s !== '') : [];
      const failure = Array.isArray(root.failure)
        ? root.failure.map((f) => (isObject(f) ? str(f.email) : str(f))).filter((s) => s !== '')
        : [];
      return { status, success, failure };
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
        // 422 duplicate: the contact already has the tag, which is what we wanted.
        accept: [422],
        signal,
      };
      const result = await call(spec);
      if (result.status === 422) return '';
      const ct = expectObject(spec, result, 'contactTag').contactTag;
      if (!isObject(ct) || str(ct.id) === '') throw formatError(spec, result.status, result.requestId, JSON.stringify(ct), 'has no contactTag id');
      return str(ct.id);
    },

    async removeContactTag(contactTagId, signal) {
      await call({ method: 'DELETE', path: `/contactTags/${encodeURIComponent(contactTagId)}`, kind: 'DELETE /contactTags/:id', accept: [404], signal });
    },

    stats() {
      return { byKind: { ...counters.byKind }, byStatus: { ...counters.byStatus }, rateLimited: counters.rateLimited, waitedMs: counters.waitedMs };
    },

    async close() {
      await pool.close();
    },
  };

  function commonPrefix(words: string[]): string {
    let prefix = words[0] ?? '';
    for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
    return prefix;
  }

  async function findTag(name: string, signal: AbortSignal | undefined): Promise<AcTag | undefined> {
    const page = await getJson({ method: 'GET', path: '/tags', kind: 'GET /tags', query: { search: name, limit: String(PAGE_SIZE) }, signal }, 'tags');
    const tags = objects(page.tags).map((t) => ({ id: str(t.id), tag: str(t.tag) }));
    // `search` matches substrings; ActiveCampaign treats tag names case-insensitively, so prefer the exact spelling.
    const exact = tags.find((t) => t.tag === name) ?? tags.find((t) => t.tag.toLowerCase() === name.toLowerCase());
    return exact !== undefined && exact.id !== '' ? exact : undefined;
  }

  async function* readMembers(listId: string, opts: ReadMembersOptions): AsyncGenerator<AcListMember[]> {
    let after = opts.afterId ?? '0';
    let done = 0;
    let total: number | undefined;
    for (;;) {
      const query: Record<string, string> = {
        listid: listId,
        status: String(opts.status ?? -1),
        'orders[id]': 'ASC',
        id_greater: after,
        limit: String(PAGE_SIZE),
        include: 'contactLists,fieldValues,contactTags',
      };
      if (opts.updatedAfter !== undefined) query['filters[updated_after]'] = opts.updatedAfter;
      const spec: CallSpec = { method: 'GET', path: '/contacts', kind: 'GET /contacts', query, signal: opts.signal };
      const result = await call(spec);
      const page = expectObject(spec, result, 'contacts');
      const contacts = objects(page.contacts);
      const members = contacts.map((c) => toMember(c, listId, page, (problem) => formatError(spec, result.status, result.requestId, '', problem)));
      // A server that ignored id_greater or the order would repeat contacts, or send the same page forever.
      let previous = after;
      for (const m of members) {
        if (!idGreater(m.id, previous)) {
          throw formatError(spec, result.status, result.requestId, '', `did not list contacts by ascending id after ${after} (id_greater ignored?)`);
        }
        previous = m.id;
      }
      // meta.total counts what matches the query, id_greater included, so only the first page tells the whole.
      const meta = isObject(page.meta) ? page.meta : {};
      if (done === 0 && total === undefined) total = int(meta.total);
      done += members.length;
      opts.onPage?.(done, total);
      if (members.length > 0) yield members;
      if (contacts.length < PAGE_SIZE) return;
      after = previous;
    }
  }

  return api;
}

const BATCH_STATUSES = new Set<BulkBatchStatus>(['waiting', 'claimed', 'active', 'completed', 'failed', 'interrupted']);

/** Maps one contact of GET /contacts plus the page's sideloads to a list member. */
function toMember(c: JsonObject, listId: string, page: JsonObject, bad: (problem: string) => Error): AcListMember {
  const id = str(c.id);
  if (id === '') throw bad('has a contact without an id');
  const membership = objects(page.contactLists).find((cl) => str(cl.contact) === id && str(cl.list) === listId);
  const status = int(membership?.status);
  if (status !== 0 && status !== 1 && status !== 2 && status !== 3) {
    // Guessing a status could re-subscribe someone who opted out: refuse instead.
    throw bad(`has no readable status of contact ${id} on list ${listId} (include=contactLists)`);
  }
  const fieldValues: Record<string, string> = {};
  for (const fv of objects(page.fieldValues)) {
    if (str(fv.contact) === id && str(fv.field) !== '') fieldValues[str(fv.field)] = str(fv.value);
  }
  // Dates only where consent depends on them (status 2): the rest of a million members stays small.
  const contactTags = objects(page.contactTags)
    .filter((ct) => str(ct.contact) === id)
    .map((ct) => contactTagOf(ct, status === 2));
  const member: AcListMember = {
    id,
    email: str(c.email),
    firstName: str(c.firstName),
    lastName: str(c.lastName),
    phone: str(c.phone),
    listStatus: status,
    fieldValues,
    contactTags,
  };
  const udate = str(c.udate);
  if (udate !== '') member.updatedAt = udate;
  if (status === 2) member.membershipDates = membershipDatesOf(membership!);
  return member;
}

function contactTagOf(ct: JsonObject, withDate: boolean): AcContactTag {
  const tag: AcContactTag = { id: str(ct.id), tagId: str(ct.tag) };
  const cdate = str(ct.cdate) || str(ct.created_timestamp);
  if (withDate && cdate !== '') tag.createdAt = cdate;
  return tag;
}

function membershipDatesOf(cl: JsonObject): AcMembershipDates {
  const dates: AcMembershipDates = {};
  const sdate = str(cl.sdate);
  const udate = str(cl.udate);
  if (sdate !== '') dates.subscribedAt = sdate;
  if (udate !== '') dates.changedAt = udate;
  return dates;
}

/** A short, single-line, tag-free excerpt of a remote body. */
function excerptOf(text: string): string {
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.length > EXCERPT_CHARS ? `${plain.slice(0, EXCERPT_CHARS)}…` : plain;
}

/**
 * Classifies undici/Node errors by code only: their messages are not ours to print. A failure before the
 * connection was made cannot have reached ActiveCampaign; after it, it may have.
 */
function classifyTransportError(err: unknown): TransportFailure {
  const code = isObject(err) && typeof err.code === 'string' ? err.code : 'unknown';
  switch (code) {
    case 'ECONNREFUSED':
      return { code, description: 'connection refused', mayHaveBeenReceived: false, retryable: true };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code, description: 'timed out connecting', mayHaveBeenReceived: false, retryable: true };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code, description: 'host name not found', mayHaveBeenReceived: false, retryable: code === 'EAI_AGAIN' };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { code, description: 'timed out waiting for the answer', mayHaveBeenReceived: true, retryable: true };
    case 'UND_ERR_BODY_TIMEOUT':
      return { code, description: 'timed out reading the answer', mayHaveBeenReceived: true, retryable: true };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { code, description: 'connection closed by the other side', mayHaveBeenReceived: true, retryable: true };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { code, description: 'answer cut short', mayHaveBeenReceived: true, retryable: true };
    default:
      if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
        return { code, description: 'the server\'s TLS certificate could not be verified', mayHaveBeenReceived: false, retryable: false };
      }
      return { code, description: 'network error', mayHaveBeenReceived: true, retryable: true };
  }
}
