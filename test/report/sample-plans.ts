/** Small plans built the way the planner builds them, for the renderer and reporter tests. */
import { emptyCounts, type Change, type ChangeAction, type ExportPlan } from '../../engine/model.ts';

export function change(action: ChangeAction, email: string, extra: Partial<Change> = {}): Change {
  return { action, email, key: email.toLowerCase(), ...extra };
}

/** A plan whose counts are those of its changes, plus `noop` unchanged contacts. */
export function planOf(exportName: string, changes: Change[], opts: { noop?: number; listId?: string; connection?: string } = {}): ExportPlan {
  const counts = emptyCounts();
  for (const c of changes) counts[c.action]++;
  counts.noop += opts.noop ?? 0;
  return { export: exportName, connection: opts.connection ?? 'contoso', listId: opts.listId ?? '3', changes, counts };
}

export const VIP_PLAN: ExportPlan = planOf(
  'vip-customers',
  [
    change('create', 'anna@contoso.example', { row: 2, after: { email: 'anna@contoso.example', firstName: 'Anna', lastName: 'Lind' } }),
    change('create', 'bo.berg@contoso.example', { row: 3, after: { email: 'bo.berg@contoso.example' } }),
    change('update', 'carl@contoso.example', {
      row: 4,
      contactId: '12',
      fieldChanges: [
        { field: 'firstName', before: 'Karl', after: 'Carl' },
        { field: 'LOYALTY_TIER', after: 'gold' },
      ],
    }),
    change('subscribe', 'dana@contoso.example', { row: 5, contactId: '13', reason: 'already a contact, not on the list' }),
    change('resubscribe', 'erik@contoso.example', { row: 6, contactId: '14', reason: 'unsubscribed by acsync earlier, back in the segment' }),
    change('unsubscribe', 'fay@contoso.example', { contactId: '15', reason: 'left the segment' }),
    change('skip', 'gus@contoso.example', { row: 8, reasonCode: 'unsubscribed-in-activecampaign', reason: 'unsubscribed in ActiveCampaign' }),
    change('skip', '', { row: 9, reasonCode: 'missing-email', reason: 'missing email' }),
  ],
  { noop: 120 },
);

export const QUIET_PLAN: ExportPlan = planOf('lapsed-buyers', [], { noop: 54, listId: '7' });

export const CONNECTION_NAMES = { contoso: 'Contoso Marketing' };
