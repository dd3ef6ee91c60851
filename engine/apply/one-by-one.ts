/**
 * The one-by-one path: a handful of changes through the contacts API (contact/sync, contactLists, contactTags)
 * instead of a bulk import, which for a few contacts is done before a bulk batch would have been processed.
 */
import type { Change } from '../model.ts';
import type { ApplyInput } from './executor.ts';
import { errorReason } from './failure-reason.ts';
import { toSyncContact, type Entry } from './payloads.ts';
import { RemoteError } from '../activecampaign/errors.ts';
import type { Refusal } from './batches.ts';

/**
 * A 422 (Unprocessable Entity) to contact/sync is ActiveCampaign refusing this contact's values, such as an address
 * it will not store: a refusal to remember (engine/refusals/). Any other error may pass on a rerun.
 */
function refusalOf(err: unknown): Refusal | undefined {
  if (!(err instanceof RemoteError) || err.status !== 422 || !err.path.endsWith('/contact/sync')) return undefined;
  const said = errorsSaid(err.excerpt ?? '').slice(0, 200);
  return { kind: 'refused', reason: `it answered 422 to contact/sync${said === '' ? '' : `: ${said}`}` };
}

/**
 * The `detail` (else the `title`) of each of a JSON:API error body's `errors`, or the body as it is. Read with a
 * pattern, not JSON.parse: the excerpt a RemoteError keeps may be cut short.
 */
function errorsSaid(body: string): string {
  const pick = (key: string): string[] => [...body.matchAll(new RegExp(`"${key}":"((?:[^"\\\\]|\\\\.)*)"`, 'g'))].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  const said = pick('detail');
  return (said.length > 0 ? said : pick('title')).join('; ') || body;
}

/** The small-change path: each contact through the contacts API. Returns how many were not attempted (stopped). */
export async function applyOneByOne(
  input: ApplyInput,
  entries: Entry[],
  ok: (c: Change) => void,
  fail: (c: Change, reason: string, refusal?: Refusal) => void,
): Promise<number> {
  const { api, listId, signal } = input;
  // `signal` only stops new contacts from starting: a contact already started is finished (its two or three
  // requests), as a bulk batch already sent is awaited, so no contact is left half written.
  const tagIds = new Map<string, string>(input.knownTagIds ?? []);
  const tagId = async (name: string): Promise<string> => {
    let id = tagIds.get(name);
    if (id === undefined) {
      id = (await api.ensureTag(name)).id;
      tagIds.set(name, id);
    }
    return id;
  };
  let notAttempted = 0;
  for (const [i, { change, contact }] of entries.entries()) {
    if (signal?.aborted) {
      notAttempted++;
      continue;
    }
    const id = `${input.export}#c${i + 1}`;
    input.sink({ type: 'batch:sent', export: input.export, kind: 'contact_list', id, contacts: 1 });
    try {
      if (change.action === 'unsubscribe') {
        if (change.contactId === undefined) throw new Error('unsubscribe needs the contact id (internal error)');
        // Unsubscribe first, then tag: a crash between the two leaves an unsubscribed contact without acsync's tag,
        // which acsync then treats as the person's own opt-out and never re-subscribes (the safe side).
        await api.setListStatus(change.contactId, listId, 2);
        for (const tag of contact.tags ?? []) await api.addContactTag(change.contactId, await tagId(tag));
      } else {
        const synced = await api.syncContact(toSyncContact(change, input.fieldIds));
        if (change.action === 'create' || change.action === 'subscribe') {
          // The contact was not on the list when planned, so this cannot undo their own unsubscribe from it;
          // resubscribes (the one case that could) never come here.
          await api.setListStatus(synced.id, listId, 1);
        }
        for (const tag of contact.tags ?? []) await api.addContactTag(synced.id, await tagId(tag));
      }
      ok(change);
      input.sink({ type: 'batch:done', export: input.export, kind: 'contact_list', id, contacts: 1, succeeded: 1, failed: 0 });
    } catch (err) {
      fail(change, errorReason(err), refusalOf(err));
      input.sink({ type: 'batch:done', export: input.export, kind: 'contact_list', id, contacts: 1, succeeded: 0, failed: 1 });
    }
  }
  return notAttempted;
}
