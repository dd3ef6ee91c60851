import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, start } from './helpers.ts';

let api: Api;
const N = 250;
beforeAll(async () => {
  api = await start({ seedLists: 2 });
  // Every contact on list 1; every third unsubscribed there; every fifth also on list 2.
  api.e.seed({
    contacts: Array.from({ length: N }, (_, i) => ({
      email: `p${i + 1}@example.com`,
      lists: { '1': i % 3 === 2 ? 2 : 1, ...(i % 5 === 0 ? { '2': 1 } : {}) },
    })) as never,
  });
});
afterAll(async () => {
  await api.e.stop();
});

const ids = (r: { body: { contacts: Array<{ id: string }> } }): number[] => r.body.contacts.map((c) => Number(c.id));

describe('GET /contacts paging', () => {
  it('defaults to 20 and clamps limit to 100', async () => {
    expect(ids(await api.get('/api/3/contacts'))).toHaveLength(20);
    const big = await api.get('/api/3/contacts?limit=500');
    expect(ids(big)).toHaveLength(100);
    expect(big.body.meta).toMatchObject({ total: String(N), page_input: { limit: 100 } });
  });

  it('pages by offset up to the end, and past it with an empty page', async () => {
    expect(ids(await api.get('/api/3/contacts?limit=100&offset=200'))).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));
    const past = await api.get('/api/3/contacts?limit=100&offset=250');
    expect(past.body.contacts).toEqual([]);
    expect(past.body.meta.total).toBe(String(N));
  });

  it('walks a list by id_greater with orders[id]=ASC, every member once', async () => {
    const seen: number[] = [];
    let last = 0;
    for (;;) {
      const r = await api.get(`/api/3/contacts?listid=1&status=-1&orders[id]=ASC&id_greater=${last}&limit=100`);
      const page = ids(r);
      if (page.length === 0) break;
      seen.push(...page);
      last = page[page.length - 1] as number;
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it('counts meta.total after id_greater, and orders[id]=DESC reverses', async () => {
    expect((await api.get('/api/3/contacts?listid=1&id_greater=240')).body.meta.total).toBe('10');
    expect(ids(await api.get('/api/3/contacts?orders[id]=DESC&limit=3'))).toEqual([250, 249, 248]);
  });

  it('filters status on the given list only', async () => {
    const unsub = await api.get('/api/3/contacts?listid=1&status=2&limit=100');
    expect(unsub.body.meta.total).toBe(String(Math.floor(N / 3)));
    expect(ids(unsub).every((id) => (id - 1) % 3 === 2)).toBe(true);
    // On list 2 everyone is active, including those unsubscribed from list 1.
    const l2 = await api.get('/api/3/contacts?listid=2&status=1&limit=100');
    expect(l2.body.meta.total).toBe(String(N / 5));
    expect((await api.get('/api/3/contacts?listid=2&status=2')).body.meta.total).toBe('0');
  });

  it('answers an empty page past the last id, and the last partial page in full', async () => {
    const end = await api.get('/api/3/contacts?listid=1&orders[id]=ASC&id_greater=250&limit=100');
    expect(end.body).toMatchObject({ contacts: [], meta: { total: '0' } });
    expect(ids(await api.get('/api/3/contacts?listid=1&orders[id]=ASC&id_greater=245&limit=100'))).toEqual([246, 247, 248, 249, 250]);
    expect(ids(await api.get('/api/3/contacts?limit=0'))).toHaveLength(20);
  });

  it('answers an empty page for an unknown list', async () => {
    const r = await api.get('/api/3/contacts?listid=99');
    expect(r.body).toMatchObject({ contacts: [], meta: { total: '0' } });
  });

  it('finds by email case-insensitively, and not by a near miss', async () => {
    expect(ids(await api.get('/api/3/contacts?email=P7%40Example.com'))).toEqual([7]);
    expect((await api.get('/api/3/contacts?email=p7%40example.co')).body.meta.total).toBe('0');
  });
});

describe('filters[updated_after]', () => {
  it('returns contacts whose fields changed after the time, not those whose list status changed', async () => {
    const local = await start({ seedLists: 1 });
    try {
      local.e.seed({ contacts: [{ email: 'a@example.com', lists: { '1': 1 } }, { email: 'b@example.com', lists: { '1': 1 } }] });
      // udate has 1 s resolution, and "after" is strict.
      await new Promise((r) => setTimeout(r, 1100));
      const mark = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 1100));
      local.e.marketer.edit({ email: 'a@example.com' }, { firstName: 'Ann' });
      local.e.marketer.unsubscribe({ email: 'b@example.com' }, 1);
      const r = await local.get(`/api/3/contacts?listid=1&filters[updated_after]=${encodeURIComponent(mark)}`);
      expect(r.body.contacts.map((c: { email: string }) => c.email)).toEqual(['a@example.com']);
    } finally {
      await local.e.stop();
    }
  });
});
