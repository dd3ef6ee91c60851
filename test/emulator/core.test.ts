import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Api, start } from './helpers.ts';

let api: Api;
beforeEach(async () => {
  api = await start({ seedLists: 2, seedFields: ['TIER'] });
});
afterEach(async () => {
  await api.e.stop();
});

describe('auth', () => {
  it('answers 403 with a message body for a missing or wrong Api-Token', async () => {
    for (const headers of [{}, { 'Api-Token': 'nope' }]) {
      const r = await fetch(`${api.e.url}/api/3/users/me`, { headers });
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({ message: 'Forbidden' });
    }
  });

  it('checks credentials with GET /users/me', async () => {
    const r = await api.get('/api/3/users/me');
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ id: '1', email: expect.any(String) });
  });
});

describe('lists', () => {
  it('lists with string ids and a string meta.total', async () => {
    const r = await api.get('/api/3/lists');
    expect(r.status).toBe(200);
    expect(r.body.meta.total).toBe('2');
    expect(r.body.lists.map((l: { id: string }) => l.id)).toEqual(['1', '2']);
  });

  it('gets one list under a singular key, and 404s with ActiveCampaign’s message', async () => {
    expect((await api.get('/api/3/lists/2')).body.list).toMatchObject({ id: '2', name: 'List 2' });
    const r = await api.get('/api/3/lists/7');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'No Result found for _List with id 7' });
  });

  it('creates a list', async () => {
    const r = await api.post('/api/3/lists', { list: { name: 'VIP', stringid: 'vip' } });
    expect(r.status).toBe(201);
    expect(r.body.list).toMatchObject({ id: '3', name: 'VIP', stringid: 'vip' });
  });
});

describe('bulk import, then reading the list', () => {
  it('imports, and reads members back with sideloads beside `contacts`', async () => {
    const q = await api.post('/api/3/import/bulk_import', {
      exclude_automations: true,
      contacts: [
        { email: 'Ann@Example.com', first_name: 'Ann', fields: [{ id: 1, value: 'Gold' }], tags: ['vip'], subscribe: [{ listid: '1' }] },
        { email: 'bob@example.com', subscribe: [{ listid: 1 }] },
      ],
    });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ success: 1, queued_contacts: 2, message: 'Contact import queued' });
    const info = await api.get(`/api/3/import/info?batchId=${q.body.batchId}`);
    expect(info.body).toEqual({ status: 'completed', success: ['1', '2'], failure: [] });

    const r = await api.get('/api/3/contacts?listid=1&status=-1&include=contactLists,fieldValues,contactTags&orders[id]=ASC');
    expect(r.body.meta.total).toBe('2');
    expect(r.body.contacts.map((c: { email: string }) => c.email)).toEqual(['Ann@Example.com', 'bob@example.com']);
    expect(r.body.contactLists).toEqual([
      expect.objectContaining({ contact: '1', list: '1', status: '1' }),
      expect.objectContaining({ contact: '2', list: '1', status: '1' }),
    ]);
    expect(r.body.fieldValues).toEqual([expect.objectContaining({ contact: '1', field: '1', value: 'Gold' })]);
    expect(r.body.contactTags).toEqual([expect.objectContaining({ contact: '1', tag: '1' })]);
    expect((await api.get('/api/3/tags?search=vip')).body.tags[0]).toMatchObject({ id: '1', tag: 'vip' });
  });
});

describe('contactLists, tags and contactTags', () => {
  it('subscribes, unsubscribes and re-subscribes through the API', async () => {
    const { contacts } = api.e.seed({ contacts: [{ email: 'c@example.com', lists: { '1': 2 } }] });
    const id = contacts['c@example.com'];
    const r = await api.post('/api/3/contactLists', { contactList: { list: 1, contact: Number(id), status: 1 } });
    expect(r.status).toBe(200);
    expect(r.body.contactList).toMatchObject({ contact: id, list: '1', status: 1 });
    expect(r.body.contacts[0]).toMatchObject({ id });
    const on = await api.get('/api/3/contacts?listid=1&status=1');
    expect(on.body.meta.total).toBe('1');
    await api.post('/api/3/contactLists', { contactList: { list: 1, contact: id, status: 2 } });
    expect((await api.get('/api/3/contacts?listid=1&status=2')).body.meta.total).toBe('1');
    expect((await api.get('/api/3/contacts?listid=1&status=1')).body.meta.total).toBe('0');
  });

  it('creates a tag, attaches and detaches it', async () => {
    const { contacts } = api.e.seed({ contacts: [{ email: 'd@example.com' }] });
    const t = await api.post('/api/3/tags', { tag: { tag: 'acsync:list-1', tagType: 'contact' } });
    expect(t.status).toBe(201);
    const dup = await api.post('/api/3/tags', { tag: { tag: 'ACSYNC:list-1' } });
    expect(dup.status).toBe(422);
    const ct = await api.post('/api/3/contactTags', { contactTag: { contact: contacts['d@example.com'], tag: t.body.tag.id } });
    expect(ct.status).toBe(201);
    expect(ct.body.contactTag).toMatchObject({ contact: contacts['d@example.com'], tag: t.body.tag.id, id: expect.any(String) });
    expect((await api.get(`/api/3/contacts?tagid=${t.body.tag.id}`)).body.meta.total).toBe('1');
    expect((await api.del(`/api/3/contactTags/${ct.body.contactTag.id}`)).status).toBe(200);
    expect((await api.get(`/api/3/contacts?tagid=${t.body.tag.id}`)).body.meta.total).toBe('0');
    expect((await api.del(`/api/3/contactTags/${ct.body.contactTag.id}`)).status).toBe(404);
  });
});

describe('fields', () => {
  it('finds a field by perstag and creates fields and relations', async () => {
    const f = await api.get('/api/3/fields?filters[perstag]=TIER');
    expect(f.body.meta.total).toBe('1');
    expect(f.body.fields[0]).toMatchObject({ id: '1', perstag: 'TIER', type: 'text' });
    const c = await api.post('/api/3/fields', { field: { title: 'Signup date', type: 'date', perstag: 'SIGNUP_DATE' } });
    expect(c.status).toBe(201);
    expect(c.body.field).toMatchObject({ id: '2', perstag: 'SIGNUP_DATE', type: 'date' });
    const dup = await api.post('/api/3/fields', { field: { title: 'signup date', type: 'text' } });
    expect(dup.status).toBe(422);
    expect(dup.body.errors[0]).toMatchObject({ title: 'There is already a field with this title', code: 'duplicate' });
    const rel = await api.post('/api/3/fieldRels', { fieldRel: { field: 2, relid: 1 } });
    expect(rel.status).toBe(201);
    expect(rel.body.fieldRel).toMatchObject({ field: 2, relid: 1, id: expect.any(String) });
    expect((await api.get('/api/3/fieldRels?limit=0')).body.meta.total).toBe('2');
  });
});
