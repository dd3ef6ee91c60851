/**
 * Reading a list's members: GET /contacts by ascending id (keyset paging with id_greater), with the sideloads
 * that carry each member's status on the list, field values and tags.
 *
 * Bounded and checked (issue 15 items 1 and 10, issue 13 item 12): a page too large (old accounts send every
 * membership, field value and tag of each contact) is asked again with half the `limit` from the same id; a short
 * page is not taken for the last while meta.total says more follow; a full read that ends short of meta.total is
 * checked against a fresh count, and one that runs clearly past it stops with an error.
 */
import type { AcContactTag, AcListMember, AcMembershipDates, ReadMembersOptions } from './api.ts';
import { NetworkError, ResponseFormatError, ResponseTooLargeError } from './errors.ts';
import type { CallSpec, Transport } from './transport.ts';
import { idGreater, int, isObject, objects, str, type JsonObject } from './wire.ts';

import { PAGE_SIZE } from './limits.ts';

export { PAGE_SIZE };
/** A read stops with an error once this far past what meta.total announced (10%, and at least 10 pages). */
const PAST_TOTAL_SLACK = (total: number): number => Math.max(10 * PAGE_SIZE, Math.ceil(total * 0.1));
/** filters[updated_after] is sent this much earlier than asked, at whole seconds (docs/activecampaign-api.md). */
export const UPDATED_AFTER_MARGIN_MS = 1_000;

export interface AccountClock {
  /** The account's UTC offset as its dates show it ("-05:00"), once a date was read. */
  offset: string | undefined;
}

/**
 * filters[updated_after] in the form least likely to be misread: the account's own offset (as its udate values
 * show it), whole seconds, no "Z", a margin earlier. A superset is harmless (the reader merges by id); a miss is not.
 */
export function formatUpdatedAfter(iso: string, offset: string | undefined): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const off = offset ?? '+00:00';
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(off);
  const offMin = m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const local = new Date(Math.floor((ms - UPDATED_AFTER_MARGIN_MS) / 1000) * 1000 + offMin * 60_000).toISOString().slice(0, 19);
  return `${local}${m === null ? '+00:00' : off}`;
}

export async function* readMembers(t: Transport, clock: AccountClock, listId: string, opts: ReadMembersOptions): AsyncGenerator<AcListMember[]> {
  let after = opts.afterId ?? '0';
  let done = 0;
  let total: number | undefined;
  let limit = PAGE_SIZE;
  const include = ['contactLists', ...(opts.include?.fieldValues === false ? [] : ['fieldValues']), ...(opts.include?.contactTags === false ? [] : ['contactTags'])];
  const full = opts.status === undefined && opts.updatedAfter === undefined;
  for (;;) {
    const query: Record<string, string> = {
      listid: listId,
      status: String(opts.status ?? -1),
      'orders[id]': 'ASC',
      id_greater: after,
      limit: String(limit),
      include: include.join(','),
    };
    if (opts.updatedAfter !== undefined) query['filters[updated_after]'] = formatUpdatedAfter(opts.updatedAfter, clock.offset);
    const spec: CallSpec = { method: 'GET', path: '/contacts', kind: 'GET /contacts', query, signal: opts.signal };
    let result: Awaited<ReturnType<typeof t.call>>;
    try {
      result = await t.call(spec);
    } catch (err) {
      // Too large or too slow: the same page again, half as long (down to one contact).
      const slow = err instanceof NetworkError && ['UND_ERR_BODY_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ERR_DEADLINE'].includes(err.code);
      if ((err instanceof ResponseTooLargeError || slow) && limit > 1) {
        limit = Math.max(1, Math.floor(limit / 2));
        continue;
      }
      throw err;
    }
    const page = t.expectObject(spec, result, 'contacts');
    const contacts = objects(page.contacts);
    const bad = (problem: string): ResponseFormatError => t.formatError(spec, result.status, result.requestId, '', problem);
    const members = contacts.map((c) => toMember(c, listId, page, bad, clock));
    // A server that ignored id_greater or the order would repeat contacts, or send the same page forever.
    let previous = after;
    for (const m of members) {
      if (!idGreater(m.id, previous)) throw bad(`did not list contacts by ascending id after ${after} (id_greater ignored?)`);
      previous = m.id;
    }
    // meta.total counts what matches the query, id_greater included, so only the first page tells the whole.
    const meta = isObject(page.meta) ? page.meta : {};
    if (done === 0 && total === undefined) total = int(meta.total);
    done += members.length;
    if (total !== undefined && done > total + PAST_TOTAL_SLACK(total)) {
      throw bad(`went on past the ${total} contacts it announced (meta.total): ${done} read, so acsync stopped reading`);
    }
    opts.onPage?.(done, total);
    if (members.length > 0) yield members;
    // The end: an empty page, or a short one once meta.total is reached (a short page before it is not the end).
    if (contacts.length === 0) break;
    if (contacts.length < limit && (total === undefined || done >= total)) break;
    after = previous;
  }
  if (full && total !== undefined && done < total) {
    // Fewer than announced: members may have left during the read. A fresh count settles it; a short read is
    // never planned from.
    const spec: CallSpec = { method: 'GET', path: '/contacts', kind: 'GET /contacts', query: { listid: listId, status: '-1', limit: '1' }, signal: opts.signal };
    const now = int((t.expectObject(spec, await t.call(spec), 'contacts').meta as JsonObject | undefined)?.total);
    if (now === undefined || done < now) {
      throw t.formatError(spec, 200, undefined, '', `listed ${done} members of list ${listId} but announced ${now ?? total} (meta.total): a read cut short is not planned from; rerun`);
    }
  }
}

/** Maps one contact of GET /contacts plus the page's sideloads to a list member. */
export function toMember(c: JsonObject, listId: string, page: JsonObject, bad: (problem: string) => Error, clock?: AccountClock): AcListMember {
  const id = str(c.id);
  if (id === '') throw bad('has a contact without an id');
  const membership = objects(page.contactLists).find((cl) => str(cl.contact) === id && str(cl.list) === listId);
  const status = int(membership?.status);
  if (status !== 0 && status !== 1 && status !== 2 && status !== 3) {
    // Guessing a status could re-subscribe someone who opted out: refuse instead.
    throw bad(`has no readable status of contact ${id} on list ${listId} (include=contactLists)`);
  }
  const fieldValues: Record<string, string> = {};
  for (const fv of objects(page.fieldValues)) {
    if (str(fv.contact) === id && str(fv.field) !== '') fieldValues[str(fv.field)] = str(fv.value);
  }
  // Dates only where consent depends on them (status 2): the rest of a million members stays small.
  const contactTags = objects(page.contactTags)
    .filter((ct) => str(ct.contact) === id)
    .map((ct) => contactTagOf(ct, status === 2));
  const member: AcListMember = {
    id,
    email: str(c.email),
    firstName: str(c.firstName),
    lastName: str(c.lastName),
    phone: str(c.phone),
    listStatus: status,
    fieldValues,
    contactTags,
  };
  const udate = str(c.udate);
  if (udate !== '') member.updatedAt = udate;
  if (clock !== undefined && clock.offset === undefined) {
    const m = /([+-]\d{2}:\d{2}|Z)$/.exec(udate);
    if (m !== null) clock.offset = m[1] === 'Z' ? '+00:00' : m[1];
  }
  if (status === 2) member.membershipDates = membershipDatesOf(membership!);
  return member;
}

export function contactTagOf(ct: JsonObject, withDate: boolean): AcContactTag {
  const tag: AcContactTag = { id: str(ct.id), tagId: str(ct.tag) };
  const cdate = str(ct.cdate) || str(ct.created_timestamp);
  if (withDate && cdate !== '') tag.createdAt = cdate;
  return tag;
}

export function membershipDatesOf(cl: JsonObject): AcMembershipDates {
  const dates: AcMembershipDates = {};
  const sdate = str(cl.sdate);
  const udate = str(cl.udate);
  if (sdate !== '') dates.subscribedAt = sdate;
  if (udate !== '') dates.changedAt = udate;
  return dates;
}

