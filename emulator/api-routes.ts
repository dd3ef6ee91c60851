/**
 * The emulated ActiveCampaign API v3 endpoints under /api/3, as a route table: one module per resource under
 * routes/. Shapes follow the shared API notes; where ActiveCampaign's behaviour is unknown, the route's comment
 * says which strict choice was made.
 */
import type { RawBody } from './http-io.ts';
import { Reply } from './http-io.ts';
import { bulkRoutes } from './routes/bulk.ts';
import { type Answer, type ApiContext, type Route } from './routes/common.ts';
import { contactsRoutes } from './routes/contacts.ts';
import { fieldsRoutes } from './routes/fields.ts';
import { listsRoutes } from './routes/lists.ts';
import { tagsRoutes } from './routes/tags.ts';

export { DEFAULT_LIMIT, FIELDS_DEFAULT_LIMIT, MAX_LIMIT, type ApiContext } from './routes/common.ts';

/** "METHOD resource[/:id][/sub]" → handler. */
export const ROUTES: Readonly<Record<string, Route>> = { ...listsRoutes, ...contactsRoutes, ...fieldsRoutes, ...tagsRoutes, ...bulkRoutes };

export function handleApi(ctx: ApiContext, method: string, parts: string[], query: URLSearchParams, raw: RawBody): Answer {
  const [head, id, sub] = parts;
  const seg = (v: string): string => (/^\d+$/.test(v) ? ':id' : v);
  const key = `${method} ${head ?? ''}${id !== undefined ? `/${seg(id)}` : ''}${sub !== undefined ? `/${sub}` : ''}${parts.length > 3 ? '/…' : ''}`;
  const route = ROUTES[key];
  if (route === undefined) throw new Reply(404, { message: 'Not Found' });
  return route(ctx, { id, sub, query, raw });
}
