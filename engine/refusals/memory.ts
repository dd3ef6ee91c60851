/**
 * The memory of refusals (issue 15 item 8): contacts ActiveCampaign refused (a bad-address failureReason, a
 * failure entry of a bulk batch) or dropped without a word (its exclusion list: "not on the list after import"),
 * kept per export so the next plan shows them as skipped, with the reason and the date, instead of planning
 * them as new on every run (and `plan --detailed-exitcode` can reach 0). A changed row, or `--retry-rejected`,
 * sends them again. Pure: the file is read and written by file.ts.
 *
 * Emails are personal data, so an entry keeps only what the rule needs: the key (lower-cased email), a hash of
 * the values sent, the reason, the date and the kind.
 */
import { createHash } from 'node:crypto';
import type { Change, ContactFields, SkipReasonCode } from '../model.ts';

export type RefusalKind = 'refused' | 'not-on-list-after-import';

export interface RememberedRefusal {
  kind: RefusalKind;
  /** ActiveCampaign's reason, or what acsync saw ("not on the list after import"). */
  reason: string;
  /** ISO time of the apply that saw it. */
  at: string;
  /** rowHash() of what was sent: a row whose values changed is sent again. */
  rowHash: string;
}

/** Remembered refusals by key (lower-cased email). */
export type RefusalMemory = ReadonlyMap<string, RememberedRefusal>;

/** A refusal the executor saw for one change, before it is dated and hashed. */
export interface SeenRefusal {
  change: Change;
  kind: RefusalKind;
  reason: string;
}

/** The skip reason code of a remembered refusal in a plan. */
export const REFUSAL_SKIP_CODE: Record<RefusalKind, SkipReasonCode> = {
  refused: 'refused-by-activecampaign',
  'not-on-list-after-import': 'not-on-list-after-import',
};

const REMEMBERED_CODES: ReadonlySet<string> = new Set(Object.values(REFUSAL_SKIP_CODE));

/** The actions whose refusal is remembered: those that bring a contact onto the list (a member is never re-planned as new). */
const NEWCOMER_ACTIONS: ReadonlySet<string> = new Set(['create', 'subscribe']);

/**
 * A short hash of the values a contact is sent with: the email as given and every non-empty mapped value.
 * The planner hashes the desired row, apply the change's `after`; both hold the same values.
 */
export function rowHash(c: ContactFields): string {
  const parts: string[] = [c.email.trim(), c.firstName ?? '', c.lastName ?? '', c.phone ?? ''];
  if (c.fields !== undefined) {
    for (const tag of Object.keys(c.fields).sort()) {
      const v = c.fields[tag];
      if (v !== undefined && v !== '') parts.push(`${tag}=${v}`);
    }
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

/** "refused by ActiveCampaign on 2026-12-03: …" / "not on the list after import on 2026-12-03; …": what a plan shows. */
export function refusalNote(r: RememberedRefusal): string {
  const day = r.at.slice(0, 10);
  // A changed row is sent again by itself; the flag is the way to send an unchanged one.
  const again = '; --retry-rejected sends it again';
  if (r.kind === 'refused') return `refused by ActiveCampaign on ${day}: ${r.reason}${again}`;
  return `not on the list after import on ${day}; ActiveCampaign may hold it on its exclusion list${again}`;
}

/** True for a plan's skip of a remembered refusal. */
export function isRememberedSkip(change: Change): boolean {
  return change.action === 'skip' && change.reasonCode !== undefined && REMEMBERED_CODES.has(change.reasonCode);
}

/**
 * The memory after an apply: an entry the plan still skipped stays; a contact this apply refused again (or for
 * the first time) gets a new entry; a remembered contact sent again and applied, now on the list, or gone from the
 * segment is forgotten. A remembered contact sent again whose write failed for another reason (the network, a
 * lost batch, a stop) keeps its entry.
 */
export function nextMemory(
  previous: RefusalMemory,
  plan: { changes: readonly Change[] },
  outcome: { refusals: readonly SeenRefusal[]; applied: ReadonlySet<string> },
  at: string,
): Map<string, RememberedRefusal> {
  const next = new Map<string, RememberedRefusal>();
  const sentAgain = new Set<string>();
  for (const c of plan.changes) {
    const kept = previous.get(c.key);
    if (kept === undefined) continue;
    if (isRememberedSkip(c)) next.set(c.key, kept);
    else if (NEWCOMER_ACTIONS.has(c.action) && !outcome.applied.has(c.key)) sentAgain.add(c.key);
  }
  for (const key of sentAgain) next.set(key, previous.get(key)!);
  for (const r of outcome.refusals) {
    if (!NEWCOMER_ACTIONS.has(r.change.action)) continue;
    next.set(r.change.key, { kind: r.kind, reason: r.reason, at, rowHash: rowHash(r.change.after ?? r.change) });
  }
  return next;
}

/** True when two memories hold the same entries. */
export function sameMemory(a: RefusalMemory, b: RefusalMemory): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.kind !== v.kind || w.reason !== v.reason || w.at !== v.at || w.rowHash !== v.rowHash) return false;
  }
  return true;
}

/** A fingerprint of the entries a plan relied on (its remembered skips): a saved plan is stale when it changes. */
export function memoryFingerprint(memory: RefusalMemory, plan: { changes: readonly Change[] }): string {
  const used: string[] = [];
  for (const c of plan.changes) {
    const r = isRememberedSkip(c) ? memory.get(c.key) : undefined;
    if (r !== undefined) used.push(`${c.key}\t${r.kind}\t${r.at}\t${r.rowHash}`);
  }
  return createHash('sha256').update(used.sort().join('\n')).digest('hex');
}
