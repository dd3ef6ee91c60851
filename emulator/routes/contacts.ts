/**
 * Contacts, contact/sync and list membership (emulated ActiveCampaign API v3; see ../api-routes.ts for the table).
 */
import { isEmailShaped } from '../email-rules.ts';
import { fieldValueProblem } from '../field-values.ts';
import { isRecord, Reply, toId } from '../http-io.ts';
import { sideloadPadding } from '../quirks.ts';
import { type ContactQuery, type ContactRec, type ListStatus } from '../store.ts';
import { parseFilterDate, wireContact, wireContactTag, wireFieldValue, wireMembership } from '../wire.ts';
import { type Answer, type ApiContext, contactById, inner, notFound, ok, paging, type Route, unprocessable, visibleFieldValues } from './common.ts';

export const contactsRoutes: Record<string, Route> = {
  'GET contacts': (ctx, { query }) => {
    return listContacts(ctx, query);
  },
  'GET contacts/:id': (ctx, { id }) => {
    const c = contactById(ctx, id);
    return ok({
      contactAutomations: [],
      contactData: [],
      contactGoals: [],
      contactLists: c.lists.map((m) => wireMembership(m, ctx.baseUrl)),
      deals: [],
      fieldValues: visibleFieldValues(ctx, c),
      geoAddresses: [],
      geoIps: [],
      contact: wireContact(c, ctx.baseUrl, { lists: true, fields: true }),
    });
  },
  'GET contacts/:id/contactLists': (ctx, { id }) => {
    return ok({ contactLists: contactById(ctx, id).lists.map((m) => wireMembership(m, ctx.baseUrl)) });
  },
  'GET contacts/:id/fieldValues': (ctx, { id }) => {
    return ok({ fieldValues: visibleFieldValues(ctx, contactById(ctx, id)) });
  },
  'GET contacts/:id/contactTags': (ctx, { id }) => {
    return ok({ contactTags: contactById(ctx, id).tags.map((t) => wireContactTag(t, ctx.baseUrl)) });
  },
  'POST contacts': (ctx, { raw }) => {
    const c = inner(raw, 'contact');
    const email = requireEmail(c);
    if (ctx.store.findByEmail(email) !== undefined) throw unprocessable('Email address already exists in the system', 'duplicate', '/data/attributes/email');
    const contact = ctx.store.createContact({ email, ...standardFields(c) });
    const fieldValues = applyFieldValues(ctx, contact, c['fieldValues']);
    ctx.dirty();
    return ok({ fieldValues, contact: wireContact(contact, ctx.baseUrl, { fields: true }) }, 201);
  },
  'PUT contacts/:id': (ctx, { id, raw }) => {
    const contact = contactById(ctx, id);
    const c = inner(raw, 'contact');
    if (c['email'] !== undefined) {
      const email = requireEmail(c);
      const other = ctx.store.findByEmail(email);
      if (other !== undefined && other.id !== contact.id) throw unprocessable('Email address already exists in the system', 'duplicate', '/data/attributes/email');
      ctx.store.updateContact(contact, { email });
    }
    ctx.store.updateContact(contact, standardFields(c));
    const fieldValues = applyFieldValues(ctx, contact, c['fieldValues']);
    ctx.dirty();
    return ok({ fieldValues, contact: wireContact(contact, ctx.baseUrl, { fields: true }) });
  },
  'DELETE contacts/:id': (ctx, { id }) => {
    const n = toId(id);
    const c = n === undefined ? undefined : ctx.store.contacts.get(n);
    if (c === undefined) throw new Reply(404, { message: `No result found for contact with id ${id ?? ''}` });
    ctx.store.deleteContact(c);
    ctx.dirty();
    return ok({});
  },
  'POST contact/sync': (ctx, { raw }) => {
    const c = inner(raw, 'contact');
    const email = requireEmail(c);
    let contact = ctx.store.findByEmail(email);
    // Documented 201 on create; the status on update is not, so it is 200 here and clients must accept both.
    const status = contact === undefined ? 201 : 200;
    // Keys present with empty values DO erase (shared notes gotcha 5); absent keys are left alone.
    if (contact === undefined) contact = ctx.store.createContact({ email, ...standardFields(c) });
    else ctx.store.updateContact(contact, standardFields(c));
    const fieldValues = applyFieldValues(ctx, contact, c['fieldValues']);
    ctx.dirty();
    return ok({ fieldValues, contact: wireContact(contact, ctx.baseUrl, { fields: true }) }, status);
  },
  'POST contactLists': (ctx, { raw }) => {
    const cl = inner(raw, 'contactList');
    const status = cl['status'] === 1 || cl['status'] === '1' ? 1 : cl['status'] === 2 || cl['status'] === '2' ? 2 : undefined;
    const listId = toId(cl['list']);
    const contactId = toId(cl['contact']);
    if (status === undefined || listId === undefined || contactId === undefined) throw new Reply(400, {});
    const contact = contactById(ctx, String(contactId));
    const list = ctx.store.lists.get(listId);
    if (list === undefined) throw notFound('_List', String(listId));
    const sourceid = toId(cl['sourceid']) ?? 0;
    // The API re-subscribes (2 -> 1) when asked: ActiveCampaign warns about it but allows it.
    const m = ctx.store.setListStatus(contact, list, status as ListStatus, sourceid);
    ctx.dirty();
    return ok({
      contacts: [wireContact(contact, ctx.baseUrl)],
      contactList: { ...wireMembership(m, ctx.baseUrl), status },
    });
  },
};

function listContacts(ctx: ApiContext, query: URLSearchParams): Answer {
  const { limit, offset } = paging(query);
  const q: ContactQuery = { status: -1, orders: [], limit, offset };
  const listid = toId(query.get('listid') ?? undefined);
  if (listid !== undefined) q.listid = listid;
  const status = Number.parseInt(query.get('status') ?? '', 10);
  if (!Number.isNaN(status)) q.status = status;
  const email = query.get('email');
  if (email !== null) q.email = email;
  const tagid = toId(query.get('tagid') ?? undefined);
  if (tagid !== undefined) q.tagid = tagid;
  const idGreater = Number.parseInt(query.get('id_greater') ?? '', 10);
  if (!Number.isNaN(idGreater)) q.idGreater = idGreater;
  const idLess = Number.parseInt(query.get('id_less') ?? '', 10);
  if (!Number.isNaN(idLess)) q.idLess = idLess;
  for (const [k, prop] of [
    ['filters[updated_after]', 'updatedAfter'],
    ['filters[updated_before]', 'updatedBefore'],
    ['filters[created_after]', 'createdAfter'],
    ['filters[created_before]', 'createdBefore'],
  ] as const) {
    const v = query.get(k);
    if (v === null) continue;
    const t = parseFilterDate(v);
    if (t !== undefined) q[prop] = t;
  }
  for (const [k, v] of query) {
    const m = /^orders\[(\w+)\]$/.exec(k);
    if (m?.[1] !== undefined) q.orders.push({ key: m[1], dir: v.toUpperCase() === 'DESC' ? 'DESC' : 'ASC' });
  }
  const include = new Set((query.get('include') ?? '').split(',').map((s) => s.trim().split('.')[0]));
  const queried = ctx.store.queryContacts(q);
  const { total } = queried;
  // Quirk shortPages: a page one short although more follow (a client must not stop at a short page before meta.total).
  const page = queried.page.length > 1 && ctx.quirks.shortenPage() ? queried.page.slice(0, -1) : queried.page;
  const rel = { lists: include.has('contactLists'), fields: include.has('fieldValues'), tags: include.has('contactTags') };
  const out: Record<string, unknown> = {
    scoreValues: [],
    contacts: page.map((c) => wireContact(c, ctx.baseUrl, rel)),
  };
  if (rel.lists) out['contactLists'] = page.flatMap((c) => c.lists.map((m) => wireMembership(m, ctx.baseUrl)));
  if (rel.fields) out['fieldValues'] = page.flatMap((c) => visibleFieldValues(ctx, c));
  if (rel.tags) out['contactTags'] = page.flatMap((c) => c.tags.map((t) => wireContactTag(t, ctx.baseUrl)));
  if (ctx.quirks.has('largeSideloads')) {
    // Quirk: every membership, field value and tag of each contact comes along, not only this list's.
    for (const c of page) {
      const pad = sideloadPadding(c.id, ctx.quirks.settings.sideloadBytesPerContact, ctx.baseUrl);
      if (rel.lists) (out['contactLists'] as unknown[]).push(...pad.contactLists);
      if (rel.fields) (out['fieldValues'] as unknown[]).push(...pad.fieldValues);
      if (rel.tags) (out['contactTags'] as unknown[]).push(...pad.contactTags);
    }
  }
  out['meta'] = {
    total: String(total),
    page_input: {
      segmentid: null,
      formid: 0,
      listid: q.listid ?? 0,
      tagid: q.tagid ?? 0,
      limit,
      offset,
      search: null,
      sort: null,
      seriesid: 0,
      waitid: 0,
      status: q.status,
      forceQuery: 0,
      cacheid: '',
      email: q.email ?? null,
    },
  };
  return ok(out);
}

function requireEmail(c: Record<string, unknown>): string {
  const email = c['email'];
  if (typeof email !== 'string' || email.trim() === '') throw unprocessable('Email address is required', 'field_missing', '/data/attributes/email');
  if (!isEmailShaped(email)) throw unprocessable('Email address is not valid', 'field_invalid', '/data/attributes/email');
  return email.trim();
}

function standardFields(c: Record<string, unknown>): { firstName?: string; lastName?: string; phone?: string } {
  const out: { firstName?: string; lastName?: string; phone?: string } = {};
  for (const k of ['firstName', 'lastName', 'phone'] as const) {
    const v = c[k];
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = String(v);
  }
  return out;
}

function applyFieldValues(ctx: ApiContext, contact: ContactRec, raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw)) return [];
  const out: Record<string, unknown>[] = [];
  for (const item of raw as unknown[]) {
    if (!isRecord(item)) continue;
    const fieldId = toId(item['field']);
    const field = fieldId === undefined ? undefined : ctx.store.fields.get(fieldId);
    const value = item['value'];
    if (field === undefined || (typeof value !== 'string' && typeof value !== 'number')) continue;
    const problem = fieldValueProblem(field, String(value));
    if (problem !== undefined) throw unprocessable('Invalid field value', 'field_invalid', '/data/attributes/fieldValues', problem);
    out.push(wireFieldValue(ctx.store.setFieldValue(contact, field.id, String(value)), ctx.baseUrl));
  }
  return out;
}
