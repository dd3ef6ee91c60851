import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Api, sleep, start } from './helpers.ts';

let api: Api;
beforeEach(async () => {
  api = await start({ seedLists: 1, seedFields: ['TIER'] });
});
afterEach(async () => {
  await api.e.stop();
});

describe('contacts', () => {
  it('creates with POST /contacts (201) and refuses a duplicate email with 422', async () => {
    const r = await api.post('/api/3/contacts', { contact: { email: 'ann@example.com', firstName: 'Ann', fieldValues: [{ field: '1', value: 'Gold' }] } });
    expect(r.status).toBe(201);
    expect(r.body.contact).toMatchObject({ id: '1', email: 'ann@example.com', firstName: 'Ann', lastName: '', fieldValues: [expect.any(String)] });
    expect(r.body.fieldValues[0]).toMatchObject({ contact: '1', field: '1', value: 'Gold', owner: '1' });
    const dup = await api.post('/api/3/contacts', { contact: { email: 'ANN@example.com' } });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({
      errors: [{ title: 'Email address already exists in the system', detail: '', code: 'duplicate', source: { pointer: '/data/attributes/email' } }],
    });
  });

  it('syncs: 201 on create, 200 on update, and an empty name erases', async () => {
    const a = await api.post('/api/3/contact/sync', { contact: { email: 'b@example.com', firstName: 'Bo', lastName: 'Li' } });
    expect(a.status).toBe(201);
    const b = await api.post('/api/3/contact/sync', { contact: { email: 'B@example.com', firstName: '' } });
    expect(b.status).toBe(200);
    expect(b.body.contact).toMatchObject({ id: a.body.contact.id, firstName: '', lastName: 'Li' });
  });

  it('gets one contact with its lists and field values, and 404s with the Subscriber message', async () => {
    const { contacts } = api.e.seed({ contacts: [{ email: 'c@example.com', lists: { '1': 1 }, fields: { TIER: 'Silver' } }] });
    const id = contacts['c@example.com'];
    const r = await api.get(`/api/3/contacts/${id}`);
    expect(r.body.contact).toMatchObject({ id, email: 'c@example.com' });
    expect(r.body.contactLists[0]).toMatchObject({ contact: id, list: '1', status: '1' });
    expect(r.body.fieldValues[0]).toMatchObject({ value: 'Silver' });
    expect((await api.get('/api/3/contacts/99')).body).toEqual({ message: 'No Result found for Subscriber with id 99' });
  });

  it('deletes, then answers 404 with the contact message', async () => {
    const { contacts } = api.e.seed({ contacts: [{ email: 'd@example.com', lists: { '1': 1 } }] });
    const id = contacts['d@example.com'] as string;
    const r = await api.del(`/api/3/contacts/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    expect((await api.get('/api/3/contacts?listid=1')).body.meta.total).toBe('0');
    const again = await api.del(`/api/3/contacts/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: `No result found for contact with id ${id}` });
  });

  it('bumps udate when a field value changes, not when the list status changes', async () => {
    const { contacts } = api.e.seed({ contacts: [{ email: 'e@example.com', lists: { '1': 1 } }] });
    const id = contacts['e@example.com'] as string;
    const udate = async (): Promise<string> => (await api.get(`/api/3/contacts/${id}`)).body.contact.udate;
    const first = await udate();
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-05:00$/);
    await sleep(1100);
    await api.post('/api/3/contactLists', { contactList: { list: 1, contact: id, status: 2 } });
    expect(await udate()).toBe(first);
    const fv = await api.post('/api/3/fieldValues', { fieldValue: { contact: id, field: 1, value: 'Gold' } });
    expect(fv.status).toBe(200);
    expect(fv.body.fieldValue).toMatchObject({ contact: Number(id), field: 1, value: 'Gold', owner: Number(id) });
    expect(await udate()).not.toBe(first);
  });

  it('refuses a field value of the wrong type with 422', async () => {
    api.e.seed({ fields: [{ perstag: 'SINCE', type: 'date' }], contacts: [{ email: 'f@example.com' }] });
    const r = await api.post('/api/3/fieldValues', { fieldValue: { contact: 1, field: 2, value: 'abc' } });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].detail).toBe('The custom field value `abc` could not be saved to the custom field of type `date`.');
  });

  it('hides values of fields related to no list of the contact', async () => {
    api.e.seed({ contacts: [{ email: 'g@example.com', lists: { '1': 1 } }] });
    const f = await api.post('/api/3/fields', { field: { title: 'Hidden', type: 'text' } });
    await api.post('/api/3/fieldValues', { fieldValue: { contact: 1, field: f.body.field.id, value: 'x' } });
    const before = await api.get('/api/3/contacts?listid=1&include=fieldValues');
    expect(before.body.fieldValues).toEqual([]);
    await api.post('/api/3/fieldRels', { fieldRel: { field: f.body.field.id, relid: 1 } });
    expect((await api.get('/api/3/contacts?listid=1&include=fieldValues')).body.fieldValues).toHaveLength(1);
  });

  it('refuses attaching a tag twice with 422', async () => {
    api.e.seed({ contacts: [{ email: 'h@example.com', tags: ['t'] }] });
    const r = await api.post('/api/3/contactTags', { contactTag: { contact: 1, tag: 1 } });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].code).toBe('duplicate');
  });

  it('answers 400 {} for a malformed contactLists body and 404 for an unknown list', async () => {
    api.e.seed({ contacts: [{ email: 'i@example.com' }] });
    expect(await api.post('/api/3/contactLists', { contactList: { list: 1, contact: 1, status: 5 } })).toMatchObject({ status: 400, body: {} });
    expect((await api.post('/api/3/contactLists', { contactList: { list: 8, contact: 1, status: 1 } })).body).toEqual({ message: 'No Result found for _List with id 8' });
    expect(await api.post('/api/3/contactLists', '{not json')).toMatchObject({ status: 400, body: {} });
  });
});
