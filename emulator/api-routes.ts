/**
 * The emulated ActiveCampaign API v3 endpoints under /api/3. Shapes follow the shared API notes
 * (work/shared/activecampaign-api.md); where ActiveCampaign's behaviour is unknown, the comment says which
 * strict choice was made.
 */
import { BULK_MAX_CONTACTS, type BulkQueue, VALIDATION_MESSAGE, validateBulkPayload } from './bulk-import.ts';
import { isEmailShaped } from './email-rules.ts';
import { fieldValueProblem } from './field-values.ts';
import { isRecord, parseJson, type RawBody, Reply, toId } from './http-io.ts';
import { type Quirks, sideloadPadding } from './quirks.ts';
import { type ContactQuery, type ContactRec, FIELD_TYPES, type FieldType, type ListStatus, type Store } from './store.ts';
import {
  isoDate,
  parseFilterDate,
  wireContact,
  wireContactTag,
  wireField,
  wireFieldRel,
  wireFieldValue,
  wireList,
  wireMembership,
  wireTag,
} from './wire.ts';

/** Default page size of collection endpoints (developers.activecampaign.com/reference/pagination). */
export const DEFAULT_LIMIT = 20;
/** Largest page; larger `limit` values are clamped (undocumented whether AC errors or clamps; it is not an error here). */
export const MAX_LIMIT = 100;
/** GET /fields defaults to 100 per page (AC reference example). */
export const FIELDS_DEFAULT_LIMIT = 100;

export interface ApiContext {
  store: Store;
  bulk: BulkQueue;
  baseUrl: string;
  bulkDelayMs: number;
  /** Throws the bulk rate-limit answer when the per-minute budget for this kind of import is spent. */
  takeBulkSlot(single: boolean): void;
  /** State changed: schedule a save. */
  dirty(): void;
  /** The quirks profile (quirks.ts); none switched on by default. */
  quirks: Quirks;
}

type Answer = { status: number; body: unknown };

const ok = (body: unknown, status = 200): Answer => ({ status, body });
const notFound = (entity: string, id: string): Reply => new Reply(404, { message: `No Result found for ${entity} with id ${id}` });
const unprocessable = (title: string, code: string, pointer?: string, detail = ''): Reply =>
  new Reply(422, { errors: [{ title, detail, code, ...(pointer !== undefined ? { source: { pointer } } : {}) }] });

function paging(q: URLSearchParams, defaultLimit = DEFAULT_LIMIT): { limit: number; offset: number } {
  const l = Number.parseInt(q.get('limit') ?? '', 10);
  const o = Number.parseInt(q.get('offset') ?? '', 10);
  return {
    limit: Number.isNaN(l) || l <= 0 ? defaultLimit : Math.min(l, MAX_LIMIT),
    offset: Number.isNaN(o) || o < 0 ? 0 : o,
  };
}

function meta(total: number): { total: string } {
  return { total: String(total) };
}

function body(raw: RawBody): Record<string, unknown> {
  const b = parseJson(raw);
  if (!isRecord(b)) throw new Reply(400, {});
  return b;
}

function inner(raw: RawBody, key: string): Record<string, unknown> {
  const v = body(raw)[key];
  if (!isRecord(v)) throw new Reply(400, {});
  return v;
}

function contactById(ctx: ApiContext, id: string | undefined, entity = 'Subscriber'): ContactRec {
  const n = toId(id);
  const c = n === undefined ? undefined : ctx.store.contacts.get(n);
  if (c === undefined) throw notFound(entity, id ?? '');
  return c;
}

/** Field values of a contact that show on it: fields related to all lists or to one of its lists. */
function visibleFieldValues(ctx: ApiContext, c: ContactRec): Record<string, unknown>[] {
  return c.fields.filter((v) => ctx.store.fieldVisibleOn(v.field, c)).map((v) => wireFieldValue(v, ctx.baseUrl));
}

export function handleApi(ctx: ApiContext, method: string, parts: string[], query: URLSearchParams, raw: RawBody): Answer {
  const [head, id, sub] = parts;
  const seg = (v: string): string => (/^\d+$/.test(v) ? ':id' : v);
  const key = `${method} ${head ?? ''}${id !== undefined ? `/${seg(id)}` : ''}${sub !== undefined ? `/${sub}` : ''}${parts.length > 3 ? '/…' : ''}`;
  switch (key) {
    case 'GET users/me':
      return ok({
        user: {
          username: 'admin',
          firstName: 'Emulated',
          lastName: 'Admin',
          email: 'admin@example.com',
          phone: '',
          signature: null,
          links: {},
          id: '1',
        },
      });

    // ---- lists
    case 'GET lists': {
      const { limit, offset } = paging(query);
      let lists = [...ctx.store.lists.values()];
      const name = query.get('filters[name]');
      if (name !== null) lists = lists.filter((l) => l.name.toLowerCase() === name.toLowerCase());
      const dir = query.get('orders[name]');
      if (dir !== null) lists.sort((a, b) => (dir.toUpperCase() === 'DESC' ? -1 : 1) * a.name.localeCompare(b.name));
      return ok({ lists: lists.slice(offset, offset + limit).map((l) => wireList(l, ctx.baseUrl)), meta: meta(lists.length) });
    }
    case 'GET lists/:id': {
      const n = toId(id);
      const l = n === undefined ? undefined : ctx.store.lists.get(n);
      if (l === undefined) throw notFound('_List', id ?? '');
      return ok({ list: wireList(l, ctx.baseUrl) });
    }
    case 'POST lists': {
      const l = inner(raw, 'list');
      const name = l['name'];
      if (typeof name !== 'string' || name.trim() === '') throw unprocessable('List name is required', 'field_missing', '/data/attributes/name');
      const stringid = typeof l['stringid'] === 'string' ? l['stringid'] : undefined;
      const list = ctx.store.createList(name.trim(), stringid);
      ctx.dirty();
      return ok({ list: wireList(list, ctx.baseUrl) }, 201);
    }

    // ---- contacts
    case 'GET contacts':
      return listContacts(ctx, query);
    case 'GET contacts/:id': {
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
    }
    case 'GET contacts/:id/contactLists':
      return ok({ contactLists: contactById(ctx, id).lists.map((m) => wireMembership(m, ctx.baseUrl)) });
    case 'GET contacts/:id/fieldValues':
      return ok({ fieldValues: visibleFieldValues(ctx, contactById(ctx, id)) });
    case 'GET contacts/:id/contactTags':
      return ok({ contactTags: contactById(ctx, id).tags.map((t) => wireContactTag(t, ctx.baseUrl)) });
    case 'POST contacts': {
      const c = inner(raw, 'contact');
      const email = requireEmail(c);
      if (ctx.store.findByEmail(email) !== undefined) throw unprocessable('Email address already exists in the system', 'duplicate', '/data/attributes/email');
      const contact = ctx.store.createContact({ email, ...standardFields(c) });
      const fieldValues = applyFieldValues(ctx, contact, c['fieldValues']);
      ctx.dirty();
      return ok({ fieldValues, contact: wireContact(contact, ctx.baseUrl, { fields: true }) }, 201);
    }
    case 'PUT contacts/:id': {
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
    }
    case 'DELETE contacts/:id': {
      const n = toId(id);
      const c = n === undefined ? undefined : ctx.store.contacts.get(n);
      if (c === undefined) throw new Reply(404, { message: `No result found for contact with id ${id ?? ''}` });
      ctx.store.deleteContact(c);
      ctx.dirty();
      return ok({});
    }
    case 'POST contact/sync': {
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
    }

    // ---- list membership
    case 'POST contactLists': {
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
    }

    // ---- custom fields
    case 'GET fields': {
      const paged = paging(query, FIELDS_DEFAULT_LIMIT);
      // Quirk fieldsDefault20: pages of 20 whatever `limit` asks; a client must page by meta.total, not by a short page.
      const { limit, offset } = ctx.quirks.has('fieldsDefault20') ? { ...paged, limit: 20 } : paged;
      let fields = [...ctx.store.fields.values()];
      const perstag = query.get('filters[perstag]');
      if (perstag !== null) fields = fields.filter((f) => f.perstag === perstag.toUpperCase());
      const pageFields = fields.slice(offset, offset + limit);
      const rels = [...ctx.store.fieldRels.values()].filter((r) => pageFields.some((f) => f.id === r.field));
      return ok({
        fieldOptions: [],
        fieldRels: rels.map(wireFieldRel),
        fields: pageFields.map((f) => wireField(f, rels.filter((r) => r.field === f.id).map((r) => r.id), ctx.baseUrl)),
        meta: meta(fields.length),
      });
    }
    case 'GET fields/:id': {
      const n = toId(id);
      const f = n === undefined ? undefined : ctx.store.fields.get(n);
      if (f === undefined) throw notFound('Field', id ?? '');
      const rels = [...ctx.store.fieldRels.values()].filter((r) => r.field === f.id);
      return ok({ field: wireField(f, rels.map((r) => r.id), ctx.baseUrl), fieldOptions: [], fieldRels: rels.map(wireFieldRel) });
    }
    case 'POST fields': {
      const f = inner(raw, 'field');
      const title = f['title'];
      const type = f['type'] ?? 'text';
      if (typeof title !== 'string' || title.trim() === '') throw unprocessable('Field title is required', 'field_missing', '/data/attributes/title');
      if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type))
        throw unprocessable('Field type is invalid', 'field_invalid', '/data/attributes/type', `Type must be one of ${FIELD_TYPES.join(', ')}`);
      const perstag = (typeof f['perstag'] === 'string' && f['perstag'].trim() !== '' ? f['perstag'] : title).trim().toUpperCase().replace(/[^A-Z0-9_]+/g, '_');
      for (const other of ctx.store.fields.values()) {
        if (other.title.toLowerCase() === title.trim().toLowerCase())
          throw unprocessable('There is already a field with this title', 'duplicate', '/data/attributes/title', `A field titled "${title}" exists`);
        // Unknown in AC's docs; strictest: personalization tags are unique too.
        if (other.perstag === perstag) throw unprocessable('There is already a field with this personalization tag', 'duplicate', '/data/attributes/perstag');
      }
      const field = ctx.store.createField({ title: title.trim(), type: type as FieldType, perstag });
      ctx.dirty();
      return ok({ field: wireField(field, [], ctx.baseUrl) }, 201);
    }
    case 'GET fieldRels': {
      const all = [...ctx.store.fieldRels.values()];
      const l = Number.parseInt(query.get('limit') ?? '', 10);
      // limit <= 0 returns every relation (AC reference, list-all-custom-field-relationships).
      const { limit, offset } = !Number.isNaN(l) && l <= 0 ? { limit: all.length, offset: 0 } : paging(query);
      return ok({ fieldRels: all.slice(offset, offset + limit).map(wireFieldRel), meta: meta(all.length) });
    }
    case 'POST fieldRels': {
      const r = inner(raw, 'fieldRel');
      const field = toId(r['field']);
      const relid = r['relid'] === 0 || r['relid'] === '0' ? 0 : toId(r['relid']);
      if (field === undefined || relid === undefined) throw new Reply(400, {});
      if (!ctx.store.fields.has(field)) throw unprocessable('The related field does not exist', 'related_missing', '/data/attributes/field');
      if (relid !== 0 && !ctx.store.lists.has(relid)) throw unprocessable('The related list does not exist', 'related_missing', '/data/attributes/relid');
      const existing = [...ctx.store.fieldRels.values()].find((x) => x.field === field && x.relid === relid);
      const rel = existing ?? ctx.store.createFieldRel(field, relid);
      ctx.dirty();
      return ok({ fieldRel: { relid, field, id: String(rel.id) } }, 201);
    }
    case 'GET fieldValues': {
      const { limit, offset } = paging(query);
      const fieldid = toId(query.get('filters[fieldid]') ?? undefined);
      const val = query.get('filters[val]');
      const all: Record<string, unknown>[] = [];
      let total = 0;
      for (const cid of ctx.store.contactIds) {
        const c = ctx.store.contacts.get(cid);
        for (const v of c?.fields ?? []) {
          if (fieldid !== undefined && v.field !== fieldid) continue;
          if (val !== null && v.value !== val) continue;
          if (total >= offset && all.length < limit) all.push(wireFieldValue(v, ctx.baseUrl));
          total++;
        }
      }
      return ok({ fieldValues: all, meta: meta(total) });
    }
    case 'POST fieldValues': {
      const v = inner(raw, 'fieldValue');
      const contact = contactById(ctx, String(v['contact'] ?? ''));
      const fieldId = toId(v['field']);
      const field = fieldId === undefined ? undefined : ctx.store.fields.get(fieldId);
      if (field === undefined) throw unprocessable('The related field does not exist', 'related_missing', '/data/attributes/field');
      const value = v['value'];
      if (typeof value !== 'string' && typeof value !== 'number') throw new Reply(400, {});
      const problem = fieldValueProblem(field, String(value));
      if (problem !== undefined) throw unprocessable('Invalid field value', 'field_invalid', '/data/attributes/value', problem);
      const rec = ctx.store.setFieldValue(contact, field.id, String(value));
      ctx.dirty();
      return ok({
        contacts: [wireContact(contact, ctx.baseUrl)],
        fieldValue: { contact: contact.id, field: field.id, value: rec.value, id: String(rec.id), owner: contact.id },
      });
    }

    // ---- tags
    case 'GET tags': {
      const { limit, offset } = paging(query);
      // `search` is a substring match (the docs call it a search, not a lookup): clients must check names exactly.
      const search = (query.get('search') ?? '').toLowerCase();
      let tags = [...ctx.store.tags.values()].filter((t) => t.tag.toLowerCase().includes(search));
      // filters[search][eq]: an exact (case-insensitive) name; orders[search]=weight: exact matches first (AC reference).
      const eq = query.get('filters[search][eq]');
      if (eq !== null) tags = tags.filter((t) => t.tag.toLowerCase() === eq.toLowerCase());
      if (query.get('orders[search]') === 'weight' && search !== '') tags.sort((a, b) => Number(b.tag.toLowerCase() === search) - Number(a.tag.toLowerCase() === search));
      return ok({ tags: tags.slice(offset, offset + limit).map((t) => wireTag(t, ctx.baseUrl)), meta: meta(tags.length) });
    }
    case 'GET tags/:id': {
      const n = toId(id);
      const t = n === undefined ? undefined : ctx.store.tags.get(n);
      if (t === undefined) throw notFound('Tag', id ?? '');
      return ok({ tag: wireTag(t, ctx.baseUrl) });
    }
    case 'POST tags': {
      const t = inner(raw, 'tag');
      const name = t['tag'];
      if (typeof name !== 'string' || name.trim() === '') throw unprocessable('Tag name is required', 'field_missing', '/data/attributes/tag');
      // Unknown whether AC refuses a duplicate name; strictest: it does (case-insensitively).
      if (ctx.store.findTagByName(name) !== undefined && ctx.quirks.has('duplicateTagBody')) {
        // The body verbb/formie#1389 recorded (its status was not shown; 400 here).
        throw new Reply(400, { message: 'Could not process request', error: `Duplicate entry '${name}' for key 'typetag'` });
      }
      if (ctx.store.findTagByName(name) !== undefined) throw unprocessable('Duplicate tag', 'duplicate', '/data/attributes/tag', `The tag "${name}" already exists`);
      const tag = ctx.store.createTag(name, typeof t['description'] === 'string' ? t['description'] : '');
      ctx.dirty();
      return ok({ tag: wireTag(tag, ctx.baseUrl) }, 201);
    }
    case 'POST contactTags': {
      const ct = inner(raw, 'contactTag');
      // AC's one documented 422 here (reference example of create-contact-tag).
      for (const attr of ['contact', 'tag']) {
        if (ct[attr] === undefined || ct[attr] === null || ct[attr] === '') {
          throw new Reply(422, { errors: [{ status: 422, title: 'Missing attribute', source: { pointer: `/data/attributes/${attr}` } }] });
        }
      }
      const contact = contactById(ctx, String(ct['contact'] ?? ''));
      const tagId = toId(ct['tag']);
      if (tagId === undefined || !ctx.store.tags.has(tagId)) throw unprocessable('The related tag does not exist', 'related_missing', '/data/attributes/tag');
      const { rec, created } = ctx.store.attachTag(contact, tagId);
      // Unknown in AC's docs; strictest: attaching a tag the contact already has is refused.
      if (!created) throw unprocessable('The contact already has this tag', 'duplicate', '/data/attributes/tag', `contactTag ${rec.id}`);
      ctx.dirty();
      return ok({ contacts: [wireContact(contact, ctx.baseUrl)], contactTag: wireContactTag(rec, ctx.baseUrl) }, 201);
    }
    case 'DELETE contactTags/:id': {
      const n = toId(id);
      const rec = n === undefined ? undefined : ctx.store.contactTag(n);
      if (rec === undefined) throw notFound('ContactTag', id ?? '');
      ctx.store.detachTag(rec);
      ctx.dirty();
      return ok({});
    }

    // ---- bulk import
    case 'POST import/bulk_import':
      return bulkImport(ctx, raw);
    case 'GET import/bulk_import': {
      const outstanding = new Map<string, { batches: number; contacts: number }>();
      const recentlyCompleted = new Map<string, { batches: number; contacts: number }>();
      for (const b of ctx.bulk.all()) {
        const day = isoDate(b.queuedAt).slice(0, 10);
        const m = b.outcome === undefined ? outstanding : recentlyCompleted;
        const e = m.get(day) ?? { batches: 0, contacts: 0 };
        e.batches++;
        e.contacts += b.contactCount;
        m.set(day, e);
      }
      const rows = (m: Map<string, { batches: number; contacts: number }>): unknown[] =>
        [...m].map(([forDate, e]) => ({ forDate, batches: String(e.batches), contacts: String(e.contacts) }));
      const out = rows(outstanding);
      // Quirk longImportQueue: other integrations' batches ahead of ours, as in AC's reference example.
      if (ctx.quirks.has('longImportQueue')) out.push({ forDate: isoDate(Date.now()).slice(0, 10), batches: String(ctx.quirks.settings.foreignOutstanding), contacts: String(ctx.quirks.settings.foreignOutstanding * 250) });
      return ok({ outstanding: out, recentlyCompleted: rows(recentlyCompleted) });
    }
    case 'GET import/info': {
      const batchId = query.get('batchId');
      if (batchId === null || batchId === '') throw new Reply(400, { success: 0, message: "'batchId' is a required field." });
      const b = ctx.bulk.get(batchId);
      const status = b === undefined ? false : ctx.bulk.statusOf(b);
      // Too early (or unknown id): ActiveCampaign answers `status: false`; the lists are left out so a client
      // cannot lean on them being present.
      if (b === undefined || status === false) return ok({ status: false });
      return ok({ status, success: b.outcome === undefined ? [] : b.success, failure: b.outcome === undefined ? [] : b.failure });
    }
    default:
      throw new Reply(404, { message: 'Not Found' });
  }
}

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

function bulkImport(ctx: ApiContext, raw: RawBody): Answer {
  let parsed: unknown;
  try {
    parsed = parseJson(raw);
  } catch {
    parsed = undefined;
  }
  const contacts = isRecord(parsed) && Array.isArray(parsed['contacts']) ? (parsed['contacts'] as unknown[]) : [];
  // Counted before validation: the limit is on imports *requested* per minute, refused ones included.
  ctx.takeBulkSlot(contacts.length === 1);
  if (parsed === undefined) throw new Reply(400, { success: 0, message: VALIDATION_MESSAGE, failureReasons: ['The request body is not valid JSON.'] });
  const v = validateBulkPayload(parsed, raw.bytes, ctx.store);
  if (!v.ok) {
    let reasons = v.failureReasons;
    if (ctx.quirks.has('failureReasonsOneBased')) {
      // Quirk: 1-based indexes, and only the first few bad contacts listed.
      const perContact = reasons.filter((r) => typeof r !== 'string').map((r) => (typeof r === 'string' ? r : { ...r, contact: r.contact + 1 }));
      reasons = [...reasons.filter((r) => typeof r === 'string'), ...perContact.slice(0, ctx.quirks.settings.failureReasonsListed)];
    }
    throw new Reply(400, { success: 0, message: VALIDATION_MESSAGE, failureReasons: reasons });
  }
  if (v.contacts.length > BULK_MAX_CONTACTS) throw new Reply(400, {});
  const batch = ctx.bulk.enqueue(v.contacts, ctx.bulkDelayMs);
  ctx.dirty();
  if (ctx.quirks.has('bulkNoSuccess')) return ok({ queued_contacts: v.contacts.length, batchId: batch.id, message: 'Contact import queued' });
  return ok({ success: 1, queued_contacts: v.contacts.length, batchId: batch.id, message: 'Contact import queued' });
}
