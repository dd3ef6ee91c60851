import { afterEach, describe, expect, it } from 'vitest';
import { type Api, sleep, start } from './helpers.ts';

let api: Api | undefined;
afterEach(async () => {
  await api?.e.stop();
  api = undefined;
});

const contacts = (n: number, prefix: string): unknown => ({
  contacts: Array.from({ length: n }, (_, i) => ({ email: `${prefix}${i}@example.com` })),
});

describe('per-account request rate', () => {
  it('answers 429 with Retry-After and RateLimit headers beyond the limit in a rolling second', async () => {
    api = await start({ rateLimit: 3 });
    const a = api;
    const rs = await Promise.all(Array.from({ length: 5 }, () => a.get('/api/3/users/me')));
    const statuses = rs.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const ok = rs.find((r) => r.status === 200);
    expect(ok?.headers.get('ratelimit-limit')).toBe('3');
    expect(ok?.headers.get('ratelimit-remaining')).toMatch(/^[0-2]$/);
    const limited = rs.find((r) => r.status === 429);
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(limited?.headers.get('ratelimit-remaining')).toBe('0');
    // Hooks are free: they neither count nor get limited.
    expect((await a.hook('GET', 'stats')).status).toBe(200);
    const s = a.e.stats();
    expect(s.rateLimited).toBe(2);
    expect(s.byStatus).toEqual({ '200': 3, '429': 2 });
    expect(s.byEndpoint).toEqual({ 'GET /api/3/users/me': 5 });
    expect(s.maxRequestsPerSecond).toBe(5);
    await sleep(1050);
    expect((await a.get('/api/3/users/me')).status).toBe(200);
  });

  it('does not count bad-key requests against the account', async () => {
    api = await start({ rateLimit: 1 });
    await fetch(`${api.e.url}/api/3/users/me`, { headers: { 'Api-Token': 'wrong' } });
    expect((await api.get('/api/3/users/me')).status).toBe(200);
  });

  it('takes new limits at run time', async () => {
    api = await start({ rateLimit: 1 });
    expect((await api.hook('PUT', 'limits', { rateLimit: 50 })).body).toMatchObject({ rateLimit: 50 });
    const a = api;
    const rs = await Promise.all(Array.from({ length: 10 }, () => a.get('/api/3/lists')));
    expect(rs.every((r) => r.status === 200)).toBe(true);
  });
});

describe('bulk import per-minute limits', () => {
  it('refuses the multi-contact import beyond the limit with the documented body and Retry-After', async () => {
    api = await start({ bulkPerMinute: 2 });
    expect((await api.post('/api/3/import/bulk_import', contacts(2, 'a'))).status).toBe(200);
    expect((await api.post('/api/3/import/bulk_import', contacts(2, 'b'))).status).toBe(200);
    const r = await api.post('/api/3/import/bulk_import', contacts(2, 'c'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: 0, message: 'Rate limit exceeded.', failureReasons: [expect.stringContaining('2 imports')] });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    // Single-contact imports have their own budget.
    expect((await api.post('/api/3/import/bulk_import', contacts(1, 'd'))).status).toBe(200);
    const s = api.e.stats();
    expect(s.bulkRateLimited).toBe(1);
    expect(s.maxBulkImportsPerMinute).toBe(4);
    // Nothing of the refused payload was queued.
    expect((await api.get('/api/3/contacts?email=c0%40example.com')).body.meta.total).toBe('0');
  });

  it('limits single-contact imports separately', async () => {
    api = await start({ singleBulkPerMinute: 1 });
    expect((await api.post('/api/3/import/bulk_import', contacts(1, 'a'))).status).toBe(200);
    const r = await api.post('/api/3/import/bulk_import', contacts(1, 'b'));
    expect(r.status).toBe(400);
    expect(r.body.failureReasons[0]).toContain('single-contact');
    expect((await api.post('/api/3/import/bulk_import', contacts(3, 'c'))).status).toBe(200);
  });
});
