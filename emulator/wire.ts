/**
 * Store records in ActiveCampaign's wire shapes: ids and counts as strings, dates as ISO-8601 with the
 * account's offset, camelCase names on contacts.
 */
import { storeTimeToMs } from './store.ts';
import type { ContactRec, ContactTagRec, FieldRec, FieldRelRec, FieldValueRec, ListRec, MembershipRec, TagRec } from './store.ts';

/**
 * Accounts answer in their own timezone, not UTC. A fixed -05:00 (the offset in ActiveCampaign's doc
 * examples) makes a client that compares date strings, or assumes `Z`, fail here as it would there.
 */
export const ACCOUNT_UTC_OFFSET_MINUTES = -5 * 60;

export function isoDate(ms: number): string {
  const shifted = new Date(ms + ACCOUNT_UTC_OFFSET_MINUTES * 60_000);
  const base = shifted.toISOString().slice(0, 19);
  const off = Math.abs(ACCOUNT_UTC_OFFSET_MINUTES);
  const sign = ACCOUNT_UTC_OFFSET_MINUTES < 0 ? '-' : '+';
  return `${base}${sign}${String(Math.floor(off / 60)).padStart(2, '0')}:${String(off % 60).padStart(2, '0')}`;
}

/**
 * Parses a date filter value. A value without an offset is read in the account's timezone, as
 * ActiveCampaign does; returns epoch seconds, or undefined when it is not a date.
 */
/** A store time (seconds, see store.ts) in the wire format. */
function at(t: number): string {
  return isoDate(storeTimeToMs(t));
}

export function parseFilterDate(value: string): number | undefined {
  const v = value.trim();
  const hasOffset = /([zZ]|[+-]\d{2}:?\d{2})$/.test(v);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  let ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : hasOffset ? v : `${v.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return undefined;
  if (!hasOffset) ms -= ACCOUNT_UTC_OFFSET_MINUTES * 60_000;
  return Math.floor(ms / 1000);
}

export function apiLinks(baseUrl: string, path: string, rels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rels) out[r] = `${baseUrl}/api/3/${path}/${r}`;
  return out;
}

export function wireList(l: ListRec, baseUrl: string): Record<string, unknown> {
  return {
    stringid: l.stringid,
    userid: '1',
    name: l.name,
    cdate: at(l.cdate),
    udate: null,
    private: '0',
    sender_name: '',
    sender_addr1: '',
    sender_city: '',
    sender_zip: '',
    sender_country: '',
    sender_url: '',
    sender_reminder: '',
    subscriber_count: String(l.byStatus[1].length),
    links: apiLinks(baseUrl, `lists/${l.id}`, ['contactGoalLists', 'user', 'addressLists']),
    id: String(l.id),
  };
}

export function wireContact(c: ContactRec, baseUrl: string, related?: { lists?: boolean; fields?: boolean; tags?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    cdate: at(c.cdate),
    email: c.email,
    phone: c.phone,
    firstName: c.firstName,
    lastName: c.lastName,
    orgid: '0',
    orgname: '',
    segmentio_id: '',
    bounced_hard: '0',
    bounced_soft: '0',
    bounced_date: null,
    ip: '0',
    ua: null,
    hash: '',
    email_local: '',
    email_domain: '',
    sentcnt: '0',
    gravatar: '0',
    deleted: '0',
    anonymized: '0',
    adate: null,
    udate: at(c.udate),
    edate: null,
    deleted_at: null,
    created_utc_timestamp: new Date(storeTimeToMs(c.cdate)).toISOString().slice(0, 19).replace('T', ' '),
    updated_utc_timestamp: new Date(storeTimeToMs(c.udate)).toISOString().slice(0, 19).replace('T', ' '),
    created_by: null,
    updated_by: null,
    email_empty: c.email === '',
    mpp_tracking: '0',
    links: apiLinks(baseUrl, `contacts/${c.id}`, ['bounceLogs', 'contactLists', 'contactTags', 'fieldValues', 'notes', 'organization']),
    id: String(c.id),
    organization: null,
  };
  if (related?.lists === true) out['contactLists'] = c.lists.map((m) => String(m.id));
  if (related?.fields === true) out['fieldValues'] = c.fields.map((v) => String(v.id));
  if (related?.tags === true) out['contactTags'] = c.tags.map((t) => String(t.id));
  return out;
}

/** Reads answer `status` as a string; the POST /contactLists echo uses a number (see routes). */
export function wireMembership(m: MembershipRec, baseUrl: string): Record<string, unknown> {
  return {
    contact: String(m.contact),
    list: String(m.list),
    form: null,
    seriesid: '0',
    sdate: at(m.sdate),
    udate: at(m.udate),
    status: String(m.status),
    responder: '1',
    sync: '0',
    unsubreason: m.unsubreason,
    campaign: null,
    message: null,
    first_name: '',
    last_name: '',
    ip4Sub: '0',
    sourceid: String(m.sourceid),
    autosyncLog: null,
    ip4_last: '0',
    ip4Unsub: '0',
    unsubscribeAutomation: null,
    links: apiLinks(baseUrl, `contactLists/${m.id}`, ['automation', 'list', 'contact', 'form', 'autosyncLog', 'campaign', 'unsubscribeAutomation', 'message']),
    id: String(m.id),
    automation: null,
  };
}

export function wireFieldValue(v: FieldValueRec, baseUrl: string): Record<string, unknown> {
  return {
    contact: String(v.contact),
    field: String(v.field),
    value: v.value,
    cdate: at(v.cdate),
    udate: at(v.udate),
    created_by: null,
    updated_by: null,
    links: apiLinks(baseUrl, `fieldValues/${v.id}`, ['owner', 'field']),
    id: String(v.id),
    owner: String(v.contact),
  };
}

export function wireContactTag(t: ContactTagRec, baseUrl: string): Record<string, unknown> {
  return {
    contact: String(t.contact),
    tag: String(t.tag),
    cdate: at(t.cdate),
    created_timestamp: at(t.cdate),
    updated_timestamp: at(t.cdate),
    created_by: null,
    updated_by: null,
    links: apiLinks(baseUrl, `contactTags/${t.id}`, ['tag', 'contact']),
    id: String(t.id),
  };
}

export function wireTag(t: TagRec, baseUrl: string): Record<string, unknown> {
  return {
    tagType: 'contact',
    tag: t.tag,
    description: t.description,
    cdate: at(t.cdate),
    subscriber_count: '0',
    created_timestamp: at(t.cdate),
    updated_timestamp: at(t.cdate),
    created_by: null,
    updated_by: null,
    deleted: '0',
    links: apiLinks(baseUrl, `tags/${t.id}`, ['contactGoalTags']),
    id: String(t.id),
  };
}

export function wireField(f: FieldRec, relIds: number[], baseUrl: string): Record<string, unknown> {
  return {
    title: f.title,
    descript: '',
    type: f.type,
    isrequired: '0',
    perstag: f.perstag,
    defval: '',
    show_in_list: '0',
    rows: '0',
    cols: '0',
    visible: '1',
    service: '',
    ordernum: String(f.id),
    cdate: at(f.cdate),
    udate: at(f.udate),
    options: [],
    relations: relIds.map(String),
    links: apiLinks(baseUrl, `fields/${f.id}`, ['options', 'relations']),
    id: String(f.id),
  };
}

export function wireFieldRel(r: FieldRelRec): Record<string, unknown> {
  return { field: String(r.field), relid: String(r.relid), dorder: '0', cdate: at(r.cdate), links: [], id: String(r.id) };
}
