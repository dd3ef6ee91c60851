import { afterEach, describe, expect, it } from 'vitest';
import { type Api, start } from './helpers.ts';

let api: Api | undefined;
afterEach(async () => {
  await api?.e.stop();
  api = undefined;
});

async function statuses(a: Api, n: number): Promise<Array<number | 'reset'>> {
  const out: Array<number | 'reset'> = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push((await a.get('/api/3/lists')).status);
    } catch {
      out.push('reset');
    }
  }
  return out;
}

describe('fault injection', () => {
  it('is repeatable for a seed and differs for another', async () => {
    const faults = { seed: 42, errorRate: 0.3, resetRate: 0.1 };
    api = await start({ faults });
    const first = await statuses(api, 40);
    api.e.setFaults(faults);
    const second = await statuses(api, 40);
    api.e.setFaults({ ...faults, seed: 43 });
    const other = await statuses(api, 40);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).toContain('reset');
    expect(first.some((s) => s === 500 || s === 502 || s === 503)).toBe(true);
    expect(first).toContain(200);
    expect(api.e.stats().byStatus['reset']).toBeGreaterThan(0);
  });

  it('runs 429 storms of the given length, with Retry-After', async () => {
    api = await start({ faults: { seed: 1, storm: { probability: 1, length: 3, retryAfterSeconds: 2 } } });
    const r = await api.get('/api/3/lists');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    api.e.setFaults({ seed: 1, storm: { probability: 0.05, length: 4 } });
    const seq = await statuses(api, 60);
    const runs = seq.join(',').split('200').filter((s) => s.includes('429'));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.split(',').filter((s) => s === '429').length % 4).toBe(0);
  });

  it('faults only the endpoints named in `only`', async () => {
    api = await start({ faults: { errorRate: 1, only: ['POST /api/3/import/bulk_import'] } });
    expect((await api.get('/api/3/lists')).status).toBe(200);
    expect((await api.post('/api/3/import/bulk_import', { contacts: [{ email: 'a@example.com' }] })).status).toBeGreaterThanOrEqual(500);
  });

  it('adds latency', async () => {
    api = await start({ faults: { latencyMs: 150 } });
    const t0 = Date.now();
    await api.get('/api/3/lists');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('ends a failed batch with nothing applied', async () => {
    api = await start({ seedLists: 1, faults: { bulkFailRate: 1 } });
    const q = await api.post('/api/3/import/bulk_import', { contacts: [{ email: 'a@example.com', subscribe: [{ listid: 1 }] }] });
    expect((await api.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body).toEqual({ status: 'failed', success: [], failure: [] });
    expect((await api.get('/api/3/contacts')).body.meta.total).toBe('0');
  });

  it('ends an interrupted batch with a prefix applied', async () => {
    api = await start({ faults: { seed: 5, bulkInterruptRate: 1 } });
    const emails = Array.from({ length: 20 }, (_, i) => ({ email: `c${i}@example.com` }));
    const q = await api.post('/api/3/import/bulk_import', { contacts: emails });
    const info = (await api.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body;
    expect(info.status).toBe('interrupted');
    const state = (await api.hook('GET', 'state')).body;
    const applied = state.contacts.map((c: { email: string }) => c.email);
    expect(applied).toEqual(emails.slice(0, applied.length).map((e) => e.email));
    expect(applied.length).toBeLessThan(20);
    expect(info.success).toHaveLength(applied.length);
  });

  it('fails chosen emails inside a batch', async () => {
    api = await start({ faults: { failEmails: ['B@example.com'] } });
    const q = await api.post('/api/3/import/bulk_import', { contacts: [{ email: 'a@example.com' }, { email: 'b@example.com' }] });
    expect((await api.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body).toEqual({ status: 'completed', success: ['1'], failure: ['b@example.com'] });
  });
});
