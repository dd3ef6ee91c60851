import type { QuirksOption } from './quirks.ts';
/**
 * Public option and report shapes of the emulator. Kept apart from the server so the CLI and tests can
 * import them without starting anything.
 */

/** Off unless set. Every fraction is 0..1 and is drawn from a PRNG seeded by `seed`, so a run is repeatable. */
export interface FaultConfig {
  /** Seed of the fault PRNG (default 1). Setting faults again restarts the sequence. */
  seed?: number;
  /** Only these endpoint kinds are faulted, e.g. ["POST /api/3/import/bulk_import", "GET /api/3/contacts"]. */
  only?: string[];
  /** Fraction of API requests answered with a 5xx status instead of being handled. */
  errorRate?: number;
  /** Statuses to pick from for `errorRate` (default [500, 502, 503]). */
  errorStatuses?: number[];
  /** Fraction of requests that start a 429 storm; a storm answers the next `length` requests with 429. */
  storm?: { probability: number; length: number; retryAfterSeconds?: number };
  /** Fraction of requests whose connection is destroyed without an answer. */
  resetRate?: number;
  /** Added latency before each API request is handled: fixed ms, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /** Fraction of bulk batches that end `failed` (nothing applied). */
  bulkFailRate?: number;
  /** Fraction of bulk batches that end `interrupted` (a prefix of the contacts applied, see bulk-import.ts). */
  bulkInterruptRate?: number;
  /** Emails (case-insensitive) that fail inside any bulk batch: they land in `failure` and nothing of them is applied. */
  failEmails?: string[];
}

export interface EmulatorLimits {
  /** Requests per second per account (ActiveCampaign: 5). */
  rateLimit?: number;
  /** Multi-contact bulk imports per minute (ActiveCampaign: 100). */
  bulkPerMinute?: number;
  /** Single-contact bulk imports per minute (ActiveCampaign: 20). */
  singleBulkPerMinute?: number;
  /** Time from queued to completed, in ms. */
  bulkDelayMs?: number;
}

export interface EmulatorOptions extends EmulatorLimits {
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: a random key. */
  apiKey?: string;
  /** Persist the state here (atomic: temp file + rename); loaded at start when it exists. */
  dataFile?: string;
  /** Create lists 1..N at start when absent. */
  seedLists?: number;
  /** Create custom fields with these personalization tags, related to all lists. */
  seedFields?: string[];
  faults?: FaultConfig;
  /**
   * The emulator's clock (ms since the epoch; default Date.now). Every date it records (a contact's udate, a list
   * membership's sdate/udate, a contactTag's cdate) comes from it, at ActiveCampaign's one-second resolution, so
   * tests can move time on instead of sleeping.
   */
  now?: () => number;
  /** The quirks profile (quirks.ts): `true` for every quirk, or the names of those to switch on. Off by default. */
  quirks?: QuirksOption;
}

export interface EmulatorStats {
  /** API requests by kind, e.g. "GET /api/3/contacts", "DELETE /api/3/contactTags/{id}". Hooks are not counted. */
  byEndpoint: Record<string, number>;
  /** API responses by HTTP status (as a string); "reset" for connections the fault injector destroyed. */
  byStatus: Record<string, number>;
  /** 429 responses sent. */
  rateLimited: number;
  /** Bulk imports refused by the per-minute limits. */
  bulkRateLimited: number;
  /** The most API requests received within any 1 s. */
  maxRequestsPerSecond: number;
  /** The most bulk import requests received within any 60 s. */
  maxBulkImportsPerMinute: number;
  /** Total API requests received. */
  requests: number;
}
