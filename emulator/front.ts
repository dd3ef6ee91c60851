/**
 * What every API request meets before its route: the stats, the fault injector, the key check, the quirks that
 * answer instead of the route, the account's rolling rate limit, and the bulk import's per-minute limits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleApi } from './api-routes.ts';
import type { BulkQueue } from './bulk-import.ts';
import type { FaultInjector } from './faults.ts';
import { readBody, Reply, sendJson } from './http-io.ts';
import type { Quirks } from './quirks.ts';
import type { RollingWindow } from './rolling-window.ts';
import type { Store } from './store.ts';
import type { EmulatorLimits, EmulatorStats } from './types.ts';

/**
 * The bulk importer's per-minute refusal. ActiveCampaign documents this body under HTTP 400, and whether the
 * real status is 400 or 429 is unknown; 400 is the stricter choice (a client cannot rely on the status
 * alone and must read `message`). Retry-After is sent as well.
 */
export const BULK_RATE_LIMIT_STATUS = 400;

export interface FrontDeps {
  apiKey: string;
  now: () => number;
  limits: Required<EmulatorLimits>;
  /** The current stats (reset replaces the object). */
  stats: () => EmulatorStats;
  windows: { account: RollingWindow; bulk: RollingWindow; singleBulk: RollingWindow; seenPerSecond: RollingWindow; seenBulkPerMinute: RollingWindow };
  store: Store;
  bulk: BulkQueue;
  faults: FaultInjector;
  quirks: Quirks;
  baseUrl: () => string;
  dirty: () => void;
}

/** "GET /api/3/contacts/{id}": numeric path segments folded, so stats group by endpoint. */
export function endpointKind(method: string, pathname: string): string {
  const path = pathname.replace(/\/+$/, '');
  const rest = path.startsWith('/api/3/') ? path.slice('/api/3'.length).replace(/\/\d+(?=\/|$)/g, '/{id}') : path.slice('/api/3'.length);
  return `${method} /api/3${rest}`;
}

export function createApiFront(deps: FrontDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { apiKey, now, limits, store, bulk, faults, quirks, dirty } = deps;
  const { account: accountWindow, bulk: bulkWindow, singleBulk: singleBulkWindow, seenPerSecond, seenBulkPerMinute } = deps.windows;
  const takeBulkSlot = (single: boolean): void => {
    const t = now();
    const window = single ? singleBulkWindow : bulkWindow;
    const limit = single ? limits.singleBulkPerMinute : limits.bulkPerMinute;
    if (window.count(t) >= limit) {
      deps.stats().bulkRateLimited++;
      throw new Reply(
        BULK_RATE_LIMIT_STATUS,
        {
          success: 0,
          message: 'Rate limit exceeded.',
          failureReasons: [
            single
              ? `Up to ${limit} single-contact imports may be requested per minute. Please wait and retry.`
              : `Up to ${limit} imports may be requested per minute. Please wait and retry.`,
          ],
        },
        { 'Retry-After': String(window.retryAfterSeconds(t, limit)) },
      );
    }
    window.add(t);
  };


  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const kind = endpointKind(method, url.pathname);
    const t0 = now();
    deps.stats().requests++;
    deps.stats().byEndpoint[kind] = (deps.stats().byEndpoint[kind] ?? 0) + 1;
    seenPerSecond.add(t0);
    deps.stats().maxRequestsPerSecond = Math.max(deps.stats().maxRequestsPerSecond, seenPerSecond.count(t0));
    if (method === 'POST' && url.pathname.replace(/\/+$/, '') === '/api/3/import/bulk_import') {
      seenBulkPerMinute.add(t0);
      deps.stats().maxBulkImportsPerMinute = Math.max(deps.stats().maxBulkImportsPerMinute, seenBulkPerMinute.count(t0));
    }
    const count = (status: number | 'reset'): void => {
      const k = String(status);
      deps.stats().byStatus[k] = (deps.stats().byStatus[k] ?? 0) + 1;
      if (status === 429) deps.stats().rateLimited++;
    };
    const raw = await readBody(req);
    bulk.advance();

    const fault = faults.forRequest(kind);
    if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault.kind === 'reset') {
      count('reset');
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'error') {
      count(fault.status);
      // Gateways answer 502/503 with HTML, not JSON: a client must not assume an error body parses.
      const text = fault.status === 500 ? JSON.stringify({ message: 'Internal Server Error' }) : `<html><body><h1>${fault.status}</h1></body></html>`;
      res.writeHead(fault.status, { 'Content-Type': fault.status === 500 ? 'application/json' : 'text/html' });
      res.end(text);
      return;
    }
    if (fault.kind === 'storm' && quirks.has('rateLimit503')) {
      count(503);
      res.writeHead(503, { 'Content-Type': 'text/html' });
      res.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      return;
    }
    if (fault.kind === 'storm') {
      count(429);
      sendJson(res, 429, { message: 'Too Many Requests' }, {
        'Retry-After': String(fault.retryAfterSeconds),
        'RateLimit-Limit': String(limits.rateLimit),
        'RateLimit-Remaining': '0',
      });
      return;
    }

    if (req.headers['api-token'] !== apiKey) {
      count(403);
      sendJson(res, 403, { message: 'Forbidden' });
      return;
    }

    const t = now();
    const used = accountWindow.count(t);
    if (used >= limits.rateLimit && quirks.has('rateLimit503')) {
      // Quirk: over the limit, a gateway's 503 page without Retry-After (mediatoolkit/activecampaign-v3-php#18).
      count(503);
      res.writeHead(503, { 'Content-Type': 'text/html' });
      res.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      return;
    }
    if (used >= limits.rateLimit) {
      count(429);
      sendJson(res, 429, { message: 'Too Many Requests' }, {
        'Retry-After': String(accountWindow.retryAfterSeconds(t, limits.rateLimit)),
        'RateLimit-Limit': String(limits.rateLimit),
        'RateLimit-Remaining': '0',
      });
      return;
    }
    accountWindow.add(t);
    if (method === 'GET') {
      const q = quirks.forGet(kind);
      if (q === 'forbidden') {
        count(403);
        sendJson(res, 403, { message: 'Forbidden' });
        return;
      }
      if (q === 'empty') {
        count(200);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end();
        return;
      }
    }
    const rateHeaders = { 'RateLimit-Limit': String(limits.rateLimit), 'RateLimit-Remaining': String(Math.max(0, limits.rateLimit - used - 1)) };

    const parts = url.pathname.replace(/^\/api\/3\/?/, '').replace(/\/+$/, '').split('/').filter((p) => p !== '');
    try {
      const answer = handleApi(
        { store, bulk, baseUrl: deps.baseUrl(), bulkDelayMs: limits.bulkDelayMs, takeBulkSlot, dirty, quirks },
        method,
        parts,
        url.searchParams,
        raw,
      );
      count(answer.status);
      sendJson(res, answer.status, answer.body, rateHeaders);
    } catch (e) {
      if (!(e instanceof Reply)) throw e;
      count(e.status);
      sendJson(res, e.status, e.body, { ...rateHeaders, ...e.headers });
    }
  };
}
