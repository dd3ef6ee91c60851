/**
 * Whose unsubscribe was the last one. acsync may re-subscribe a contact only when the list membership's latest
 * unsubscribe was acsync's own: its "unsubscribed" tag (engine/tags.ts) says that acsync once unsubscribed the
 * contact, not that nobody re-subscribed and unsubscribed them since (a form, then their own unsubscribe link).
 * So the tag only counts when ActiveCampaign's own dates show nothing happened to the membership after it:
 *
 *   - the membership's sdate (last subscribe) is strictly before the tag's cdate: a subscribe at or after the
 *     moment acsync tagged the contact may be the person's own re-subscribe (dates have one-second resolution,
 *     so the same second counts as "after");
 *   - the membership's udate (last status change) is no later than the tag's cdate plus TAG_AFTER_UNSUBSCRIBE_S:
 *     acsync puts the tag on right after it unsubscribes (one by one) or in the same bulk import (where
 *     ActiveCampaign may apply the tag a moment before the unsubscribe). A later status change is someone else's.
 *
 * Whatever is missing or unreadable (no tag date, no membership dates, a "0000-00-00" date, dates in forms that
 * cannot be compared) proves nothing, and the contact is treated as someone who opted out. This errs on the side
 * of consent under every reading of dates the ActiveCampaign reference leaves open (docs/activecampaign-api.md):
 * where ActiveCampaign moves sdate on any status change, acsync simply never re-subscribes.
 */
import type { AcContactTag, AcMembershipDates } from './activecampaign/api.ts';

/**
 * How long after the tag's cdate the membership's last status change may be and still be acsync's own: a bulk
 * import carries the unsubscribe and the tag in one contact, and ActiveCampaign does not say in which order it
 * applies them. A person cannot re-subscribe and unsubscribe again inside this window without also moving sdate
 * past the tag (the first rule).
 */
export const TAG_AFTER_UNSUBSCRIBE_S = 60;

export interface UnsubscribeEvidence {
  listStatus: 0 | 1 | 2 | 3;
  dates: AcMembershipDates | undefined;
  /** acsync's "unsubscribed" tag on the contact, if it carries it. */
  tag: AcContactTag | undefined;
}

/** True only when the evidence shows the contact's latest unsubscribe from the list was acsync's. */
export function unsubscribedByAcsync(e: UnsubscribeEvidence): boolean {
  if (e.listStatus !== 2 || e.tag === undefined || e.dates === undefined) return false;
  const tagged = acTime(e.tag.createdAt);
  const subscribed = acTime(e.dates.subscribedAt);
  const changed = acTime(e.dates.changedAt);
  if (tagged === undefined || subscribed === undefined || changed === undefined) return false;
  if (!comparable(tagged, subscribed) || !comparable(tagged, changed)) return false;
  return subscribed.s < tagged.s && changed.s <= tagged.s + TAG_AFTER_UNSUBSCRIBE_S;
}

interface AcTime {
  /** Seconds: since the epoch when zoned, since a naive epoch otherwise. */
  s: number;
  /** The text had an offset or Z (ActiveCampaign's v3 form: 2018-09-12T16:53:50-05:00). */
  zoned: boolean;
}

/** Parses ActiveCampaign's date forms to whole seconds; undefined for empty, zero ("0000-00-00 …") or other text. */
export function acTime(text: string | undefined): AcTime | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec, zone] = m;
  if (Number(y) === 0) return undefined;
  const naive = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) / 1000;
  if (!Number.isFinite(naive)) return undefined;
  if (zone === undefined) return { s: naive, zoned: false };
  if (zone.toUpperCase() === 'Z') return { s: naive, zoned: true };
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  return { s: naive - offset, zoned: true };
}

/** A date with an offset and one without cannot be ordered: the account's zone is not known. */
function comparable(a: AcTime, b: AcTime): boolean {
  return a.zoned === b.zoned;
}
