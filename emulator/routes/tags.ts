/**
 * Tags and contact tags (emulated ActiveCampaign API v3; see ../api-routes.ts for the table).
 */
import { Reply, toId } from '../http-io.ts';
import { wireContact, wireContactTag, wireTag } from '../wire.ts';
import { contactById, inner, meta, notFound, ok, paging, type Route, unprocessable } from './common.ts';

export const tagsRoutes: Record<string, Route> = {
  'GET tags': (ctx, { query }) => {
    const { limit, offset } = paging(query);
    // `search` is a substring match (the docs call it a search, not a lookup): clients must check names exactly.
    const search = (query.get('search') ?? '').toLowerCase();
    let tags = [...ctx.store.tags.values()].filter((t) => t.tag.toLowerCase().includes(search));
    // filters[search][eq]: an exact (case-insensitive) name; orders[search]=weight: exact matches first (AC reference).
    const eq = query.get('filters[search][eq]');
    if (eq !== null) tags = tags.filter((t) => t.tag.toLowerCase() === eq.toLowerCase());
    if (query.get('orders[search]') === 'weight' && search !== '') tags.sort((a, b) => Number(b.tag.toLowerCase() === search) - Number(a.tag.toLowerCase() === search));
    return ok({ tags: tags.slice(offset, offset + limit).map((t) => wireTag(t, ctx.baseUrl)), meta: meta(tags.length) });
  },
  'GET tags/:id': (ctx, { id }) => {
    const n = toId(id);
    const t = n === undefined ? undefined : ctx.store.tags.get(n);
    if (t === undefined) throw notFound('Tag', id ?? '');
    return ok({ tag: wireTag(t, ctx.baseUrl) });
  },
  'POST tags': (ctx, { raw }) => {
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
  },
  'POST contactTags': (ctx, { id, raw }) => {
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
  },
  'DELETE contactTags/:id': (ctx, { id }) => {
    const n = toId(id);
    const rec = n === undefined ? undefined : ctx.store.contactTag(n);
    if (rec === undefined) throw notFound('ContactTag', id ?? '');
    ctx.store.detachTag(rec);
    ctx.dirty();
    return ok({});
  },
};
