/**
 * What every route module of the emulated API shares: the context, answer helpers, paging and lookups.
 */
import { type BulkQueue } from '../bulk-import.ts';
import { isRecord, parseJson, type RawBody, Reply, toId } from '../http-io.ts';
import { type Quirks } from '../quirks.ts';
import { type ContactRec, type Store } from '../store.ts';
import { wireFieldValue } from '../wire.ts';

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

export type Answer = { status: number; body: unknown };

export const ok = (body: unknown, status = 200): Answer => ({ status, body });
export const notFound = (entity: string, id: string): Reply => new Reply(404, { message: `No Result found for ${entity} with id ${id}` });
export const unprocessable = (title: string, code: string, pointer?: string, detail = ''): Reply =>
  new Reply(422, { errors: [{ title, detail, code, ...(pointer !== undefined ? { source: { pointer } } : {}) }] });

export function paging(q: URLSearchParams, defaultLimit = DEFAULT_LIMIT): { limit: number; offset: number } {
  const l = Number.parseInt(q.get('limit') ?? '', 10);
  const o = Number.parseInt(q.get('offset') ?? '', 10);
  return {
    limit: Number.isNaN(l) || l <= 0 ? defaultLimit : Math.min(l, MAX_LIMIT),
    offset: Number.isNaN(o) || o < 0 ? 0 : o,
  };
}

export function meta(total: number): { total: string } {
  return { total: String(total) };
}

export function body(raw: RawBody): Record<string, unknown> {
  const b = parseJson(raw);
  if (!isRecord(b)) throw new Reply(400, {});
  return b;
}

export function inner(raw: RawBody, key: string): Record<string, unknown> {
  const v = body(raw)[key];
  if (!isRecord(v)) throw new Reply(400, {});
  return v;
}

export function contactById(ctx: ApiContext, id: string | undefined, entity = 'Subscriber'): ContactRec {
  const n = toId(id);
  const c = n === undefined ? undefined : ctx.store.contacts.get(n);
  if (c === undefined) throw notFound(entity, id ?? '');
  return c;
}

/** Field values of a contact that show on it: fields related to all lists or to one of its lists. */
export function visibleFieldValues(ctx: ApiContext, c: ContactRec): Record<string, unknown>[] {
  return c.fields.filter((v) => ctx.store.fieldVisibleOn(v.field, c)).map((v) => wireFieldValue(v, ctx.baseUrl));
}


/** What a route gets besides the context: the path's id and sub-resource, the query and the raw body. */
export interface RouteArgs {
  id: string | undefined;
  sub: string | undefined;
  query: URLSearchParams;
  raw: RawBody;
}

/** One endpoint: "GET contacts/:id/contactTags" → its handler (throws Reply for error answers). */
export type Route = (ctx: ApiContext, args: RouteArgs) => Answer;
