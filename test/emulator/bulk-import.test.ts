import { afterEach, describe, expect, it } from 'vitest';
import { type Api, sleep, start } from './helpers.ts';

let api: Api | undefined;
afterEach(async () => {
  await api?.e.stop();
  api = undefined;
});

async function importNow(a: Api, body: unknown): Promise<{ status: string; success: string[]; failure: string[] }> {
  const q = await a.post('/api/3/import/bulk_import', body);
  expect(q.status, JSON.stringify(q.body)).toBe(200);
  return (await a.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body;
}

describe('batch state machine', () => {
  it('answers status false first, then waiting, claimed, active, completed', async () => {
    api = await start({ bulkDelayMs: 1000, seedLists: 1 });
    const q = await api.post('/api/3/import/bulk_import', { contacts: [{ email: 'a@example.com', subscribe: [{ listid: 1 }] }] });
    const seen: unknown[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      const info = (await api.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body;
      if (seen[seen.length - 1] !== info.status) seen.push(info.status);
      if (info.status === false) expect(info).toEqual({ status: false });
      if (info.status === 'completed') {
        expect(info).toEqual({ status: 'completed', success: ['1'], failure: [] });
        break;
      }
      await sleep(40);
    }
    expect(seen).toEqual([false, 'waiting', 'claimed', 'active', 'completed']);
  });

  it('does not apply a batch before it completes', async () => {
    api = await start({ bulkDelayMs: 400, seedLists: 1 });
    await api.post('/api/3/import/bulk_import', { contacts: [{ email: 'a@example.com', subscribe: [{ listid: 1 }] }] });
    expect((await api.get('/api/3/contacts?listid=1')).body.meta.total).toBe('0');
    await sleep(450);
    expect((await api.get('/api/3/contacts?listid=1')).body.meta.total).toBe('1');
  });

  it('requires batchId', async () => {
    api = await start();
    const r = await api.get('/api/3/import/info');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ success: 0, message: "'batchId' is a required field." });
  });
});

describe('validation (nothing queued)', () => {
  it('lists every failure reason with the contact index', async () => {
    api = await start({ seedLists: 1 });
    const r = await api.post('/api/3/import/bulk_import', {
      contacts: [{ email: 'ok@example.com' }, { email: 'not-an-email' }, { first_name: 'x' }, { email: 'a@example.com', subscribe: [{ listid: 9 }] }],
    });
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(0);
    expect(r.body.message).toContain('The import was not queued');
    expect(r.body.failureReasons).toEqual([
      { contact: 1, failureReason: "Field 'email' incorrect format" },
      { contact: 2, failureReason: "Field 'email' is required" },
      { contact: 3, failureReason: 'List id 9 does not exist' },
    ]);
    expect((await api.get('/api/3/contacts')).body.meta.total).toBe('0');
  });

  it('refuses more than 250 contacts and payloads of 400,000 bytes or more', async () => {
    api = await start();
    const many = await api.post('/api/3/import/bulk_import', { contacts: Array.from({ length: 251 }, (_, i) => ({ email: `c${i}@example.com` })) });
    expect(many.status).toBe(400);
    expect(many.body.failureReasons[0]).toContain('250');
    const pad = 'x'.repeat(1700);
    const big = await api.post('/api/3/import/bulk_import', { contacts: Array.from({ length: 240 }, (_, i) => ({ email: `c${i}@example.com`, first_name: pad })) });
    expect(big.status).toBe(400);
    expect(big.body.failureReasons[0]).toContain('400000');
    expect((await api.get('/api/3/contacts')).body.meta.total).toBe('0');
  });
});

describe('applying a batch', () => {
  it('reports only newly created ids as success and failed emails as failure', async () => {
    api = await start({ seedLists: 1 });
    api.e.seed({ contacts: [{ email: 'old@example.com' }] });
    const info = await importNow(api, {
      contacts: [{ email: 'OLD@example.com', first_name: 'Old' }, { email: 'new@example.com' }, { email: 'bad.email@invalidDomain' }, { email: "o'brien@example.com" }],
    });
    expect(info).toEqual({ status: 'completed', success: ['2'], failure: ['bad.email@invalidDomain', "o'brien@example.com"] });
    const old = (await api.get('/api/3/contacts?email=old%40example.com')).body.contacts;
    expect(old).toHaveLength(1);
    expect(old[0]).toMatchObject({ id: '1', email: 'old@example.com', firstName: 'Old' });
  });

  it('never erases values with empty or absent ones', async () => {
    api = await start({ seedLists: 1, seedFields: ['TIER'] });
    api.e.seed({ contacts: [{ email: 'a@example.com', firstName: 'Ann', lastName: 'Lee', phone: '555', fields: { TIER: 'Gold' } }] });
    await importNow(api, { contacts: [{ email: 'a@example.com', first_name: '', phone: '', fields: [{ id: 1, value: '' }] }] });
    const c = (await api.get('/api/3/contacts?email=a%40example.com&include=fieldValues')).body;
    expect(c.contacts[0]).toMatchObject({ firstName: 'Ann', lastName: 'Lee', phone: '555' });
    expect(c.fieldValues[0]).toMatchObject({ value: 'Gold' });
  });

  it('does not re-subscribe someone who unsubscribed, but subscribes others and honours unsubscribe', async () => {
    api = await start({ seedLists: 2 });
    api.e.seed({ contacts: [{ email: 'gone@example.com', lists: { '1': 2 } }, { email: 'stay@example.com', lists: { '1': 1, '2': 1 } }] });
    const info = await importNow(api, {
      exclude_automations: true,
      contacts: [
        { email: 'gone@example.com', subscribe: [{ listid: 1 }], exclude_automations: true },
        { email: 'fresh@example.com', subscribe: [{ listid: 1 }] },
        { email: 'stay@example.com', unsubscribe: [{ listid: 2 }] },
      ],
    });
    expect(info.failure).toEqual([]);
    const state = (await api.hook('GET', 'state')).body;
    const lists = Object.fromEntries(state.contacts.map((c: { email: string; lists: unknown }) => [c.email, c.lists]));
    expect(lists).toEqual({
      'gone@example.com': { '1': 2 },
      'stay@example.com': { '1': 1, '2': 2 },
      'fresh@example.com': { '1': 1 },
    });
  });

  it('creates tags on the fly, reusing existing ones case-insensitively', async () => {
    api = await start();
    api.e.seed({ contacts: [{ email: 'x@example.com', tags: ['VIP'] }] });
    await importNow(api, { contacts: [{ email: 'a@example.com', tags: ['vip', 'acsync:list-1'] }] });
    const tags = (await api.get('/api/3/tags')).body;
    expect(tags.meta.total).toBe('2');
    expect(tags.tags.map((t: { tag: string }) => t.tag)).toEqual(['VIP', 'acsync:list-1']);
  });

  it('fails a second copy of the same email in one payload', async () => {
    api = await start();
    const info = await importNow(api, { contacts: [{ email: 'a@example.com', first_name: 'One' }, { email: 'A@example.com', first_name: 'Two' }] });
    expect(info).toEqual({ status: 'completed', success: ['1'], failure: ['A@example.com'] });
  });

  it('fails a contact whose date field value is malformed', async () => {
    api = await start({ seedFields: [] });
    api.e.seed({ fields: [{ perstag: 'SINCE', type: 'date' }] });
    const info = await importNow(api, { contacts: [{ email: 'a@example.com', fields: [{ id: 1, value: '20/01/2008' }] }, { email: 'b@example.com', fields: [{ id: 1, value: '2008-01-20' }] }] });
    expect(info).toEqual({ status: 'completed', success: ['1'], failure: ['a@example.com'] });
  });
});
