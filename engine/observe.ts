/**
 * Observed state: turns ActiveCampaign's list members into the planner's ObservedContact, reading acsync's own
 * knowledge (who it subscribed, who it unsubscribed) back from the tags it set, so CI runs need no local state.
 */
import type { AcContactTag, AcListMember } from './activecampaign/api.ts';
import { unsubscribedByAcsync as acsyncUnsubscribedLast } from './consent.ts';
import { STANDARD_FIELDS } from './contact-fields.ts';
import type { ObservedContact } from './model.ts';

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
  const fields: Record<string, string> = {};
  for (const [fieldId, value] of Object.entries(member.fieldValues)) {
    const perstag = ctx.perstagByFieldId.get(fieldId);
    if (perstag !== undefined && value !== '') fields[perstag] = value;
  }
  const observed: ObservedContact = {
    id: member.id,
    key: member.email.trim().toLowerCase(),
    email: member.email,
    listStatus: member.listStatus,
    managed,
    unsubscribedByAcsync,
    fields,
  };
  if (member.listStatus === 2 && unsubscribedTag !== undefined && !unsubscribedByAcsync) observed.unsubscribedSinceAcsync = true;
  for (const f of STANDARD_FIELDS) if (member[f.api] !== '') observed[f.name] = member[f.api];
  if (member.updatedAt !== undefined) observed.updatedAt = member.updatedAt;
  return observed;
}
