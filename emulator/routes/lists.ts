/**
 * The user and lists (emulated ActiveCampaign API v3; see ../api-routes.ts for the table).
 */
import { toId } from '../http-io.ts';
import { wireList } from '../wire.ts';
import { inner, meta, notFound, ok, paging, type Route, unprocessable } from './common.ts';

export const listsRoutes: Record<string, Route> = {
  'GET users/me': (_ctx, { id }) => {
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
  
  },
  'GET lists': (ctx, { query }) => {
    const { limit, offset } = paging(query);
    let lists = [...ctx.store.lists.values()];
    const name = query.get('filters[name]');
    if (name !== null) lists = lists.filter((l) => l.name.toLowerCase() === name.toLowerCase());
    const dir = query.get('orders[name]');
    if (dir !== null) lists.sort((a, b) => (dir.toUpperCase() === 'DESC' ? -1 : 1) * a.name.localeCompare(b.name));
    return ok({ lists: lists.slice(offset, offset + limit).map((l) => wireList(l, ctx.baseUrl)), meta: meta(lists.length) });
  },
  'GET lists/:id': (ctx, { id }) => {
    const n = toId(id);
    const l = n === undefined ? undefined : ctx.store.lists.get(n);
    if (l === undefined) throw notFound('_List', id ?? '');
    return ok({ list: wireList(l, ctx.baseUrl) });
  },
  'POST lists': (ctx, { raw }) => {
    const l = inner(raw, 'list');
    const name = l['name'];
    if (typeof name !== 'string' || name.trim() === '') throw unprocessable('List name is required', 'field_missing', '/data/attributes/name');
    const stringid = typeof l['stringid'] === 'string' ? l['stringid'] : undefined;
    const list = ctx.store.createList(name.trim(), stringid);
    ctx.dirty();
    return ok({ list: wireList(list, ctx.baseUrl) }, 201);
  },
};
