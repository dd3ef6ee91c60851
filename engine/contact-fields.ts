/**
 * The standard contact fields acsync maps, and what each is called where: in the config's `mapping:`, in the
 * planner (ContactFields), in ActiveCampaign's bulk importer (snake_case) and its contact API (camelCase). A new
 * standard field is one row here, plus the planner's and normaliser's unrolled hot paths (engine/plan.ts
 * diffFields, engine/segment/normalize.ts), which stay unrolled for speed and are held to this table by tests.
 */
import type { BulkContact, SyncContact } from './activecampaign/api.ts';
import type { ContactFields } from './model.ts';

export interface StandardField {
  /** The name in ContactFields, in `mapping:` and in FieldChange.field. */
  name: 'firstName' | 'lastName' | 'phone';
  /** The key in a bulk import contact. */
  bulk: keyof BulkContact & ('first_name' | 'last_name' | 'phone');
  /** The key in a /contact/sync contact and in a contact read from the API. */
  api: keyof SyncContact & ('firstName' | 'lastName' | 'phone');
}

export const STANDARD_FIELDS: readonly StandardField[] = [
  { name: 'firstName', bulk: 'first_name', api: 'firstName' },
  { name: 'lastName', bulk: 'last_name', api: 'lastName' },
  { name: 'phone', bulk: 'phone', api: 'phone' },
];

/** Compile-time check: the table names every optional string field of ContactFields except `email` and `fields`. */
type Covered = (typeof STANDARD_FIELDS)[number]['name'];
type Expected = Exclude<keyof ContactFields, 'email' | 'fields'>;
const exhaustive: [Expected] extends [Covered] ? ([Covered] extends [Expected] ? true : never) : never = true;
void exhaustive;
