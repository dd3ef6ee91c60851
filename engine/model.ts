import type { SegmentOrigin } from './segment/source.ts';
/**
 * The vocabulary shared by the segment reader, the planner, the executor and every reporter.
 * The same words (create, update, subscribe, …) appear in the UI, the JSON output and the tests.
 */
import type { ErrorReport } from './errors.ts';

/** Standard contact fields acsync maps. */
export interface ContactFields {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  /** Custom fields by personalization tag (e.g. LOYALTY_TIER). */
  fields?: Record<string, string>;
}

/** A profile from the segment file, normalised and ready to compare. */
export interface DesiredContact extends ContactFields {
  /** Trimmed, lower-cased email: the identity of a contact (ActiveCampaign matches emails case-insensitively). */
  key: string;
  /** 1-based line number in the segment file where the record starts (CSV, NDJSON, and the element of a JSON array). */
  row: number;
}

/** Why a segment row is not sent. */
export type SkipReasonCode =
  | 'missing-email'
  | 'invalid-email'
  | 'duplicate-email'
  | 'invalid-value'
  | 'unsubscribed-in-activecampaign'
  | 'bounced'
  | 'not-managed'
  /** Refused by ActiveCampaign in an earlier apply, row unchanged since (engine/refusals/memory.ts). */
  | 'refused-by-activecampaign'
  /** Skipped by ActiveCampaign without an error in an earlier apply (its exclusion list), row unchanged since. */
  | 'not-on-list-after-import';

/** ActiveCampaign contactList status: 0 unconfirmed, 1 active, 2 unsubscribed, 3 bounced. */
export type ListStatus = 0 | 1 | 2 | 3;

/** A member of the ActiveCampaign list as read from the API. */
export interface ObservedContact extends ContactFields {
  id: string;
  key: string;
  listStatus: ListStatus;
  /** acsync subscribed this contact to this list (it carries acsync's managed tag for the list). */
  managed: boolean;
  /**
   * acsync (not the person) made this contact's latest unsubscribe from this list: its tag is there and the
   * membership's dates show nothing happened after it (engine/consent.ts). Only then may acsync re-subscribe.
   */
  unsubscribedByAcsync: boolean;
  /** Set when the contact carries acsync's unsubscribed tag but the dates do not show acsync's unsubscribe was the last. */
  unsubscribedSinceAcsync?: boolean;
  /** ISO timestamp of ActiveCampaign's last update (udate), when known. */
  updatedAt?: string;
}

export type ChangeAction = 'create' | 'update' | 'subscribe' | 'resubscribe' | 'unsubscribe' | 'noop' | 'skip';

/** The actions that write to ActiveCampaign, in the order they are applied and shown. */
export const WRITE_ACTIONS = ['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe'] as const satisfies readonly ChangeAction[];

/** Every action, writes first. */
export const CHANGE_ACTIONS = [...WRITE_ACTIONS, 'noop', 'skip'] as const satisfies readonly ChangeAction[];

/** One field's before → after. `before` undefined means ActiveCampaign has no value. */
export interface FieldChange {
  /** firstName, lastName, phone, or a custom field's personalization tag. */
  field: string;
  before?: string;
  after: string;
}

export interface Change {
  action: ChangeAction;
  /** The email as given in the segment (or as ActiveCampaign has it, for contacts only on the list). */
  email: string;
  key: string;
  contactId?: string;
  /** Segment row, for contacts that come from the segment. */
  row?: number;
  /** Field-level differences (update, and subscribe/resubscribe of an existing contact with new values). */
  fieldChanges?: FieldChange[];
  /** What will be sent (create, update, subscribe, resubscribe). */
  after?: ContactFields;
  /** Machine-readable reason for skip (and for the non-obvious actions). */
  reasonCode?: SkipReasonCode;
  /** Human reason, e.g. "unsubscribed in ActiveCampaign", "invalid email", "duplicate in segment (first at row 3)". */
  reason?: string;
}

export type ChangeCounts = Record<ChangeAction, number>;

export interface ExportPlan {
  export: string;
  connection: string;
  listId: string;
  /** Every change except noop (noops are only counted: a 1M-contact list with no changes stays small). */
  changes: Change[];
  counts: ChangeCounts;
  /**
   * Contacts acsync subscribed that left the segment and stay on the list because of `onLeave: keep` (counted as
   * unchanged): the plan says so instead of "the list matches the segment".
   */
  leftKept?: number;
  /**
   * Newcomers (segment contacts not on the list) that were not looked up in the account because there were more
   * than the export's lookupLimit (0: lookups off). They are planned as `create`; the bulk import subscribes any the
   * account already has and overwrites its mapped fields, which this plan then cannot show.
   */
  notLookedUp?: { contacts: number; lookupLimit: number };
  /**
   * With `excludeAutomations: true`: the re-subscribes, which may start the list's automations all the same. Only
   * POST /contactLists re-subscribes someone, and it takes no exclude_automations (docs/activecampaign-api.md).
   */
  mayStartAutomations?: number;
  /**
   * Personalization tags of the custom fields marked sensitive in the mapping: every output shows `(sensitive)` for
   * their values (engine/sensitive.ts); only the request to ActiveCampaign carries them.
   */
  sensitive?: string[];
  /** What will stop `apply` for this export (a safety guard) and how to pass it, known at plan time. */
  blockedBy?: string[];
  /** Where the segment came from (engine, files, query hash, rows read, read time). */
  source?: SegmentOrigin;
}

export function emptyCounts(): ChangeCounts {
  return Object.fromEntries(CHANGE_ACTIONS.map((a) => [a, 0])) as ChangeCounts;
}

/** True when applying the plan would change something in ActiveCampaign. */
export function hasChanges(plan: ExportPlan): boolean {
  return WRITE_ACTIONS.some((a) => plan.counts[a] > 0);
}

/** The outcome of one export in a plan or apply run. */
export interface ExportRunResult {
  export: string;
  connection: string;
  listId: string;
  /** The plan (absent when planning itself failed). */
  plan?: ExportPlan;
  /** Only for apply: changes applied and failed. */
  applied?: number;
  failed?: number;
  /** Only for apply stopped by SIGINT/SIGTERM: changes never sent (neither applied nor failed); a rerun sends them. */
  notSent?: number;
  /**
   * Only for apply: bulk batches sent again because ActiveCampaign ended them failed or interrupted, or they
   * outlasted their wait (never while ActiveCampaign still holds them); absent when none.
   */
  batchesResent?: number;
  /** Contacts whose change failed, with why (apply only). */
  failures?: Array<{ email: string; action: ChangeAction; reason: string }>;
  /** The error that stopped this export: the user's (bad segment, 403, missing list...), the remote's, or ours. */
  error?: ErrorReport;
  durationMs: number;
}

export interface RunResult {
  mode: 'plan' | 'apply';
  /** True when every export planned (and, for apply, every change was applied). */
  ok: boolean;
  /** True when some export has pending changes (plan) — drives `--detailed-exitcode`. */
  changesPending: boolean;
  exports: ExportRunResult[];
}
