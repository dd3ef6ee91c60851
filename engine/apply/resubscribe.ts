/** Re-subscribing one contact, the one write bulk import cannot do, after checking consent afresh. */
import { unsubscribedByAcsync } from '../consent.ts';
import type { Change } from '../model.ts';
import type { ApplyInput } from './executor.ts';

/** Throws, with the reason, when the contact may not (or could not) be re-subscribed. */
export async function resubscribe(input: ApplyInput, change: Change): Promise<void> {
  if (change.contactId === undefined) throw new Error('re-subscribe needs the contact id (internal error)');
  // Consent is checked again here, from what ActiveCampaign says now, not from the plan (which may be a saved file,
  // or hours old) or the snapshot: the person may have re-subscribed and unsubscribed themselves in between.
  const now = await input.api.readMembership(change.contactId, input.listId, input.signal);
  const tag = input.unsubscribedTagId === undefined ? undefined : now.contactTags.find((ct) => ct.tagId === input.unsubscribedTagId);
  if (now.listStatus === undefined) throw new Error('not re-subscribed: the contact is no longer on the list in ActiveCampaign');
  if (now.listStatus !== 2) throw new Error(`not re-subscribed: the contact's status on the list is now ${now.listStatus}, not unsubscribed`);
  if (!unsubscribedByAcsync({ listStatus: now.listStatus, dates: now.dates, tag })) {
    throw new Error(
      "not re-subscribed: ActiveCampaign now shows a subscribe or unsubscribe after acsync's own unsubscribe (or cannot show there was none); acsync treats this as the person's own opt-out",
    );
  }
  // Detach acsync's "unsubscribed" tag FIRST: if we crash between the two calls, the contact stays unsubscribed
  // without the tag, and the next plan then treats them as someone who opted out (safe), never the other way round.
  await input.api.removeContactTag(tag!.id);
  await input.api.setListStatus(change.contactId, input.listId, 1);
}
