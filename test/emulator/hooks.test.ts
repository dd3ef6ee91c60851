import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Api, start } from './helpers.ts';

let api: Api;
beforeEach(async () => {
  api = await start({ seedLists: 2, seedFields: ['TIER'] });
});
afterEach(async () => {
  await api.e.stop();
});

describe('/__emulator/ test hooks', () => {
  it('seeds over HTTP and shows the whole state', async () => {
    const r = await api.hook('POST', 'seed', {
      lists: ['Newsletter'],
      contacts: [{ email: 'a@example.com', firstName: 'Ann', fields: { TIER: 'Gold' }, lists: { '1': 1, '3': 2 }, tags: ['vip'] }],
    });
    expect(r.body).toEqual({ lists: ['3'], fields: {}, contacts: { 'a@example.com': '1' } });
    const s = (await api.hook('GET', 'state')).body;
    expect(s.lists.map((l: { name: string }) => l.name)).toEqual(['List 1', 'List 2', 'Newsletter']);
    expect(s.contacts[0]).toMatchObject({ email: 'a@example.com', firstName: 'Ann', fields: { TIER: 'Gold' }, lists: { '1': 1, '3': 2 }, tags: ['vip'] });
    expect(api.e.stats().requests).toBe(0);
  });

  it('names the problem in a bad seed', async () => {
    const r = await api.hook('POST', 'seed', { contacts: [{ email: 'a@example.com', lists: { '9': 1 } }] });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('no list 9');
  });

  it('lets the marketer unsubscribe, edit, add by hand and delete', async () => {
    api.e.seed({ contacts: [{ email: 'a@example.com', lists: { '1': 1 } }, { email: 'b@example.com' }] });
    expect((await api.hook('POST', 'marketer/unsubscribe', { email: 'a@example.com', list: 1 })).status).toBe(200);
    expect((await api.hook('POST', 'marketer/edit', { email: 'a@example.com', firstName: 'Annie', fields: { TIER: 'Bronze' } })).status).toBe(200);
    expect((await api.hook('POST', 'marketer/subscribe', { contact: 2, list: 2 })).body).toEqual({ ok: true, contact: '2' });
    expect((await api.hook('POST', 'marketer/subscribe', { email: 'new@example.com', list: 1 })).body).toEqual({ ok: true, contact: '3' });
    const s = (await api.hook('GET', 'state')).body;
    expect(s.contacts.map((c: { email: string; lists: unknown }) => [c.email, c.lists])).toEqual([
      ['a@example.com', { '1': 2 }],
      ['b@example.com', { '2': 1 }],
      ['new@example.com', { '1': 1 }],
    ]);
    expect(s.contacts[0]).toMatchObject({ firstName: 'Annie', fields: { TIER: 'Bronze' } });
    expect((await api.hook('POST', 'marketer/delete', { email: 'b@example.com' })).status).toBe(200);
    expect((await api.get('/api/3/contacts?listid=2')).body.meta.total).toBe('0');
    const missing = await api.hook('POST', 'marketer/delete', { email: 'b@example.com' });
    expect(missing).toMatchObject({ status: 400, body: { message: 'marketer: no contact b@example.com' } });
  });

  it('resets to the seeded start state and clears stats', async () => {
    api.e.seed({ contacts: [{ email: 'a@example.com' }] });
    await api.get('/api/3/contacts');
    expect((await api.hook('POST', 'reset')).status).toBe(200);
    const s = (await api.hook('GET', 'state')).body;
    expect(s.contacts).toEqual([]);
    expect(s.lists).toHaveLength(2);
    expect(s.fields).toHaveLength(1);
    expect((await api.hook('GET', 'stats')).body).toMatchObject({ requests: 0, byEndpoint: {} });
    // Ids start over, as in a fresh account.
    expect((await api.post('/api/3/contacts', { contact: { email: 'z@example.com' } })).body.contact.id).toBe('1');
  });

  it('sets and clears faults over HTTP', async () => {
    expect((await api.hook('PUT', 'faults', { errorRate: 1, errorStatuses: [503] })).body).toMatchObject({ errorRate: 1 });
    const r = await api.get('/api/3/lists');
    expect(r.status).toBe(503);
    expect(typeof r.body).toBe('string');
    expect((await api.hook('PUT', 'faults', null)).body).toBeNull();
    expect((await api.get('/api/3/lists')).status).toBe(200);
  });

  it('answers 404 for an unknown hook', async () => {
    expect((await api.hook('GET', 'nope')).status).toBe(404);
  });
});
