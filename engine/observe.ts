/**
 * Observed state: turns ActiveCampaign's list members into the planner's ObservedContact, reading acsync's own
 * knowledge (who it subscribed, who it unsubscribed) back from the tags it set, so CI runs need no local state.
 */
import type { AcContactTag, AcListMember } from './activecampaign/api.ts';
import { unsubscribedByAcsync as acsyncUnsubscribedLast } from './consent.ts';
import type { ObservedContact } from './model.ts';
import { ValuePools } from './plan.ts';

export interface ObserveContext {
  /** Personalization tag by custom field id, for the mapped fields only. */
  perstagByFieldId: ReadonlyMap<string, string>;
  /** Id of acsync's managed tag for this list, when the tag exists in the account. */
  managedTagId?: string;
  /** Id of acsync's unsubscribed tag for this list, when it exists. */
  unsubscribedTagId?: string;
  /**
   * Filled with contactTag ids of the unsubscribed tag by contact id, on any member: the executor detaches them
   * on re-subscribe, and detaches a stale one (left on a contact someone re-subscribed since) before acsync
   * unsubscribes that contact again, so that the tag's date is that of acsync's latest unsubscribe.
   */
  unsubscribedTagLinks?: Map<string, string>;
}

export function toObserved(member: AcListMember, ctx: ObserveContext): ObservedContact {
  let managed = false;
  let unsubscribedTag: AcContactTag | undefined;
  for (const ct of member.contactTags) {
    if (ct.tagId === ctx.managedTagId) managed = true;
    else if (ct.tagId === ctx.unsubscribedTagId) {
      unsubscribedTag = ct;
      ctx.unsubscribedTagLinks?.set(member.id, ct.id);
    }
  }
  // The tag alone says acsync unsubscribed them once, not that nobody re-subscribed and unsubscribed them since.
  const unsubscribedByAcsync = acsyncUnsubscribedLast({ listStatus: member.listStatus, dates: member.membershipDates, tag: unsubscribedTag });
  const pools = poolsOf(ctx);
  const fields: Record<string, string> = {};
  for (const [fieldId, value] of Object.entries(member.fieldValues)) {
    const perstag = ctx.perstagByFieldId.get(fieldId);
    if (perstag !== undefined && value !== '') fields[perstag] = pools.field(perstag).share(value);
  }
  const observed = new Observed(member, fields, managed, unsubscribedByAcsync, pools);
  if (member.listStatus === 2 && unsubscribedTag !== undefined && !unsubscribedByAcsync) observed.unsubscribedSinceAcsync = true;
  return observed;
}

/**
 * Equal values of one list read share one string (tiers, cities and first names repeat across a million
 * members), for as long as its context lives.
 */
const poolsByContext = new WeakMap<ObserveContext, ValuePools>();

function poolsOf(ctx: ObserveContext): ValuePools {
  let pools = poolsByContext.get(ctx);
  if (pools === undefined) poolsByContext.set(ctx, (pools = new ValuePools()));
  return pools;
}

/**
 * One member as the planner holds it, a million times over for a big list: built by a constructor so V8 keeps
 * every property inside the object (no separate property array), the email the same string as the key when the
 * list has it in lower case, and no udate (nothing after the read uses it).
 */
class Observed implements ObservedContact {
  id: string;
  key: string;
  email: string;
  listStatus: ObservedContact['listStatus'];
  managed: boolean;
  unsubscribedByAcsync: boolean;
  fields: Record<string, string>;
  declare firstName?: string;
  declare lastName?: string;
  declare phone?: string;
  declare unsubscribedSinceAcsync?: boolean;

  constructor(member: AcListMember, fields: Record<string, string>, managed: boolean, unsubscribedByAcsync: boolean, pools: ValuePools) {
    this.id = member.id;
    const key = member.email.trim().toLowerCase();
    this.key = key;
    this.email = key === member.email ? key : member.email;
    this.listStatus = member.listStatus;
    this.managed = managed;
    this.unsubscribedByAcsync = unsubscribedByAcsync;
    this.fields = fields;
    // Unrolled over STANDARD_FIELDS (firstName, lastName, phone): an empty value is no value.
    if (member.firstName !== '') this.firstName = pools.firstName.share(member.firstName);
    if (member.lastName !== '') this.lastName = pools.lastName.share(member.lastName);
    if (member.phone !== '') this.phone = pools.phone.share(member.phone);
  }
}
