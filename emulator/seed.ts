/**
 * Test and demo data put straight into the store (no API calls, no rate limit): lists, custom fields and
 * contacts with their list statuses, field values and tags.
 */
import type { ContactRec, FieldType, ListStatus, Store } from './store.ts';
import { FIELD_TYPES } from './store.ts';

export interface SeedContact {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  /** Values by personalization tag or field id. */
  fields?: Record<string, string>;
  /** Status by list id: 0 unconfirmed, 1 active, 2 unsubscribed, 3 bounced. */
  lists?: Record<string, ListStatus>;
  /** Tag names; created when missing. */
  tags?: string[];
}

export interface SeedInput {
  /** N: lists 1..N (when absent), or names for new lists. */
  lists?: number | string[];
  /** Personalization tags (or full definitions) of custom fields to create, each related to all lists. */
  fields?: Array<string | { perstag: string; title?: string; type?: FieldType }>;
  contacts?: SeedContact[];
}

export interface SeedResult {
  lists: string[];
  fields: Record<string, string>;
  contacts: Record<string, string>;
}

/** Creates what is missing; existing lists, fields and contacts (by email) are reused and updated. */
export function seed(store: Store, input: SeedInput): SeedResult {
  const result: SeedResult = { lists: [], fields: {}, contacts: {} };
  if (typeof input.lists === 'number') {
    for (let id = 1; id <= input.lists; id++) {
      const list = store.lists.get(id) ?? store.createList(`List ${id}`, `list-${id}`, id);
      result.lists.push(String(list.id));
    }
  } else {
    for (const name of input.lists ?? []) {
      const existing = [...store.lists.values()].find((l) => l.name === name);
      result.lists.push(String((existing ?? store.createList(name)).id));
    }
  }
  for (const f of input.fields ?? []) {
    const def = typeof f === 'string' ? { perstag: f } : f;
    const perstag = def.perstag.toUpperCase();
    let field = store.findFieldByPerstag(perstag);
    if (field === undefined) {
      const type = def.type !== undefined && (FIELD_TYPES as readonly string[]).includes(def.type) ? def.type : 'text';
      field = store.createField({ title: def.title ?? titleOf(perstag), type, perstag });
      store.createFieldRel(field.id, 0);
    }
    result.fields[perstag] = String(field.id);
  }
  for (const sc of input.contacts ?? []) {
    const c = seedContact(store, sc);
    result.contacts[c.email] = String(c.id);
  }
  return result;
}

function seedContact(store: Store, sc: SeedContact): ContactRec {
  const names: { firstName?: string; lastName?: string; phone?: string } = {};
  if (sc.firstName !== undefined) names.firstName = sc.firstName;
  if (sc.lastName !== undefined) names.lastName = sc.lastName;
  if (sc.phone !== undefined) names.phone = sc.phone;
  let c = store.findByEmail(sc.email);
  if (c === undefined) c = store.createContact({ email: sc.email, ...names });
  else store.updateContact(c, names);
  for (const [key, value] of Object.entries(sc.fields ?? {})) {
    const field = /^\d+$/.test(key) ? store.fields.get(Number(key)) : store.findFieldByPerstag(key);
    if (field === undefined) throw new Error(`seed: contact ${sc.email}: no custom field "${key}"; seed it under "fields" first`);
    store.setFieldValue(c, field.id, value);
  }
  for (const [listId, status] of Object.entries(sc.lists ?? {})) {
    const list = store.lists.get(Number(listId));
    if (list === undefined) throw new Error(`seed: contact ${sc.email}: no list ${listId}; seed it under "lists" first`);
    if (![0, 1, 2, 3].includes(status)) throw new Error(`seed: contact ${sc.email}: list status must be 0, 1, 2 or 3, got ${String(status)}`);
    const isNew = store.membership(c, list.id) === undefined;
    const m = store.setListStatus(c, list, status);
    // Nobody is unsubscribed (or bounced) from a list they were never on: a membership seeded straight into
    // status 2 or 3 was subscribed a day earlier, as it would have been in a real account.
    if (isNew && (status === 2 || status === 3)) m.sdate -= SEEDED_HISTORY_S;
  }
  for (const name of sc.tags ?? []) store.attachTag(c, (store.findTagByName(name) ?? store.createTag(name)).id);
  return c;
}

/** How long before its seeded status an unsubscribed or bounced seeded membership was subscribed. */
const SEEDED_HISTORY_S = 24 * 60 * 60;

function titleOf(perstag: string): string {
  return perstag
    .toLowerCase()
    .split('_')
    .filter((w) => w !== '')
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ');
}
