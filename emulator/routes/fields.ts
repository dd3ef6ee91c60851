/**
 * Custom fields, their relations to lists, and field values (emulated ActiveCampaign API v3; see ../api-routes.ts for the table).
 */
import { fieldValueProblem } from '../field-values.ts';
import { Reply, toId } from '../http-io.ts';
import { FIELD_TYPES, type FieldType } from '../store.ts';
import { wireContact, wireField, wireFieldRel, wireFieldValue } from '../wire.ts';
import { contactById, FIELDS_DEFAULT_LIMIT, inner, meta, notFound, ok, paging, type Route, unprocessable } from './common.ts';

export const fieldsRoutes: Record<string, Route> = {
  'GET fields': (ctx, { id, query }) => {
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
  },
  'GET fields/:id': (ctx, { id }) => {
    const n = toId(id);
    const f = n === undefined ? undefined : ctx.store.fields.get(n);
    if (f === undefined) throw notFound('Field', id ?? '');
    const rels = [...ctx.store.fieldRels.values()].filter((r) => r.field === f.id);
    return ok({ field: wireField(f, rels.map((r) => r.id), ctx.baseUrl), fieldOptions: [], fieldRels: rels.map(wireFieldRel) });
  },
  'POST fields': (ctx, { raw }) => {
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
  },
  'GET fieldRels': (ctx, { query }) => {
    const all = [...ctx.store.fieldRels.values()];
    const l = Number.parseInt(query.get('limit') ?? '', 10);
    // limit <= 0 returns every relation (AC reference, list-all-custom-field-relationships).
    const { limit, offset } = !Number.isNaN(l) && l <= 0 ? { limit: all.length, offset: 0 } : paging(query);
    return ok({ fieldRels: all.slice(offset, offset + limit).map(wireFieldRel), meta: meta(all.length) });
  },
  'POST fieldRels': (ctx, { id, raw }) => {
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
  },
  'GET fieldValues': (ctx, { query }) => {
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
  },
  'POST fieldValues': (ctx, { id, raw }) => {
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
  },
};
