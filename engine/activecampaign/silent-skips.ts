/**
 * Contacts a bulk import skipped without a word (issue 15 item 8): ActiveCampaign's importer passes over an
 * address on the account's exclusion list, and such a contact is in neither `success` nor `failure` of the
 * batch. `success` lists the ids of contacts the batch created, so a completed batch that created fewer than it
 * was sent to create skipped some: those are looked up by email, one request each, and only then.
 */
import type { ActiveCampaignApi } from './api.ts';

export const SILENT_SKIP_REASON =
  "not on the list after import: ActiveCampaign skipped this contact without an error (is the address on the account's exclusion list? Contacts → Settings → Exclusions)";

/** Of the emails a completed batch was sent to create (failures excluded), those ActiveCampaign does not have. */
export async function findSilentSkips(api: ActiveCampaignApi, creates: readonly string[], createdIds: number, signal?: AbortSignal): Promise<Set<string>> {
  const skipped = new Set<string>();
  if (createdIds >= creates.length) return skipped;
  for (const email of creates) {
    if ((await api.findContactByEmail(email, signal)) === undefined) skipped.add(email);
  }
  return skipped;
}
