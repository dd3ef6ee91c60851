/** The unrolled hot paths (normaliser, planner, payloads) handle every standard field of the descriptor table. */
import { describe, expect, it } from 'vitest';
import { toEntry, toSyncContact } from '../../engine/apply/payloads.ts';
import { STANDARD_FIELDS } from '../../engine/contact-fields.ts';
import { toObserved } from '../../engine/observe.ts';
import type { MappingConfig } from '../../engine/config/model.ts';
import { diffFields } from '../../engine/plan.ts';
import { normalizeProfile } from '../../engine/segment/normalize.ts';

describe.each(STANDARD_FIELDS)('standard field $name', (f) => {
  const mapping: MappingConfig = { email: 'E', [f.name]: 'COL', fields: {} };
  const value = f.name === 'phone' ? '+351 912 345 678' : 'Zoë';

  it('is read from its mapped column', () => {
    expect(normalizeProfile({ E: 'a@x.example', COL: value }, mapping, 2)).toMatchObject({ [f.name]: value });
  });
  it('is read from a list member (and an empty one is no value)', () => {
    const member = { id: '1', email: 'a@x.example', firstName: '', lastName: '', phone: '', listStatus: 1 as const, fieldValues: {}, contactTags: [] };
    const ctx = { perstagByFieldId: new Map<string, string>() };
    expect(toObserved({ ...member, [f.api]: value }, ctx)).toMatchObject({ [f.name]: value });
    expect(toObserved(member, ctx)[f.name]).toBeUndefined();
  });
  it('is compared by the planner', () => {
    expect(diffFields({ email: 'a@x.example', key: 'a@x.example', row: 2, [f.name]: value }, { email: 'a@x.example' })).toEqual([{ field: f.name, after: value }]);
  });
  it('is sent under its bulk and API names', () => {
    const change = { action: 'update' as const, email: 'a@x.example', key: 'a@x.example', after: { email: 'a@x.example', [f.name]: value } };
    expect(toEntry({ listId: '1', fieldIds: new Map() }, change).contact).toMatchObject({ [f.bulk]: value });
    expect(toSyncContact(change, new Map())).toMatchObject({ [f.api]: value });
  });
});
