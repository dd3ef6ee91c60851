/**
 * Payload building: a planned change as ActiveCampaign's bulk importer wants it (snake_case, tags, list
 * reference) and as /contact/sync wants it (camelCase), with its size in bytes for batch packing.
 * Empty values are never sent: an empty string would erase what ActiveCampaign has.
 */
import type { BulkContact, SyncContact } from '../activecampaign/api.ts';
import { STANDARD_FIELDS } from '../contact-fields.ts';
import type { Change, ContactFields } from '../model.ts';
import { managedTag, unsubscribedTag } from '../tags.ts';

/** A change with its bulk-import contact and that contact's size in the payload (with its separating comma). */
export interface Entry {
  change: Change;
  contact: BulkContact;
  bytes: number;
}

/** What payload building needs from an apply. */
export interface PayloadInput {
  listId: string;
  /** Custom field ids by personalization tag. */
  fieldIds: ReadonlyMap<string, string>;
  /** Extra tags the export puts on every contact it writes. */
  extraTags?: readonly string[];
}

/**
 * The parts every contact of one apply shares (the list reference, the tag lists): built once, not once per
 * contact. A million-contact apply otherwise allocates four small objects and a tag string per contact while its
 * batches wait for the rate budget, and V8 promotes much of that to the old generation (BENCHMARKS.md).
 */
interface SharedParts {
  listRef: ReadonlyArray<{ listid: number }>;
  subscribeTags: string[] | undefined;
  unsubscribeTags: string[];
  updateTags: string[] | undefined;
}

const sharedParts = new WeakMap<PayloadInput, SharedParts>();

function partsFor(input: PayloadInput): SharedParts {
  let parts = sharedParts.get(input);
  if (parts === undefined) {
    const extra = [...(input.extraTags ?? [])];
    parts = {
      listRef: [{ listid: Number(input.listId) }],
      subscribeTags: [...extra, managedTag(input.listId)],
      unsubscribeTags: [...extra, unsubscribedTag(input.listId)],
      updateTags: extra.length > 0 ? extra : undefined,
    };
    sharedParts.set(input, parts);
  }
  return parts;
}

/** The bulk-import entry of one change. */
export function toEntry(input: PayloadInput, change: Change): Entry {
  const parts = partsFor(input);
  const contact: BulkContact = { email: change.email };
  let tags: string[] | undefined;
  if (change.action === 'unsubscribe') {
    contact.unsubscribe = parts.listRef as Array<{ listid: number }>;
    tags = parts.unsubscribeTags;
  } else {
    Object.assign(contact, bulkFields(change.after, input.fieldIds));
    if (change.action === 'create' || change.action === 'subscribe') {
      contact.subscribe = parts.listRef as Array<{ listid: number }>;
      tags = parts.subscribeTags;
    } else tags = parts.updateTags;
  }
  if (tags !== undefined) contact.tags = tags;
  return { change, contact, bytes: Buffer.byteLength(JSON.stringify(contact)) + 1 };
}

/** The bulk importer's snake_case shape. Empty values are never sent: an empty string would erase what AC has. */
function bulkFields(after: ContactFields | undefined, fieldIds: ReadonlyMap<string, string>): Partial<BulkContact> {
  if (after === undefined) return {};
  const out: Partial<BulkContact> = {};
  for (const f of STANDARD_FIELDS) {
    const v = after[f.name];
    if (v) out[f.bulk] = v;
  }
  const fields: Array<{ id: number; value: string }> = [];
  for (const [perstag, value] of Object.entries(after.fields ?? {})) {
    const id = fieldIds.get(perstag);
    if (id !== undefined && value !== '') fields.push({ id: Number(id), value });
  }
  if (fields.length > 0) out.fields = fields;
  return out;
}

/** The /contact/sync body of one change. */
export function toSyncContact(change: Change, fieldIds: ReadonlyMap<string, string>): SyncContact {
  const after = change.after ?? { email: change.email };
  const out: SyncContact = { email: change.email };
  for (const f of STANDARD_FIELDS) {
    const v = after[f.name];
    if (v) out[f.api] = v;
  }
  const values: Array<{ field: string; value: string }> = [];
  for (const [perstag, value] of Object.entries(after.fields ?? {})) {
    const field = fieldIds.get(perstag);
    if (field !== undefined && value !== '') values.push({ field, value });
  }
  if (values.length > 0) out.fieldValues = values;
  return out;
}
