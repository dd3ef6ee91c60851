/**
 * The emulated account's data, in memory, shaped for 1,000,000 contacts: one ordered id array for all
 * contacts, one per list and one per list and status (so `listid` + `status` + `id_greater` pages are a binary
 * search and a slice), small arrays on each contact for its memberships, field values and tags.
 * No HTTP here: routes translate wire shapes to these calls.
 */
import { insertSorted, lowerBound, removeSorted, upperBound } from './sorted-ids.ts';

export type ListStatus = 0 | 1 | 2 | 3;

/**
 * Record times are whole seconds since 2020-01-01 (ActiveCampaign dates have 1 s resolution). Unlike epoch
 * milliseconds they fit V8's small integers, so a million contacts carry no boxed numbers.
 */
export const STORE_EPOCH_S = 1_577_836_800;

export function storeTimeToMs(t: number): number {
  return (t + STORE_EPOCH_S) * 1000;
}

export interface MembershipRec {
  id: number;
  contact: number;
  list: number;
  status: ListStatus;
  sdate: number;
  udate: number;
  sourceid: number;
  unsubreason: string;
}

export interface FieldValueRec {
  id: number;
  contact: number;
  field: number;
  value: string;
  cdate: number;
  udate: number;
}

export interface ContactTagRec {
  id: number;
  contact: number;
  tag: number;
  cdate: number;
}

export interface ContactRec {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  cdate: number;
  udate: number;
  lists: MembershipRec[];
  fields: FieldValueRec[];
  tags: ContactTagRec[];
}

export interface ListRec {
  id: number;
  name: string;
  stringid: string;
  cdate: number;
  /** All members (any status), ascending ids. */
  members: number[];
  /** Members by status 0..3, ascending ids. */
  byStatus: [number[], number[], number[], number[]];
}

export const FIELD_TYPES = ['text', 'textarea', 'date', 'datetime', 'dropdown', 'listbox', 'radio', 'checkbox', 'hidden', 'number'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldRec {
  id: number;
  title: string;
  type: FieldType;
  perstag: string;
  cdate: number;
  udate: number;
}

export interface FieldRelRec {
  id: number;
  field: number;
  /** A list id, or 0 for all lists. */
  relid: number;
  cdate: number;
}

export interface TagRec {
  id: number;
  tag: string;
  description: string;
  cdate: number;
}

export interface ContactQuery {
  listid?: number;
  /** -1 any; on a list (listid) it is the status on that list, otherwise the status on any list. */
  status: number;
  email?: string;
  tagid?: number;
  idGreater?: number;
  idLess?: number;
  /** Epoch seconds; udate must be strictly greater (compared at ActiveCampaign's 1 s resolution). */
  updatedAfter?: number;
  updatedBefore?: number;
  createdAfter?: number;
  createdBefore?: number;
  orders: Array<{ key: string; dir: 'ASC' | 'DESC' }>;
  limit: number;
  offset: number;
}

interface Counters {
  contact: number;
  list: number;
  contactList: number;
  field: number;
  fieldRel: number;
  fieldValue: number;
  tag: number;
  contactTag: number;
}

const ZERO_COUNTERS: Counters = { contact: 0, list: 0, contactList: 0, field: 0, fieldRel: 0, fieldValue: 0, tag: 0, contactTag: 0 };

/** The account-wide data of one emulated ActiveCampaign account. */
export class Store {
  counters: Counters = { ...ZERO_COUNTERS };
  readonly contacts = new Map<number, ContactRec>();
  /** Every contact id, ascending. */
  readonly contactIds: number[] = [];
  private readonly byEmail = new Map<string, number>();
  readonly lists = new Map<number, ListRec>();
  readonly fields = new Map<number, FieldRec>();
  readonly fieldRels = new Map<number, FieldRelRec>();
  readonly tags = new Map<number, TagRec>();
  private readonly tagsByName = new Map<string, number>();
  private readonly contactTags = new Map<number, ContactTagRec>();

  constructor(private readonly now: () => number = Date.now) {}

  private stamp(): number {
    return Math.floor(this.now() / 1000) - STORE_EPOCH_S;
  }

  clear(): void {
    this.counters = { ...ZERO_COUNTERS };
    this.contacts.clear();
    this.contactIds.length = 0;
    this.byEmail.clear();
    this.lists.clear();
    this.fields.clear();
    this.fieldRels.clear();
    this.tags.clear();
    this.tagsByName.clear();
    this.contactTags.clear();
  }

  // ---- lists

  createList(name: string, stringid?: string, id?: number): ListRec {
    const listId = id ?? ++this.counters.list;
    if (listId > this.counters.list) this.counters.list = listId;
    const list: ListRec = {
      id: listId,
      name,
      stringid: stringid ?? slug(name),
      cdate: this.stamp(),
      members: [],
      byStatus: [[], [], [], []],
    };
    this.lists.set(listId, list);
    return list;
  }

  // ---- contacts

  findByEmail(email: string): ContactRec | undefined {
    const id = this.byEmail.get(email.trim().toLowerCase());
    return id === undefined ? undefined : this.contacts.get(id);
  }

  /** Quirk sdateOnEveryChange (quirks.ts): a status change of any kind moves the membership's sdate. */
  sdateOnEveryChange = false;
  /** Quirk normaliseValues (quirks.ts): how a phone ('phone') or a field value of a type is stored. */
  normalise: ((kind: string, value: string) => string) | undefined;

  createContact(input: { email: string; firstName?: string; lastName?: string; phone?: string }): ContactRec {
    const t = this.stamp();
    if (this.normalise !== undefined && input.phone !== undefined) input = { ...input, phone: this.normalise('phone', input.phone) };
    const c: ContactRec = {
      id: ++this.counters.contact,
      email: input.email.trim(),
      firstName: input.firstName ?? '',
      lastName: input.lastName ?? '',
      phone: input.phone ?? '',
      cdate: t,
      udate: t,
      lists: [],
      fields: [],
      tags: [],
    };
    this.insertContact(c);
    return c;
  }

  private insertContact(c: ContactRec): void {
    this.contacts.set(c.id, c);
    insertSorted(this.contactIds, c.id);
    this.byEmail.set(c.email.toLowerCase(), c.id);
  }

  /** Sets the given standard fields; bumps udate only when something changed. Returns whether it did. */
  updateContact(c: ContactRec, patch: { email?: string; firstName?: string; lastName?: string; phone?: string }): boolean {
    let changed = false;
    if (patch.email !== undefined && patch.email.trim() !== c.email) {
      this.byEmail.delete(c.email.toLowerCase());
      c.email = patch.email.trim();
      this.byEmail.set(c.email.toLowerCase(), c.id);
      changed = true;
    }
    for (const k of ['firstName', 'lastName', 'phone'] as const) {
      const given = patch[k];
      const v = k === 'phone' && given !== undefined && this.normalise !== undefined ? this.normalise('phone', given) : given;
      if (v !== undefined && v !== c[k]) {
        c[k] = v;
        changed = true;
      }
    }
    if (changed) c.udate = this.stamp();
    return changed;
  }

  deleteContact(c: ContactRec): void {
    for (const m of c.lists) {
      const list = this.lists.get(m.list);
      if (list === undefined) continue;
      removeSorted(list.members, c.id);
      removeSorted(list.byStatus[m.status], c.id);
    }
    for (const t of c.tags) this.contactTags.delete(t.id);
    this.contacts.delete(c.id);
    removeSorted(this.contactIds, c.id);
    this.byEmail.delete(c.email.toLowerCase());
  }

  /**
   * Sets a contact's status on a list. Does NOT bump the contact's udate: ActiveCampaign's docs do not say it
   * does, and the strictest assumption for a client using filters[updated_after] is that it does not.
   */
  setListStatus(c: ContactRec, list: ListRec, status: ListStatus, sourceid = 0): MembershipRec {
    const t = this.stamp();
    let m = c.lists.find((x) => x.list === list.id);
    if (m === undefined) {
      m = { id: ++this.counters.contactList, contact: c.id, list: list.id, status, sdate: t, udate: t, sourceid, unsubreason: '' };
      // concat, not push: push grows the backing store to 17 slots, a lot per contact times a million.
      c.lists = c.lists.concat(m);
      insertSorted(list.members, c.id);
      insertSorted(list.byStatus[status], c.id);
      return m;
    }
    if (m.status !== status) {
      removeSorted(list.byStatus[m.status], c.id);
      insertSorted(list.byStatus[status], c.id);
      m.status = status;
      m.udate = t;
      // sdate is the subscribe date; under the sdateOnEveryChange quirk it moves on every status change.
      if (status === 1 || this.sdateOnEveryChange) m.sdate = t;
      m.sourceid = sourceid;
    }
    return m;
  }

  membership(c: ContactRec, listId: number): MembershipRec | undefined {
    return c.lists.find((x) => x.list === listId);
  }

  // ---- custom fields

  createField(input: { title: string; type: FieldType; perstag: string }, id?: number): FieldRec {
    const fieldId = id ?? ++this.counters.field;
    if (fieldId > this.counters.field) this.counters.field = fieldId;
    const t = this.stamp();
    const f: FieldRec = { id: fieldId, title: input.title, type: input.type, perstag: input.perstag, cdate: t, udate: t };
    this.fields.set(f.id, f);
    return f;
  }

  findFieldByPerstag(perstag: string): FieldRec | undefined {
    const want = perstag.toUpperCase();
    for (const f of this.fields.values()) if (f.perstag === want) return f;
    return undefined;
  }

  createFieldRel(field: number, relid: number): FieldRelRec {
    const r: FieldRelRec = { id: ++this.counters.fieldRel, field, relid, cdate: this.stamp() };
    this.fieldRels.set(r.id, r);
    return r;
  }

  /** A field shows on a contact only when related to all lists (relid 0) or to a list the contact is on. */
  fieldVisibleOn(fieldId: number, c: ContactRec): boolean {
    for (const r of this.fieldRels.values()) {
      if (r.field !== fieldId) continue;
      if (r.relid === 0 || c.lists.some((m) => m.list === r.relid)) return true;
    }
    return false;
  }

  /** Upserts the contact's value of a field; bumps the contact's udate when the value changed. */
  setFieldValue(c: ContactRec, field: number, value: string): FieldValueRec {
    const t = this.stamp();
    const type = this.fields.get(field)?.type;
    if (this.normalise !== undefined && type !== undefined) value = this.normalise(type, value);
    const existing = c.fields.find((v) => v.field === field);
    if (existing !== undefined) {
      if (existing.value !== value) {
        existing.value = value;
        existing.udate = t;
        c.udate = t;
      }
      return existing;
    }
    const v: FieldValueRec = { id: ++this.counters.fieldValue, contact: c.id, field, value, cdate: t, udate: t };
    c.fields = c.fields.concat(v);
    c.udate = t;
    return v;
  }

  // ---- tags

  findTagByName(name: string): TagRec | undefined {
    const id = this.tagsByName.get(name.trim().toLowerCase());
    return id === undefined ? undefined : this.tags.get(id);
  }

  createTag(name: string, description = ''): TagRec {
    const t: TagRec = { id: ++this.counters.tag, tag: name.trim(), description, cdate: this.stamp() };
    this.tags.set(t.id, t);
    this.tagsByName.set(t.tag.toLowerCase(), t.id);
    return t;
  }

  contactTag(id: number): ContactTagRec | undefined {
    return this.contactTags.get(id);
  }

  /** Attaches a tag; returns the existing link when there is one (`created: false`). Tags do not bump udate. */
  attachTag(c: ContactRec, tag: number): { rec: ContactTagRec; created: boolean } {
    const existing = c.tags.find((x) => x.tag === tag);
    if (existing !== undefined) return { rec: existing, created: false };
    const rec: ContactTagRec = { id: ++this.counters.contactTag, contact: c.id, tag, cdate: this.stamp() };
    c.tags = c.tags.concat(rec);
    this.contactTags.set(rec.id, rec);
    return { rec, created: true };
  }

  detachTag(rec: ContactTagRec): void {
    this.contactTags.delete(rec.id);
    const c = this.contacts.get(rec.contact);
    if (c !== undefined) c.tags = c.tags.filter((x) => x.id !== rec.id);
  }

  // ---- reading contacts

  /** One page of contacts matching the query, and how many match in all. */
  queryContacts(q: ContactQuery): { page: ContactRec[]; total: number } {
    let base: readonly number[];
    let statusOnList = false;
    if (q.email !== undefined) {
      const c = this.findByEmail(q.email);
      base = c === undefined ? [] : [c.id];
    } else if (q.listid !== undefined) {
      const list = this.lists.get(q.listid);
      if (list === undefined) base = [];
      else if (q.status >= 0 && q.status <= 3) {
        base = list.byStatus[q.status as ListStatus];
        statusOnList = true;
      } else base = list.members;
    } else base = this.contactIds;

    const start = q.idGreater === undefined ? 0 : upperBound(base, q.idGreater);
    const end = q.idLess === undefined ? base.length : lowerBound(base, q.idLess);
    const preds: Array<(c: ContactRec) => boolean> = [];
    if (q.listid !== undefined && q.email !== undefined) {
      const listid = q.listid;
      preds.push((c) => c.lists.some((m) => m.list === listid && (q.status < 0 || m.status === q.status)));
    } else if (q.status >= 0 && !statusOnList && q.listid === undefined) {
      preds.push((c) => c.lists.some((m) => m.status === q.status));
    }
    if (q.tagid !== undefined) {
      const tagid = q.tagid;
      preds.push((c) => c.tags.some((t) => t.tag === tagid));
    }
    const sec = (t: number): number => t + STORE_EPOCH_S;
    if (q.updatedAfter !== undefined) {
      const a = q.updatedAfter;
      preds.push((c) => sec(c.udate) > a);
    }
    if (q.updatedBefore !== undefined) {
      const b = q.updatedBefore;
      preds.push((c) => sec(c.udate) < b);
    }
    if (q.createdAfter !== undefined) {
      const a = q.createdAfter;
      preds.push((c) => sec(c.cdate) > a);
    }
    if (q.createdBefore !== undefined) {
      const b = q.createdBefore;
      preds.push((c) => sec(c.cdate) < b);
    }

    const firstOrder = q.orders[0];
    const byIdOnly = firstOrder === undefined || (firstOrder.key === 'id' && q.orders.length === 1);
    const desc = firstOrder?.key === 'id' && firstOrder.dir === 'DESC';

    if (byIdOnly && preds.length === 0) {
      const total = Math.max(0, end - start);
      const page: ContactRec[] = [];
      for (let i = q.offset; i < q.offset + q.limit && i < total; i++) {
        const id = desc ? base[end - 1 - i] : base[start + i];
        const c = id === undefined ? undefined : this.contacts.get(id);
        if (c !== undefined) page.push(c);
      }
      return { page, total };
    }

    const matches = (c: ContactRec): boolean => preds.every((p) => p(c));
    if (byIdOnly) {
      const page: ContactRec[] = [];
      let total = 0;
      for (let k = 0; k < end - start; k++) {
        const id = desc ? base[end - 1 - k] : base[start + k];
        const c = id === undefined ? undefined : this.contacts.get(id);
        if (c === undefined || !matches(c)) continue;
        if (total >= q.offset && page.length < q.limit) page.push(c);
        total++;
      }
      return { page, total };
    }

    const all: ContactRec[] = [];
    for (let i = start; i < end; i++) {
      const c = this.contacts.get(base[i] as number);
      if (c !== undefined && matches(c)) all.push(c);
    }
    all.sort((a, b) => {
      for (const o of q.orders) {
        const r = compareBy(a, b, o.key);
        if (r !== 0) return o.dir === 'DESC' ? -r : r;
      }
      return a.id - b.id;
    });
    return { page: all.slice(q.offset, q.offset + q.limit), total: all.length };
  }

  // ---- persistence

  /** The state as JSON-able records: a header, then one record per contact (streamable for big accounts). */
  *snapshot(): Generator<unknown> {
    yield {
      counters: this.counters,
      lists: [...this.lists.values()].map((l) => ({ id: l.id, name: l.name, stringid: l.stringid, cdate: l.cdate })),
      fields: [...this.fields.values()],
      fieldRels: [...this.fieldRels.values()],
      tags: [...this.tags.values()],
    };
    for (const id of this.contactIds) {
      const c = this.contacts.get(id);
      if (c !== undefined) yield c;
    }
  }

  loadHeader(h: SnapshotHeader): void {
    this.clear();
    for (const l of h.lists) this.lists.set(l.id, { ...l, members: [], byStatus: [[], [], [], []] });
    for (const f of h.fields) this.fields.set(f.id, f);
    for (const r of h.fieldRels) this.fieldRels.set(r.id, r);
    for (const t of h.tags) {
      this.tags.set(t.id, t);
      this.tagsByName.set(t.tag.toLowerCase(), t.id);
    }
    this.counters = { ...ZERO_COUNTERS, ...h.counters };
  }

  loadContact(c: ContactRec): void {
    this.insertContact(c);
    for (const m of c.lists) {
      const list = this.lists.get(m.list);
      if (list === undefined) continue;
      insertSorted(list.members, c.id);
      insertSorted(list.byStatus[m.status], c.id);
    }
    for (const t of c.tags) this.contactTags.set(t.id, t);
  }
}

export interface SnapshotHeader {
  counters: Counters;
  lists: Array<{ id: number; name: string; stringid: string; cdate: number }>;
  fields: FieldRec[];
  fieldRels: FieldRelRec[];
  tags: TagRec[];
}

function compareBy(a: ContactRec, b: ContactRec, key: string): number {
  switch (key) {
    case 'id':
      return a.id - b.id;
    case 'cdate':
      return a.cdate - b.cdate;
    case 'udate':
      return a.udate - b.udate;
    case 'email':
      return a.email.toLowerCase().localeCompare(b.email.toLowerCase());
    case 'first_name':
      return a.firstName.localeCompare(b.firstName);
    case 'last_name':
      return a.lastName.localeCompare(b.lastName);
    case 'name':
      return `${a.firstName} ${a.lastName}`.localeCompare(`${b.firstName} ${b.lastName}`);
    default:
      return 0;
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'list';
}
