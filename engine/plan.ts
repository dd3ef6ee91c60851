/**
 * The pure planner: from what the segment wants (desired contacts) and what the ActiveCampaign list has (observed
 * contacts), decide per contact what to do and why. No clock, environment, network or file: a plan can be tested
 * with two arrays. The rules protect people: someone who unsubscribed is never re-subscribed, and only contacts
 * acsync subscribed are ever unsubscribed by it.
 */
import type { OnLeave } from './config/model.ts';
import {
  emptyCounts,
  type Change,
  type ChangeCounts,
  type ContactFields,
  type DesiredContact,
  type ExportPlan,
  type FieldChange,
  type ObservedContact,
} from './model.ts';
import type { MappingConfig } from './config/model.ts';
import { KeyIndex } from './key-index.ts';
import { ObservedList } from './observed-list.ts';
import { isSkippedRow, normalizeProfile, repeatsMember, rowKey, type SkippedRow } from './segment/normalize.ts';
import { printRow } from './segment/row-print.ts';
import type { TextRows } from './segment/text-rows.ts';
import { sameAcValue } from './activecampaign/normalise.ts';
import { REFUSAL_SKIP_CODE, refusalNote, rowHash, type RefusalMemory } from './refusals/memory.ts';

/** A contact that exists in the account but is not on the list. */
export interface AccountContact {
  id: string;
  fields: ContactFields;
}

export interface PlanOptions {
  export: string;
  connection: string;
  listId: string;
  onLeave: OnLeave;
  /**
   * Contacts known to exist in the account but not on the list, by key (lower-cased email): such a contact is
   * subscribed instead of created. Without it every newcomer is planned as `create` (the bulk import upserts by
   * email either way, so only the label differs).
   */
  accountContacts?: { get(key: string): AccountContact | undefined };
  /**
   * Contacts ActiveCampaign refused or skipped in an earlier apply (engine/refusals/memory.ts): one whose row is
   * unchanged is skipped with that reason and date instead of planned as new again.
   */
  refusals?: RefusalMemory;
}

export const REASONS = {
  unsubscribed: 'unsubscribed in ActiveCampaign; acsync never re-subscribes someone who opted out',
  unsubscribedSinceAcsync:
    'unsubscribed in ActiveCampaign: acsync unsubscribed them once, but the list shows a subscribe or unsubscribe since (or cannot show there was none), so this is treated as their own opt-out',
  bounced: 'bounced in ActiveCampaign; sending to this address again would hurt deliverability',
  notManaged: 'added outside acsync; left on the list',
  left: 'left the segment',
  subscribe: 'already a contact in ActiveCampaign, not on this list',
  resubscribe: 'unsubscribed by acsync earlier and back in the segment',
} as const;

/**
 * Builds a plan one segment row at a time, so a million-profile segment never has to be in memory at once: the
 * planner keeps the changes and, per list member, the row that claimed it, but no noop contact. Rows must be at
 * most 2^31 (an Int32Array holds them).
 */
export class Planner {
  readonly #opts: PlanOptions;
  readonly #list: ObservedList;
  /** Keys that segment rows claimed and the list does not have → the change planned for the first such row. */
  readonly #newcomers = new KeyIndex((change) => this.#changes[change]!.key);
  /** Per list member: the segment row that claimed it, 0 while unclaimed, -1 for a repeat (never claimed). */
  readonly #claimedBy: Int32Array;
  readonly #changes: Change[] = [];
  readonly #counts: ChangeCounts = emptyCounts();
  readonly #pools = new ValuePools();
  /** Position in the list after the member the last row matched: where the next row is looked for first. */
  #next = 0;
  #repeatedRows = 0;
  #finished = false;

  constructor(observed: ObservedList | Iterable<ObservedContact>, opts: PlanOptions) {
    this.#opts = opts;
    this.#list = ObservedList.of(observed);
    this.#claimedBy = new Int32Array(this.#list.size);
    for (let i = 0; i < this.#list.size; i++) if (this.#list.isRepeat(i)) this.#claimedBy[i] = -1;
  }

  /** Rows addRow counted unchanged without normalising them (they are in `noop`). */
  get repeatedRows(): number {
    return this.#repeatedRows;
  }

  /** Active and unconfirmed members of the list before the plan (for `checkLimits`). */
  get observedActive(): number {
    return this.#list.active;
  }

  /**
   * Adds one segment row as read: a row that only repeats what its list member has (normalize.ts, repeatsMember)
   * is counted unchanged at once; any other is normalised and added. Returns whether the row has a valid email
   * (duplicates included), for the segment's size.
   */
  addRow(values: Readonly<Record<string, string | undefined>>, row: number, mapping: MappingConfig, problem?: string): boolean {
    // An empty list (a first export) has no member to repeat: no key to work out twice.
    if (problem === undefined && !this.#finished && this.#list.size > 0) {
      const at = this.#memberFor(rowKey(values, mapping));
      if (at !== undefined && this.#claimedBy[at] === 0 && this.#list.isRepeatable(at)) {
        const o = this.#list.at(at)!;
        if ((o.listStatus === 0 || o.listStatus === 1) && repeatsMember(values, mapping, o)) {
          this.#repeat(at, row);
          return true;
        }
      }
    }
    const item = normalizeProfile(values, mapping, row, problem);
    this.add(item);
    return !isSkippedRow(item);
  }

  /**
   * Adds the rows of a batch still in bytes (a text source's, text-rows.ts): a row with the print of its list
   * member's values (row-print.ts) is counted unchanged without decoding it; any other is decoded and added as
   * addRow adds it. Returns how many rows have a valid email (duplicates included), as addRow counts them.
   */
  addTextRows(rows: TextRows, mapping: MappingConfig): number {
    const prints = !this.#finished && this.#list.size > 0 && rows.verbatim ? this.#list.printsFor(mapping, rows.columns) : undefined;
    const { bytes, view, starts, ends } = rows;
    const size = this.#list.size;
    const claimedBy = this.#claimedBy;
    let valid = 0;
    for (let i = 0; i < rows.length; i++) {
      if (prints !== undefined) {
        const start = starts[i]!;
        const emailEnd = printRow(view, start, ends[i]!);
        // The member after the last one matched first, as #memberFor does (a repeat on the list has no print).
        let at: number | undefined = this.#next;
        if (!(at < size && prints.matches(at))) {
          at = this.#list.positionOfAsciiLower(bytes, start, emailEnd);
          if (at !== undefined && !prints.matches(at)) at = undefined;
        }
        if (at !== undefined && claimedBy[at] === 0) {
          const status = this.#list.at(at)!.listStatus;
          if (status === 0 || status === 1) {
            this.#repeat(at, rows.line(i));
            valid++;
            continue;
          }
        }
      }
      const r = rows.record(i);
      if (this.addRow(r.values, r.line, mapping, r.problem)) valid++;
    }
    return valid;
  }

  /** Row `row` repeats member `at`: unchanged, and the member is claimed. */
  #repeat(at: number, row: number): void {
    this.#claimedBy[at] = row;
    this.#next = at + 1;
    this.#counts.noop++;
    this.#repeatedRows++;
  }

  /**
   * The position of the (first) member with this key. The list is read in id order and ids follow the order of
   * the import that created the contacts, so the row after a member is usually the next member: that one is
   * tried first, which skips most hash lookups of a re-export (a guess that misses costs one string comparison).
   * A later duplicate on the list (-1) is never the answer.
   */
  #memberFor(key: string | undefined): number | undefined {
    if (key === undefined) return undefined;
    const next = this.#next;
    return this.#list.at(next)?.key === key && this.#claimedBy[next] !== -1 ? next : this.#list.positionOf(key);
  }

  /** Adds one segment row: a desired contact, or a row already skipped by normalisation. Rows come in segment order. */
  add(item: DesiredContact | SkippedRow): void {
    if (this.#finished) throw new Error('Planner.add() after finish()');
    if (isSkippedRow(item)) {
      this.#record({ action: 'skip', email: item.email, key: item.key, row: item.row, reasonCode: item.reasonCode, reason: item.reason });
      return;
    }
    const at = this.#memberFor(item.key);
    if (at === undefined) {
      const first = this.#newcomers.get(item.key);
      if (first !== undefined) {
        this.#duplicate(item, this.#changes[first]!.row!);
        return;
      }
      // #newcomer records exactly one change, at this position.
      this.#newcomers.add(item.key, this.#changes.length);
      this.#newcomer(item);
      return;
    }
    const firstRow = this.#claimedBy[at]!;
    if (firstRow !== 0) {
      this.#duplicate(item, firstRow);
      return;
    }
    this.#claimedBy[at] = item.row;
    this.#next = at + 1;
    this.#member(item, this.#list.at(at)!);
  }

  #duplicate(item: DesiredContact, firstRow: number): void {
    this.#record({
      action: 'skip',
      email: item.email,
      key: item.key,
      row: item.row,
      reasonCode: 'duplicate-email',
      reason: `duplicate of row ${firstRow}`,
    });
  }

  /** Adds the contacts that left the segment and returns the plan. */
  finish(): ExportPlan {
    if (this.#finished) throw new Error('Planner.finish() called twice');
    this.#finished = true;
    const leavers: ObservedContact[] = [];
    let leftKept = 0;
    for (let i = 0; i < this.#list.size; i++) {
      if (this.#claimedBy[i] !== 0) continue;
      const o = this.#list.at(i)!;
      if (o.listStatus === 2 || o.listStatus === 3) this.#counts.noop++;
      else if (this.#opts.onLeave === 'keep') {
        this.#counts.noop++;
        if (o.managed) leftKept++;
      } else leavers.push(o);
    }
    leavers.sort(byId);
    for (const o of leavers) {
      const base = { email: o.email, key: o.key, contactId: o.id };
      if (o.managed) this.#record({ action: 'unsubscribe', ...base, reason: REASONS.left });
      else this.#record({ action: 'skip', ...base, reasonCode: 'not-managed', reason: REASONS.notManaged });
    }
    const { export: name, connection, listId } = this.#opts;
    const plan: ExportPlan = { export: name, connection, listId, changes: this.#changes, counts: this.#counts };
    if (leftKept > 0) plan.leftKept = leftKept;
    return plan;
  }

  #newcomer(d: DesiredContact): void {
    const refused = this.#opts.refusals?.get(d.key);
    if (refused !== undefined && refused.rowHash === rowHash(d)) {
      this.#record({ action: 'skip', email: d.email, key: d.key, row: d.row, reasonCode: REFUSAL_SKIP_CODE[refused.kind], reason: refusalNote(refused) });
      return;
    }
    const create: Change = { action: 'create', email: d.email, key: d.key, row: d.row, after: new Sendable(d, this.#pools) };
    const existing = this.#opts.accountContacts?.get(d.key);
    this.#record(existing === undefined ? create : subscribeChange(create, existing));
  }

  #member(d: DesiredContact, o: ObservedContact): void {
    const base = { email: d.email, key: d.key, contactId: o.id, row: d.row };
    switch (o.listStatus) {
      case 0:
      case 1: {
        const fieldChanges = diffFields(d, o);
        if (fieldChanges === undefined) this.#counts.noop++;
        else this.#record({ action: 'update', ...base, fieldChanges, after: new Sendable(d, this.#pools) });
        return;
      }
      case 2: {
        if (!o.unsubscribedByAcsync) {
          const reason = o.unsubscribedSinceAcsync === true ? REASONS.unsubscribedSinceAcsync : REASONS.unsubscribed;
          this.#record({ action: 'skip', ...base, reasonCode: 'unsubscribed-in-activecampaign', reason });
          return;
        }
        const fieldChanges = diffFields(d, o);
        this.#record({
          action: 'resubscribe',
          ...base,
          ...(fieldChanges === undefined ? {} : { fieldChanges }),
          after: new Sendable(d, this.#pools),
          reason: REASONS.resubscribe,
        });
        return;
      }
      case 3:
        this.#record({ action: 'skip', ...base, reasonCode: 'bounced', reason: REASONS.bounced });
        return;
    }
  }

  #record(change: Change): void {
    this.#changes.push(change);
    this.#counts[change.action]++;
  }
}

/** A planned `create` of a contact the account turns out to have: `subscribe`, with what it changes of theirs. */
function subscribeChange(create: Change, existing: AccountContact): Change {
  const fieldChanges = create.after === undefined ? undefined : diffFields(create.after, existing.fields);
  const { action: _create, ...rest } = create;
  return { action: 'subscribe', ...rest, contactId: existing.id, ...(fieldChanges === undefined ? {} : { fieldChanges }), reason: REASONS.subscribe };
}

/**
 * The plan once its newcomers (planned as `create`: not on the list) were looked up in the account: each one the
 * account has becomes `subscribe`, with the before → after of every field that changes. Pure, like the planner:
 * the lookups are the pipeline's (engine/pipeline/look-up-newcomers.ts).
 */
export function subscribeAccountContacts(plan: ExportPlan, found: { get(key: string): AccountContact | undefined }): ExportPlan {
  const counts = { ...plan.counts };
  const changes = plan.changes.map((c) => {
    if (c.action !== 'create') return c;
    const existing = found.get(c.key);
    if (existing === undefined) return c;
    counts.create--;
    counts.subscribe++;
    return subscribeChange(c, existing);
  });
  return { ...plan, changes, counts };
}

/** The whole plan from two collections: the form tests and small segments use. */
export function computePlan(
  desired: Iterable<DesiredContact | SkippedRow>,
  observed: Iterable<ObservedContact>,
  opts: PlanOptions,
): ExportPlan {
  const planner = new Planner(observed, opts);
  for (const d of desired) planner.add(d);
  return planner.finish();
}

/**
 * Field-level differences for the fields the segment gives a value for; undefined when there are none (the hot
 * path of a re-export allocates nothing). An empty value in ActiveCampaign counts as no value.
 */
export function diffFields(d: ContactFields & Partial<Pick<DesiredContact, 'key' | 'row'>>, current: ContactFields): FieldChange[] | undefined {
  let out: FieldChange[] | undefined;
  // Unrolled (not a loop over field names): monomorphic property loads on the re-export hot path.
  if (d.firstName !== undefined) out = diffOne(out, 'firstName', current.firstName, d.firstName);
  if (d.lastName !== undefined) out = diffOne(out, 'lastName', current.lastName, d.lastName);
  if (d.phone !== undefined) out = diffOne(out, 'phone', current.phone, d.phone);
  if (d.fields !== undefined) {
    const have = current.fields;
    const tags = Object.keys(d.fields);
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i]!;
      const after = d.fields[tag]!;
      out = diffOne(out, tag, have?.[tag], after);
    }
  }
  return out;
}

function diffOne(out: FieldChange[] | undefined, field: string, current: string | undefined, after: string): FieldChange[] | undefined {
  const before = current || undefined;
  if (after === before || (before !== undefined && sameAcValue(field, before, after))) return out;
  (out ??= []).push(before === undefined ? { field, after } : { field, before, after });
  return out;
}

/**
 * What is sent for a contact: the email as given and every non-empty mapped value (never an empty one). Built by
 * a constructor, not an object literal grown key by key: V8 then keeps every property inside the object instead
 * of in a separate property array, 64 bytes less for each of a million creates (heap snapshot, BENCHMARKS.md).
 */
class Sendable implements ContactFields {
  email: string;
  declare firstName?: string;
  declare lastName?: string;
  declare phone?: string;
  declare fields?: Record<string, string>;

  constructor(d: DesiredContact, pools: ValuePools) {
    this.email = d.email;
    if (d.firstName !== undefined) this.firstName = pools.firstName.share(d.firstName);
    if (d.lastName !== undefined) this.lastName = pools.lastName.share(d.lastName);
    if (d.phone !== undefined) this.phone = pools.phone.share(d.phone);
    if (d.fields !== undefined) {
      const fields: Record<string, string> = {};
      for (const tag of Object.keys(d.fields)) fields[tag] = pools.field(tag).share(d.fields[tag]!);
      this.fields = fields;
    }
  }
}

/**
 * Distinct values a pool keeps. A segment of a million rows has a few thousand first names, tiers or cities; a
 * column with more distinct values than this (phone numbers) gains nothing from sharing.
 */
const POOL_MAX_VALUES = 10_000;

/**
 * Shares equal strings between the contacts a plan keeps: each CSV row brings its own copy of "gold" or "Lyon",
 * and a million-create plan held ~110 bytes a contact in such copies (measured). Once full, a pool whose lookups
 * were mostly new values (a unique column such as phone) turns itself off, so it costs nothing more.
 */
export class ValuePool {
  readonly #values = new Map<string, string>();
  #repeats = 0;
  #off = false;

  share(value: string): string {
    if (this.#off) return value;
    const kept = this.#values.get(value);
    if (kept !== undefined) {
      this.#repeats++;
      return kept;
    }
    if (this.#values.size < POOL_MAX_VALUES) this.#values.set(value, value);
    else if (this.#repeats < this.#values.size) {
      this.#off = true;
      this.#values.clear();
    }
    return value;
  }
}

/** One pool per standard field and per custom field (observe.ts shares a list read's values with them too). */
export class ValuePools {
  readonly firstName = new ValuePool();
  readonly lastName = new ValuePool();
  readonly phone = new ValuePool();
  readonly #fields = new Map<string, ValuePool>();

  field(tag: string): ValuePool {
    let pool = this.#fields.get(tag);
    if (pool === undefined) this.#fields.set(tag, (pool = new ValuePool()));
    return pool;
  }
}

/** ActiveCampaign ids are decimal strings: compare them as numbers without parsing (and fall back for anything else). */
function byId(a: ObservedContact, b: ObservedContact): number {
  const x = a.id;
  const y = b.id;
  if (x.length !== y.length && /^\d+$/.test(x) && /^\d+$/.test(y)) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface LimitContext {
  /** The connection's contactLimit (the customer's ActiveCampaign contract); no check when absent. */
  contactLimit?: number;
  /** Active and unconfirmed list members before the plan (Planner.observedActive). */
  currentActive: number;
}

/** Active members of the list once the plan is applied. */
export function projectedActive(plan: ExportPlan, currentActive: number): number {
  const c = plan.counts;
  return currentActive + c.create + c.subscribe + c.resubscribe - c.unsubscribe;
}

/** A message refusing the plan when the list would exceed the connection's contactLimit; undefined when it fits. */
export function checkLimits(plan: ExportPlan, ctx: LimitContext): string | undefined {
  if (ctx.contactLimit === undefined) return undefined;
  const after = projectedActive(plan, ctx.currentActive);
  if (after <= ctx.contactLimit) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  const c = plan.counts;
  return (
    `export ${plan.export} would bring list ${plan.listId} to ${n(after)} active contacts, over the contactLimit of ` +
    `${n(ctx.contactLimit)} set for connection ${plan.connection} (now ${n(ctx.currentActive)}; ` +
    `+${n(c.create)} new, +${n(c.subscribe + c.resubscribe)} subscribed, -${n(c.unsubscribe)} unsubscribed)`
  );
}
