/**
 * Reading a list's members through the local snapshot. A full read of a 1,000,000-member list is 10,000 pages,
 * 33 minutes at ActiveCampaign's 5 requests/second; when a recent snapshot exists, this reads instead:
 *   - every member with status unconfirmed (0), unsubscribed (2) or bounced (3), whatever their udate: a list
 *     status change does not bump a contact's udate (emulator/store.ts assumes the strictest case), and these
 *     sets are usually small;
 *   - every member updated since the snapshot (filters[updated_after]): new contacts, field and name changes;
 *   - the list's member count (one page), which must equal the merged result: a deleted contact, or one added to
 *     or removed from the list by hand, changes the count without bumping any udate, and then a full read follows.
 * Everything else comes from the snapshot. The snapshot only ever saves requests: when it is missing, corrupt,
 * older than its maximum age, or disagrees with the count, the list is read in full (and the snapshot rewritten).
 */
import { systemClock, type Clock } from '../clock.ts';
import type { AcListMember, ActiveCampaignReader } from '../activecampaign/api.ts';
import { readSnapshotMembers, SnapshotWriter, snapshotPath, verifySnapshot, type SnapshotHeader } from './file.ts';

export type RefreshMode = 'auto' | 'full' | 'off';
export const REFRESH_MODES: readonly RefreshMode[] = ['auto', 'full', 'off'];

/** In auto mode a snapshot whose last full read is older than this is not used: a daily full read bounds drift. */
export const DEFAULT_SNAPSHOT_MAX_AGE_MS = 24 * 60 * 60_000;
/**
 * filters[updated_after] compares against ActiveCampaign's clock, at one-second resolution, and acsync only knows
 * its own: the snapshot claims to be current only up to this long before its read started. A wider margin costs
 * only re-reading the contacts updated within it.
 */
export const SNAPSHOT_CLOCK_MARGIN_MS = 10 * 60_000;
/** udate has one-second resolution: no margin may be narrower than this, even on one clock. */
export const MIN_CLOCK_MARGIN_MS = 2_000;
/** Members handed to the planner per page, as the API pages them. */
const PAGE = 100;

export interface ListReadReport {
  mode: 'full' | 'incremental' | 'off';
  /** Why a full read was needed (no snapshot, too old, count mismatch, forced...). */
  reason?: string;
  /** Members read from ActiveCampaign (the rest came from the snapshot). */
  fetched: number;
  members: number;
}

export interface CachedReadOptions {
  hostname: string;
  listId: string;
  /** Where snapshots live (cacheDirFor(config file)). */
  cacheDir: string;
  refresh: RefreshMode;
  maxAgeMs?: number;
  /** Defaults to SNAPSHOT_CLOCK_MARGIN_MS. */
  clockMarginMs?: number;
  clock?: Pick<Clock, 'now'>;
  signal?: AbortSignal;
  onPage?: (done: number, total: number | undefined) => void;
  /** Told how the list was read, once at the end. */
  onReport?: (report: ListReadReport) => void;
}

/** The list's members in ascending id order, like ActiveCampaignReader.readListMembers, read as cheaply as is safe. */
export async function* readListMembersCached(api: ActiveCampaignReader, o: CachedReadOptions): AsyncGenerator<AcListMember[]> {
  const now = (): number => (o.clock ?? systemClock).now();
  const signal = o.signal !== undefined ? { signal: o.signal } : {};
  if (o.refresh === 'off') {
    let members = 0;
    for await (const page of api.readListMembers(o.listId, { ...signal, ...(o.onPage ? { onPage: o.onPage } : {}) })) {
      members += page.length;
      yield page;
    }
    o.onReport?.({ mode: 'off', fetched: members, members });
    return;
  }
  const file = snapshotPath(o.cacheDir, o.hostname, o.listId);
  const startedAt = now();
  const asOf = new Date(startedAt - Math.max(MIN_CLOCK_MARGIN_MS, o.clockMarginMs ?? SNAPSHOT_CLOCK_MARGIN_MS)).toISOString();
  let reason = 'forced (--refresh=full)';

  if (o.refresh === 'auto') {
    const verified = await verifySnapshot(file, { hostname: o.hostname, listId: o.listId });
    if ('problem' in verified) reason = verified.problem;
    else if (startedAt - Date.parse(verified.header.fullReadAt) > (o.maxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS)) reason = 'snapshot older than its maximum age';
    else {
      const fresh = await readChanges(api, o.listId, verified.header, o.signal);
      const merged = countMerged(verified.ids, fresh.updates);
      if (merged !== fresh.total) reason = `list has ${fresh.total} members, snapshot and changes make ${merged}`;
      else {
        yield* mergeWithSnapshot(file, fresh, { ...verified.header, asOf }, o);
        o.onReport?.({ mode: 'incremental', fetched: fresh.fetched, members: merged });
        return;
      }
    }
  }

  const writer = await SafeWriter.open(file, { hostname: o.hostname, listId: o.listId, asOf, fullReadAt: new Date(startedAt).toISOString() });
  try {
    let members = 0;
    for await (const page of api.readListMembers(o.listId, { ...signal, ...(o.onPage ? { onPage: o.onPage } : {}) })) {
      members += page.length;
      for (const m of page) writer.add(m);
      await writer.drain();
      yield page;
    }
    await writer.commit();
    o.onReport?.({ mode: 'full', reason, fetched: members, members });
  } finally {
    await writer.abort();
  }
}

interface Changes {
  /** Fresh members by id: everyone not active, and everyone updated since the snapshot. */
  updates: Map<string, AcListMember>;
  /** Members whose status is not active right now. */
  inactive: Set<string>;
  total: number;
  fetched: number;
}

async function readChanges(api: ActiveCampaignReader, listId: string, header: SnapshotHeader, signal: AbortSignal | undefined): Promise<Changes> {
  const s = signal !== undefined ? { signal } : {};
  const updates = new Map<string, AcListMember>();
  const inactive = new Set<string>();
  let fetched = 0;
  // The count first: a member added while the reads below run then shows up in them and the count disagrees
  // (a full read follows) rather than slipping past.
  let total = -1;
  // Only meta.total is wanted: no field values or tags, which on old accounts make a page of 100 pass 10 MB.
  const countOnly = { fieldValues: false, contactTags: false };
  for await (const _ of api.readListMembers(listId, { ...s, include: countOnly, onPage: (_done, t) => (total = t ?? -1) })) break;
  for (const status of [0, 2, 3] as const) {
    for await (const page of api.readListMembers(listId, { ...s, status })) {
      for (const m of page) {
        updates.set(m.id, m);
        inactive.add(m.id);
        fetched++;
      }
    }
  }
  for await (const page of api.readListMembers(listId, { ...s, updatedAfter: header.asOf })) {
    for (const m of page) {
      // A status read above is at least as fresh for the status; the updated read is as fresh for the rest.
      updates.set(m.id, inactive.has(m.id) ? { ...m, listStatus: updates.get(m.id)!.listStatus } : m);
      fetched++;
    }
  }
  return { updates, inactive, total, fetched };
}

/** Snapshot members plus fresh members the snapshot does not have. */
function countMerged(ids: Float64Array, updates: ReadonlyMap<string, AcListMember>): number {
  let extra = 0;
  for (const id of updates.keys()) if (!has(ids, Number(id))) extra++;
  return ids.length + extra;
}

function has(sorted: Float64Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === x;
}

async function* mergeWithSnapshot(
  file: string,
  fresh: Changes,
  header: Omit<SnapshotHeader, 'format' | 'version'>,
  o: CachedReadOptions,
): AsyncGenerator<AcListMember[]> {
  const writer = await SafeWriter.open(file, header);
  try {
    yield* mergePages(file, fresh, writer, o);
    await writer.commit();
  } finally {
    await writer.abort();
  }
}

async function* mergePages(file: string, fresh: Changes, writer: SafeWriter, o: CachedReadOptions): AsyncGenerator<AcListMember[]> {
  const newcomers = [...fresh.updates.values()].sort((a, b) => Number(a.id) - Number(b.id));
  let next = 0;
  const page: AcListMember[] = [];
  let done = 0;
  const emit = (m: AcListMember): void => {
    writer.add(m);
    page.push(m);
  };
  /** Hands over what was merged so far, in pages of the API's size. */
  const flush = async function* (all: boolean): AsyncGenerator<AcListMember[]> {
    await writer.drain();
    while (page.length >= PAGE || (all && page.length > 0)) {
      const out = page.splice(0, PAGE);
      done += out.length;
      o.onPage?.(done, fresh.total);
      yield out;
    }
  };
  for await (const chunk of readSnapshotMembers(file)) {
    for (const old of chunk) {
      const oldId = Number(old.id);
      while (next < newcomers.length && Number(newcomers[next]!.id) < oldId) emit(newcomers[next++]!);
      let m = old;
      if (next < newcomers.length && newcomers[next]!.id === old.id) m = newcomers[next++]!;
      // Not in any fresh status read: no longer unconfirmed, unsubscribed or bounced. Still on the list (the count
      // agreed), so active; re-subscribed by hand, most likely.
      else if (m.listStatus !== 1 && !fresh.inactive.has(m.id)) m = { ...m, listStatus: 1 };
      emit(m);
    }
    yield* flush(false);
  }
  while (next < newcomers.length) emit(newcomers[next++]!);
  yield* flush(true);
}

/**
 * A snapshot that cannot be written is no reason to fail a plan, it only makes the next one slower: write errors
 * drop the snapshot. abort() after commit() is a no-op, so callers can always abort in `finally` (a consumer that
 * stops early, or an error, leaves no temporary file behind).
 */
class SafeWriter {
  private constructor(private writer: SnapshotWriter | undefined) {}

  static async open(file: string, header: Omit<SnapshotHeader, 'format' | 'version'>): Promise<SafeWriter> {
    try {
      return new SafeWriter(await SnapshotWriter.open(file, header));
    } catch {
      return new SafeWriter(undefined);
    }
  }

  add(m: AcListMember): void {
    this.writer?.add(m);
  }

  async drain(): Promise<void> {
    if (this.writer === undefined) return;
    try {
      await this.writer.drain();
    } catch {
      await this.abort();
    }
  }

  async commit(): Promise<void> {
    const w = this.writer;
    if (w === undefined) return;
    try {
      await w.commit();
      this.writer = undefined;
    } catch {
      await this.abort();
    }
  }

  async abort(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.abort().catch(() => {});
  }
}

/**
 * The snapshot settings of a run: the refresh mode is the caller's (a --refresh flag), else ACSYNC_REFRESH, else
 * auto. ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS narrows the clock margin, for tests and benchmarks against the emulator
 * (same clock, so no skew to absorb).
 */
export function snapshotSettings(explicit: RefreshMode | undefined, env: NodeJS.ProcessEnv): { refresh: RefreshMode; clockMarginMs?: number } {
  let refresh: RefreshMode = explicit ?? 'auto';
  const raw = env['ACSYNC_REFRESH']?.trim();
  if (explicit === undefined && raw !== undefined && raw !== '') {
    if (!(REFRESH_MODES as readonly string[]).includes(raw)) throw new Error(`ACSYNC_REFRESH is '${raw}'; use one of ${REFRESH_MODES.join(', ')}`);
    refresh = raw as RefreshMode;
  }
  const margin = Number(env['ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS']);
  return env['ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS'] !== undefined && Number.isFinite(margin) && margin >= 0 ? { refresh, clockMarginMs: margin } : { refresh };
}
