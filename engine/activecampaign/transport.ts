/**
 * The HTTP half of the ActiveCampaign client: one undici pool per client, every request paid for from the
 * account's rate budget, retries for what is worth retrying, every wait bounded, and errors that name the
 * connection, the method and the path but never the API key. client.ts builds the endpoints on top.
 *
 * Bounds (issue 13 items 9, 10, 14): each phase of a response has a timeout (connect, headers, gap between body
 * chunks) and the whole response a deadline; a server's Retry-After is honoured up to MAX_SERVER_WAIT_MS and a
 * request told to wait longer fails at once; rate limiting (429, a bulk refusal, a 503) does not spend attempts,
 * it is waited out until RATE_LIMIT_DEADLINE_MS, then reported as rate limiting, not as a configuration problem.
 *
 * Retrying POST /import/bulk_import after a reset or timeout (when ActiveCampaign may have received it): done, but
 * only once per call. A resent import is safe for the data (bulk import upserts by email), but each send spends
 * one of the account's 100 imports per minute. Past that one retry the NetworkError (mayHaveBeenReceived: true)
 * goes to the executor, which resends the batch later or reports it.
 */
import { Pool, type Dispatcher } from 'undici';
import type { RequestStats } from './api.ts';
import type { EventSink } from '../events.ts';
import { resolveBaseUrl } from './base-url.ts';
import {
  AccountError,
  AuthError,
  NetworkError,
  PermissionError,
  RateLimitError,
  RemoteError,
  ResponseFormatError,
  ResponseTooLargeError,
  scrubSecret,
  type RemoteErrorDetails,
} from './errors.ts';
import { getAccountBudget, parseRetryAfter, type RateBudget, type RequestKind } from './rate-budget.ts';
import { sleep } from './sleep.ts';
import { isObject, objects, str, type JsonObject } from './wire.ts';

/** Per-phase timeout (connect, response headers, gap between body chunks). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** A whole response (headers and body) must arrive within this, however steadily a server trickles it. */
export const DEFAULT_RESPONSE_DEADLINE_MS = 90_000;
/** Attempts per request, the first included (rate-limited answers do not count: see RATE_LIMIT_DEADLINE_MS). */
export const DEFAULT_MAX_ATTEMPTS = 6;
/** No request keeps retrying failures for longer than this in total (waits included). */
export const DEFAULT_MAX_RETRY_TOTAL_MS = 120_000;
/** Rate-limited answers are waited out for at most this long per request, then reported as rate limiting. */
export const RATE_LIMIT_DEADLINE_MS = 10 * 60_000;
/** The longest wait a server may ask for (Retry-After); asked for more, the request fails at once. */
export const MAX_SERVER_WAIT_MS = 5 * 60_000;
/** Full-jitter backoff: the n-th retry waits a random time in [0, min(cap, base * 2^(n-1))]. */
export const DEFAULT_RETRY_BASE_MS = 500;
export const RETRY_MAX_DELAY_MS = 20_000;
/** A body larger than this is not JSON ActiveCampaign would send us. */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** A read answered 403 after this client's earlier calls succeeded is tried this many more times (tap-activecampaign PR #52). */
export const READ_403_RETRIES = 3;
/** A read answered 2xx with an empty or unparsable body is tried this many more times (tap-activecampaign PR #36). */
export const EMPTY_BODY_RETRIES = 3;
/** Connections per pool: the rate budget (5/s), not this, sets the pace; a few absorb slow responses. */
const POOL_CONNECTIONS = 8;
/** Waits for the rate budget shorter than this are routine and not reported as events. */
const WAIT_EVENT_MIN_MS = 250;
/** Characters of a remote body quoted in an error message. */
const EXCERPT_CHARS = 200;
const BULK_AMBIGUOUS_RETRIES = 1;
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid', 'cf-ray'];
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Always sent: an empty User-Agent is reportedly blocked at ActiveCampaign's edge. */
const USER_AGENT = 'acsync (+https://github.com/acsync/acsync)';

export interface TransportOptions {
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
  /** Total deadline per response (however steadily a server trickles it). */
  responseDeadlineMs?: number;
  /** Attempts per request, the first included. */
  maxRetries?: number;
  maxRetryTotalMs?: number;
  /** How long rate limiting (429, a bulk refusal, 503) is waited out per request before it is reported. */
  rateLimitDeadlineMs?: number;
  retryBaseMs?: number;
  onEvent?: EventSink;
}

export interface CallSpec {
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

export interface CallResult {
  status: number;
  json: unknown;
  requestId: string | undefined;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  requestId: string | undefined;
}

/** Thrown inside an attempt: a transport failure worth classifying. */
interface TransportFailure {
  code: string;
  description: string;
  mayHaveBeenReceived: boolean;
  retryable: boolean;
}

export interface Transport {
  readonly connection: string;
  readonly baseUrl: URL;
  call(spec: CallSpec): Promise<CallResult>;
  getJson(spec: CallSpec, key?: string): Promise<JsonObject>;
  expectObject(spec: CallSpec, result: CallResult, key?: string): JsonObject;
  formatError(spec: CallSpec, status: number, requestId: string | undefined, text: string, problem: string): ResponseFormatError;
  details(spec: CallSpec, status: number, requestId: string | undefined, text: string): RemoteErrorDetails;
  stats(): RequestStats;
  close(): Promise<void>;
}

export function createTransport(options: TransportOptions): Transport {
  const base = resolveBaseUrl(options.hostname);
  const { connection, apiKey } = options;
  const budget = options.budget ?? getAccountBudget(options.hostname);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadlineMs = options.responseDeadlineMs ?? DEFAULT_RESPONSE_DEADLINE_MS;
  const maxAttempts = Math.max(1, options.maxRetries ?? DEFAULT_MAX_ATTEMPTS);
  const maxTotalMs = options.maxRetryTotalMs ?? DEFAULT_MAX_RETRY_TOTAL_MS;
  const rateLimitDeadlineMs = options.rateLimitDeadlineMs ?? RATE_LIMIT_DEADLINE_MS;
  const retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const emit: EventSink = options.onEvent ?? (() => {});
  const pool = new Pool(base.origin, {
    connections: POOL_CONNECTIONS,
    // rejectUnauthorized is explicit so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn verification off for us.
    connect: { timeout: timeoutMs, rejectUnauthorized: true },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const counters: RequestStats = { byKind: {}, byStatus: {}, rateLimited: 0, inheritedRateLimited: 0, waitedMs: 0 };
  const bump = (record: Record<string, number>, key: string): void => {
    record[key] = (record[key] ?? 0) + 1;
  };
  const scrub = (text: string): string => scrubSecret(text, apiKey);
  /** Answers this client got that were not refusals: a 403 after some is more likely AC's hiccup than a bad key. */
  let goodAnswers = 0;

  async function attempt(spec: CallSpec, url: string): Promise<RawResponse> {
    const headers: Record<string, string> = { 'api-token': apiKey, accept: 'application/json', 'user-agent': USER_AGENT };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    // The whole response has a deadline: a server trickling a byte within every per-phase timeout is given up on.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DeadlineExceeded()), deadlineMs);
    // The caller's signal stops waits and reads; a write already on the wire is awaited (bounded by the deadline):
    // cancelling it would leave its outcome unknown, e.g. a bulk import queued but its batch id lost.
    const signals = [deadline.signal];
    if (spec.signal !== undefined && spec.method === 'GET') signals.push(spec.signal);
    const requestOptions: Dispatcher.RequestOptions = {
      origin: base.origin,
      method: spec.method,
      path: url,
      headers,
      signal: signals.length === 1 ? deadline.signal : AbortSignal.any(signals),
    };
    if (body !== undefined) requestOptions.body = body;
    try {
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
        throw new TooLarge(tooLarge(spec, res.statusCode, requestId, `is ${mb} MB, more than the ${MAX_RESPONSE_BYTES / 1024 / 1024} MB acsync accepts`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.body.destroy();
          throw new TooLarge(tooLarge(spec, res.statusCode, requestId, `is larger than the ${MAX_RESPONSE_BYTES / 1024 / 1024} MB acsync accepts`));
        }
        chunks.push(buf);
      }
      return { status: res.statusCode, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8'), requestId };
    } catch (err) {
      if (deadline.signal.aborted && !(err instanceof TooLarge)) throw new DeadlineExceeded();
      throw err;
    } finally {
      clearTimeout(timer);
    }
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

  function tooLarge(spec: CallSpec, status: number, requestId: string | undefined, problem: string): ResponseTooLargeError {
    return new ResponseTooLargeError(connection, details(spec, status, requestId, ''), problem);
  }

  const pathOf = (spec: CallSpec): string => `${base.pathname}${spec.path}`;

  /** Sends one logical request, retrying what is worth retrying; returns parsed JSON for 2xx and accepted statuses. */
  async function call(spec: CallSpec): Promise<CallResult> {
    const search = new URLSearchParams(spec.query ?? {}).toString();
    const url = `${base.pathname}${spec.path}${search === '' ? '' : `?${search}`}`;
    const isBulk = spec.budgetKind === 'bulk-import' || spec.budgetKind === 'bulk-import-single';
    let failingSince: number | undefined;
    let rateLimitedSince: number | undefined;
    let ambiguousRetries = 0;
    let forbiddenRetries = 0;
    let emptyRetries = 0;
    let failures = 0;
    let lastFailure: TransportFailure | undefined;

    for (let sent = 1; ; sent++) {
      const ticket = await budget.acquire(spec.budgetKind ?? 'request', spec.signal);
      counters.waitedMs += ticket.waitedMs;
      if (ticket.waitedMs >= WAIT_EVENT_MIN_MS) emit({ type: 'ratelimit:wait', connection, ms: ticket.waitedMs, reason: 'budget' });
      bump(counters.byKind, spec.kind);
      emit({ type: 'request:sent', connection, kind: spec.kind });

      let response: RawResponse | undefined;
      try {
        response = await attempt(spec, url);
      } catch (err) {
        if (spec.signal?.aborted === true) throw spec.signal.reason;
        if (err instanceof TooLarge) throw err.error;
        if (err instanceof ResponseFormatError) throw err;
        lastFailure = classifyTransportError(err);
        bump(counters.byStatus, 'network');
      } finally {
        ticket.done();
      }

      let retryAfterMs: number | undefined;
      let status: number | undefined;
      let rateLimited = false;
      let inherited = false;
      let parsed: CallResult | undefined;
      if (response !== undefined) {
        status = response.status;
        bump(counters.byStatus, String(status));
        const bulkRateLimited = isBulk && (status === 400 || status === 429) && /rate limit/i.test(response.text);
        // A 503 near the limit is how some accounts say 429 (mediatoolkit/activecampaign-v3-php#18): pause the
        // account's budget as for a 429 and wait it out the same way. Far from the limit it is an outage: retried
        // as any 5xx, within the attempt bound.
        const limit503 = status === 503 && budget.nearLimit();
        rateLimited = status === 429 || bulkRateLimited || limit503;
        const asked = parseRetryAfter(response.headers.get('retry-after') ?? undefined, Date.now());
        if (rateLimited && asked !== undefined && asked > MAX_SERVER_WAIT_MS) {
          budget.onResponse(response.headers, status, { bulkRateLimited, maxWaitMs: MAX_SERVER_WAIT_MS });
          throw new RateLimitError(
            connection,
            spec.method,
            pathOf(spec),
            `it asked to wait ${describeWait(asked)} (Retry-After), more than the ${describeWait(MAX_SERVER_WAIT_MS)} acsync ever waits`,
          );
        }
        const reaction = budget.onResponse(response.headers, limit503 ? 429 : status, { bulkRateLimited, maxWaitMs: MAX_SERVER_WAIT_MS, kind: spec.budgetKind ?? 'request' });
        // A refusal for a budget used before this run could use it is waited out just the same, but it is not
        // this run being rate limited: it is reported as such ('inherited') and counted apart.
        inherited = rateLimited && reaction.inherited === true;
        if (reaction.pausedMs > 0 && rateLimited) emit({ type: 'ratelimit:wait', connection, ms: reaction.pausedMs, reason: inherited ? 'inherited' : 'retry-after' });
        if (inherited) counters.inheritedRateLimited++;
        else if (rateLimited) counters.rateLimited++;
        if (!RETRYABLE_STATUSES.has(status) && !bulkRateLimited) {
          const retry = retryableRefusal(spec, response, forbiddenRetries, emptyRetries);
          if (retry === 'forbidden') forbiddenRetries++;
          else if (retry === 'empty') emptyRetries++;
          else {
            parsed = finish(spec, response);
            goodAnswers++;
            return parsed;
          }
        }
        retryAfterMs = rateLimited ? 0 : Math.min(MAX_SERVER_WAIT_MS, asked ?? 0);
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
          { method: spec.method, path: pathOf(spec), code: failure.code, mayHaveBeenReceived: failure.mayHaveBeenReceived, attempts: sent },
          failure.description,
        );
      };
      if (lastFailure !== undefined && !lastFailure.retryable) giveUp();
      let delayMs: number;
      if (rateLimited) {
        // Rate limiting is waited out (the pause is inside acquire), up to its own deadline; attempts are not spent.
        rateLimitedSince ??= Date.now();
        if (Date.now() - rateLimitedSince + budget.pausedFor() > rateLimitDeadlineMs) {
          throw new RateLimitError(
            connection,
            spec.method,
            pathOf(spec),
            `it kept answering ${status === 503 ? '503 (over its limit)' : 'that the limit was reached'} for ${describeWait(Date.now() - rateLimitedSince)}, acsync's limit for one request`,
          );
        }
        delayMs = 0;
      } else {
        failures++;
        failingSince ??= Date.now();
        if (failures >= maxAttempts) giveUp();
        const jitter = Math.round(Math.random() * Math.min(RETRY_MAX_DELAY_MS, retryBaseMs * 2 ** (failures - 1)));
        delayMs = Math.max(jitter, retryAfterMs ?? 0);
        // Failures (not rate limiting, which has its own deadline) get maxTotalMs from the first one.
        if (Date.now() - failingSince + delayMs > maxTotalMs) giveUp();
      }
      const event: Parameters<EventSink>[0] = { type: 'request:retry', connection, method: spec.method, path: pathOf(spec), attempt: sent + 1, delayMs };
      if (status !== undefined) event.status = status;
      if (inherited) event.inherited = true;
      emit(event);
      counters.waitedMs += delayMs;
      await sleep(delayMs, spec.signal);
    }
  }

  /** A 2xx or 403 on a read that is worth another try: AC's intermittent 403s and empty bodies. */
  function retryableRefusal(spec: CallSpec, response: RawResponse, forbiddenRetries: number, emptyRetries: number): 'forbidden' | 'empty' | undefined {
    if (spec.method !== 'GET') return undefined;
    // Before any good answer a 403 is most likely the key: one more try only (a bad key costs one request more).
    const forbiddenBound = goodAnswers > 0 ? READ_403_RETRIES : 1;
    if (response.status === 403 && forbiddenRetries < forbiddenBound && permissionDetail(response.text) === undefined) return 'forbidden';
    if (response.status >= 200 && response.status < 300 && emptyRetries < EMPTY_BODY_RETRIES) {
      const t = response.text.trim();
      if (t === '') return 'empty';
      if (!t.startsWith('<')) {
        try {
          JSON.parse(t);
        } catch {
          return 'empty';
        }
      }
    }
    return undefined;
  }

  function finish(spec: CallSpec, response: RawResponse): CallResult {
    const { status, text, requestId } = response;
    const accepted = (status >= 200 && status < 300) || (spec.accept ?? []).includes(status);
    if (!accepted) throw remoteFailure(spec, response);
    if (status >= 200 && status < 300 && text.trim() === '' && spec.method === 'GET') {
      throw formatError(spec, status, requestId, text, 'is empty (several times in a row)');
    }
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

  function remoteFailure(spec: CallSpec, response: RawResponse): Error {
    const { status, text, requestId } = response;
    if (status === 403) {
      const detail = permissionDetail(text);
      if (detail !== undefined) return new PermissionError(connection, spec.method, pathOf(spec), excerptOf(scrub(detail)));
      return new AuthError(connection, options.apiKeyEnv);
    }
    if (status === 402) return new AccountError(connection);
    if (status === 429) return new RateLimitError(connection, spec.method, pathOf(spec), 'it answered 429 (too many requests) on every try');
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

  return {
    connection,
    baseUrl: base,
    call,
    getJson: async (spec, key) => expectObject(spec, await call(spec), key),
    expectObject,
    formatError,
    details,
    stats: () => ({ ...counters, byKind: { ...counters.byKind }, byStatus: { ...counters.byStatus } }),
    close: () => pool.close(),
  };
}

class DeadlineExceeded extends Error {
  readonly code = 'ERR_DEADLINE';
}

class TooLarge extends Error {
  constructor(readonly error: ResponseFormatError) {
    super(error.message);
  }
}

/** The permission a 403 names in `errors[].detail` (a bad key answers a bare `{"message":"Forbidden"}`). */
function permissionDetail(text: string): string | undefined {
  try {
    const root = JSON.parse(text) as unknown;
    if (!isObject(root)) return undefined;
    const detail = objects(root.errors).map((e) => str(e.detail)).find((d) => d !== '');
    return detail;
  } catch {
    return undefined;
  }
}

function describeWait(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/** A short, single-line, tag-free excerpt of a remote body. */
export function excerptOf(text: string): string {
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
    case 'ERR_DEADLINE':
      return { code, description: 'the answer took longer than acsync allows for one answer', mayHaveBeenReceived: true, retryable: true };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { code, description: 'connection closed by the other side', mayHaveBeenReceived: true, retryable: true };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { code, description: 'answer cut short', mayHaveBeenReceived: true, retryable: true };
    default:
      // A plain-HTTP (or other non-TLS) server answering our TLS handshake: no retry will change that.
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST' || code === 'EPROTO') {
        return { code: 'ERR_NOT_HTTPS', description: 'the host does not speak HTTPS', mayHaveBeenReceived: false, retryable: false };
      }
      if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
        return { code, description: 'the server\'s TLS certificate could not be verified', mayHaveBeenReceived: false, retryable: false };
      }
      return { code, description: 'network error', mayHaveBeenReceived: true, retryable: true };
  }
}
