/**
 * What can go wrong talking to ActiveCampaign, as a small set of classes the CLI can tell apart:
 * the user's fault (AuthError, NotFoundError, AccountError, BulkLimitError: a hint, no stack needed),
 * the remote's fault (RemoteError, ResponseFormatError, NetworkError: method, path, status, request id).
 *
 * None of them ever carries the API key: messages are built from parts the client controls, every piece of
 * remote text is scrubbed, and undici's own errors are never attached as `cause` (their messages and stacks
 * are outside our control).
 */

import { registeredSecrets, scrubSecrets } from '../secrets.ts';

export type ErrorFault = 'user' | 'remote';

export abstract class ActiveCampaignError extends Error {
  abstract readonly fault: ErrorFault;
  /** The connection id (the key under `connections:`), never the hostname's secret parts or the key. */
  readonly connection: string;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(connection: string, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.connection = connection;
    this.hint = hint;
  }
}

/** 403: the key is wrong, revoked, or lacks permission. ActiveCampaign answers 403 (not 401) for a bad key. */
export class AuthError extends ActiveCampaignError {
  readonly fault = 'user';
  readonly status = 403;
  constructor(connection: string, apiKeyEnv?: string) {
    const where = apiKeyEnv === undefined ? 'the API key variable of this connection' : `the variable ${apiKeyEnv}`;
    super(
      connection,
      `ActiveCampaign rejected the API key of connection '${connection}' (403).`,
      `Check ${where}: it must hold the key from ActiveCampaign's Settings → Developer for this account, and the user must be allowed to manage contacts and lists.`,
    );
  }
}

/**
 * 403 whose body names a permission (`errors[].detail`): the key is good but its user may not do this. Told apart
 * from a bad key, which needs a different fix.
 */
export class PermissionError extends ActiveCampaignError {
  readonly fault = 'user';
  readonly status = 403;
  constructor(connection: string, method: string, path: string, detail: string) {
    super(
      connection,
      `ActiveCampaign refused ${method} ${path} for connection '${connection}': the key's user lacks a permission (403: ${detail}).`,
      "In ActiveCampaign (Settings → Users → the key's user group), allow managing contacts, lists and tags, or use the key of a user who may; the key itself is fine.",
    );
  }
}

/**
 * ActiveCampaign kept answering "too many requests" (429, a bulk refusal, a 503 at the limit) past acsync's
 * deadline, or asked for a wait longer than acsync ever waits. Not a configuration problem.
 */
export class RateLimitError extends ActiveCampaignError {
  readonly fault = 'remote';
  readonly method: string;
  readonly path: string;
  constructor(connection: string, method: string, path: string, problem: string) {
    super(
      connection,
      `ActiveCampaign is rate limiting connection '${connection}': ${problem} (${method} ${path}).`,
      'The account\'s limit (5 requests per second) is shared by every integration using it: another integration may be busy on this account. Rerun later (a rerun only sends what is still missing); the hostname and the key are fine.',
    );
    this.method = method;
    this.path = path;
  }
}

/** 404 on something the config names (a list id). */
export class NotFoundError extends ActiveCampaignError {
  readonly fault = 'user';
  readonly status = 404;
  readonly entity: string;
  readonly id: string;
  constructor(connection: string, entity: string, id: string) {
    super(
      connection,
      `ActiveCampaign has no ${entity} with id ${id} in the account of connection '${connection}'.`,
      entity === 'list'
        ? `Check listId in the config: the list id is the number in the list's URL in ActiveCampaign (Contacts → Lists).`
        : undefined,
    );
    this.entity = entity;
    this.id = id;
  }
}

/** 402: the account has a payment problem; nothing acsync can do. */
export class AccountError extends ActiveCampaignError {
  readonly fault = 'user';
  readonly status = 402;
  constructor(connection: string) {
    super(
      connection,
      `ActiveCampaign refused requests for connection '${connection}' because the account's plan or payment is inactive (402 Payment Required).`,
      'Sign in to ActiveCampaign and check the account\'s billing status; rerun once the account is active.',
    );
  }
}

export interface RemoteErrorDetails {
  method: string;
  /** The path only: the query (which may hold an email) is never kept. */
  path: string;
  status: number;
  requestId?: string;
  /** The first few hundred characters of the body, scrubbed. */
  excerpt?: string;
}

/** ActiveCampaign answered with an error we cannot attribute to the user (5xx, unexpected 4xx, a redirect). */
export class RemoteError extends ActiveCampaignError {
  readonly fault = 'remote';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly excerpt: string | undefined;
  constructor(connection: string, details: RemoteErrorDetails, what?: string) {
    const rid = details.requestId === undefined ? '' : ` (request id ${details.requestId})`;
    const body = details.excerpt === undefined || details.excerpt === '' ? '' : `: ${details.excerpt}`;
    super(
      connection,
      `${what ?? 'ActiveCampaign answered'} ${details.status} to ${details.method} ${details.path} for connection '${connection}'${rid}${body}`,
      details.status >= 500
        ? 'ActiveCampaign had a problem; rerun later (a rerun only sends what is still missing).'
        : details.status >= 300 && details.status < 400
          ? // Following it would send the API key wherever the redirect points.
            "acsync never follows redirects: check that the connection's hostname is the API URL from ActiveCampaign's Settings → Developer (e.g. youraccount.api-us1.com), not the address of the web app or a proxy."
          : 'acsync did not expect this answer; check the hostname and the key, and if it persists report it with the request id (never with the key).',
    );
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.requestId = details.requestId;
    this.excerpt = details.excerpt;
  }
}

export interface NetworkErrorDetails {
  method: string;
  path: string;
  /** undici / Node error code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, …) or 'unknown'. */
  code: string;
  /** True when the request may have reached ActiveCampaign (reset or timeout after sending). */
  mayHaveBeenReceived: boolean;
  /** How many attempts were made. */
  attempts: number;
}

/** The request did not get an answer: connection refused or reset, DNS failure, timeout, TLS failure. */
export class NetworkError extends ActiveCampaignError {
  readonly fault = 'remote';
  readonly method: string;
  readonly path: string;
  readonly code: string;
  readonly mayHaveBeenReceived: boolean;
  readonly attempts: number;
  constructor(connection: string, details: NetworkErrorDetails, description: string) {
    super(
      connection,
      `${details.method} ${details.path} for connection '${connection}' failed after ${details.attempts} attempt(s): ${description} (${details.code}).`,
      networkHint(details.code),
    );
    this.method = details.method;
    this.path = details.path;
    this.code = details.code;
    this.mayHaveBeenReceived = details.mayHaveBeenReceived;
    this.attempts = details.attempts;
  }
}

/** ActiveCampaign's answer was not the JSON we expected: an HTML error page, malformed or truncated JSON, too large. */
export class ResponseFormatError extends ActiveCampaignError {
  readonly fault = 'remote';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly requestId: string | undefined;
  constructor(connection: string, details: RemoteErrorDetails, problem: string) {
    const rid = details.requestId === undefined ? '' : `, request id ${details.requestId}`;
    const body = details.excerpt === undefined || details.excerpt === '' ? '' : ` Body starts: ${details.excerpt}`;
    super(
      connection,
      `ActiveCampaign's answer to ${details.method} ${details.path} for connection '${connection}' (${details.status}${rid}) ${problem}.${body}`,
      'Check that the connection\'s hostname is the API URL from ActiveCampaign\'s Settings → Developer (a proxy or a wrong host answers with web pages); rerun later if it persists.',
    );
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

/** The answer was larger than acsync accepts (a list read halves its page and tries again). */
export class ResponseTooLargeError extends ResponseFormatError {}

/** One contact the bulk importer refused: `contact` is its index in the batch sent. */
export interface BulkFailureReason {
  contact: number;
  /** The email at that index, when the index is within the batch. */
  email?: string;
  failureReason: string;
  /** True when AC's index base could not be settled, and the index was read as 0-based (see client.ts). */
  uncertain?: boolean;
}

/** The bulk importer refused the whole payload because of some contacts; nothing was queued. */
export class BulkValidationError extends ActiveCampaignError {
  readonly fault = 'user';
  readonly failureReasons: BulkFailureReason[];
  constructor(connection: string, message: string, failureReasons: BulkFailureReason[]) {
    const first = failureReasons[0];
    const sample = first === undefined ? '' : ` First: ${first.email ?? `contact #${first.contact}`}: ${first.failureReason}.`;
    super(
      connection,
      `ActiveCampaign refused a bulk import for connection '${connection}' (nothing was queued): ${message} ${failureReasons.length} contact(s) rejected.${sample}`,
      'Fix or drop the rejected contacts and send the rest again.',
    );
    this.failureReasons = failureReasons;
  }
}

/** A bulk import that breaks ActiveCampaign's size limits, refused before sending (the caller must split it). */
export class BulkLimitError extends ActiveCampaignError {
  readonly fault = 'user';
  constructor(connection: string, message: string) {
    super(connection, message, 'Split the contacts into smaller batches (the apply executor does this itself).');
  }
}

/** A bulk batch that did not reach a terminal state in time. */
export class BatchTimeoutError extends ActiveCampaignError {
  readonly fault = 'remote';
  readonly batchId: string;
  readonly lastStatus: string;
  constructor(connection: string, batchId: string, waitedMs: number, lastStatus: string) {
    super(
      connection,
      `Bulk import batch ${batchId} of connection '${connection}' was still '${lastStatus}' after ${Math.round(waitedMs / 1000)} s.`,
      'ActiveCampaign\'s import queue is slow; rerun later (contacts of this batch are sent again, which is safe: imports upsert by email).',
    );
    this.batchId = batchId;
    this.lastStatus = lastStatus;
  }
}

/** What to do about a transport failure: a certificate or a missing host will not fix itself on a rerun. */
function networkHint(code: string): string {
  if (code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return "The server did not prove it is the connection's host, so acsync sent nothing to it (not the key either). Check that hostname is the API URL from ActiveCampaign's Settings → Developer; behind a proxy that inspects HTTPS, give Node its CA with NODE_EXTRA_CA_CERTS.";
  }
  if (code === 'ERR_NOT_HTTPS') {
    return "The host answered in plain HTTP (or some other protocol), not HTTPS, so acsync sent nothing more to it. ActiveCampaign's API speaks HTTPS: check the connection's hostname against the API URL in Settings → Developer.";
  }
  if (code === 'ERR_DEADLINE') return 'The server answered too slowly to be usable (a total deadline per answer applies); check the network or a proxy in between, and rerun later.';
  if (code === 'ENOTFOUND') return "No such host: check the connection's hostname against the API URL in ActiveCampaign's Settings → Developer (e.g. youraccount.api-us1.com).";
  return 'Check the hostname of the connection and the network; rerun later (a rerun only sends what is still missing).';
}

/**
 * Replaces the secret, in every encoded form (engine/secrets.ts), and every other secret the process holds, in
 * remote text; a no-op for secrets too short to be meaningful.
 */
export function scrubSecret(text: string, secret: string): string {
  return scrubSecrets(text, [secret, ...registeredSecrets()]);
}
