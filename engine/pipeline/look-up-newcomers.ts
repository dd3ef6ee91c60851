/**
 * Stage 5b, look up newcomers: the segment's contacts that are not on the list may still be contacts of the account
 * (another list, a form, a CRM import). The bulk import upserts by email, so such a contact is subscribed and its
 * mapped fields overwritten: the plan must say so, with before → after. Each newcomer is looked up by exact email
 * (GET /contacts?email=, one address per request: ActiveCampaign documents no form that takes several, see
 * docs/activecampaign-api.md), on the account's shared rate budget and the transport's retries.
 *
 * Bounded: at ActiveCampaign's 5 requests a second, 10,000 newcomers (1% of a million-contact segment) would add
 * half an hour to a plan. Above the export's lookupLimit none is looked up (all or nothing: a plan is either exact
 * about newcomers or says plainly that it is not), and the plan carries `notLookedUp`.
 *
 * Counted first: every member of the list read (all statuses) is a contact of the account, so an account with no
 * more contacts than the list has members holds no newcomer, and one request (meta.total) saves them all: a first
 * export to a fresh account, the demo's case. A count that cannot be read means looking up as usual.
 */
import pMap from 'p-map';
import type { ActiveCampaignReader } from '../activecampaign/api.ts';
import { getAccountBudget } from '../activecampaign/rate-budget.ts';
import { STANDARD_FIELDS } from '../contact-fields.ts';
import type { ConnectionConfig, ExportConfig } from '../config/model.ts';
import type { EventSink } from '../events.ts';
import type { ContactFields, ExportPlan } from '../model.ts';
import { subscribeAccountContacts, type AccountContact } from '../plan.ts';

/**
 * Newcomers looked up per plan by default: 1,000 lookups take about 3 minutes at ActiveCampaign's 5 requests a
 * second (developers.activecampaign.com/reference/rate-limits), about what reading a 20,000-member list costs.
 */
export const DEFAULT_LOOKUP_LIMIT = 1_000;

/** Lookups in flight at most: they wait for the account's rate budget anyway; more would only queue there. */
const MAX_LOOKUPS_IN_FLIGHT = 8;

export interface LookUpInput {
  exp: ExportConfig;
  connection: ConnectionConfig;
  api: ActiveCampaignReader;
  plan: ExportPlan;
  /** Members of the list as read (every status): all of them are contacts of the account. */
  listMembers: number;
  /** Custom field ids by mapped personalization tag (observe stage). */
  fieldIds: ReadonlyMap<string, string>;
  sink: EventSink;
  signal?: AbortSignal;
}

export async function lookUpNewcomers(input: LookUpInput): Promise<ExportPlan> {
  const { exp, api, plan, sink, signal } = input;
  // Counted first: a first export of a million contacts is a million creates, and none of them is looked up.
  const count = plan.counts.create;
  if (count === 0) return plan;
  const limit = exp.lookupLimit ?? DEFAULT_LOOKUP_LIMIT;
  if (count > limit) return { ...plan, notLookedUp: { contacts: count, lookupLimit: limit } };
  const accountContacts = await api.countContacts(signal);
  if (accountContacts !== undefined && accountContacts <= input.listMembers) return plan;
  const newcomers = plan.changes.filter((c) => c.action === 'create');

  const perstagByFieldId = new Map([...input.fieldIds].map(([perstag, id]) => [id, perstag]));
  const rps = getAccountBudget(input.connection.hostname).currentLimits.requestsPerSecond;
  const found = new Map<string, AccountContact>();
  let done = 0;
  await pMap(
    newcomers,
    async (c) => {
      const contact = await api.lookUpContact(c.email, signal);
      if (contact !== undefined) {
        const fields: ContactFields = { email: contact.email };
        for (const f of STANDARD_FIELDS) if (contact[f.api] !== '') fields[f.name] = contact[f.api];
        const custom: Record<string, string> = {};
        for (const [fieldId, value] of Object.entries(contact.fieldValues)) {
          const perstag = perstagByFieldId.get(fieldId);
          if (perstag !== undefined && value !== '') custom[perstag] = value;
        }
        fields.fields = custom;
        found.set(c.key, { id: contact.id, fields });
      }
      done++;
      if (done % 25 === 0 || done === newcomers.length) sink({ type: 'plan:progress', export: exp.name, phase: 'lookup', done, total: newcomers.length });
    },
    { concurrency: Math.max(1, Math.min(MAX_LOOKUPS_IN_FLIGHT, Math.ceil(rps))), ...(signal !== undefined ? { signal } : {}) },
  );
  return found.size === 0 ? plan : subscribeAccountContacts(plan, found);
}
