/**
 * What the live views show, folded from engine events: per export its phase, contacts done / total, batches in
 * flight, failures, time spent waiting on rate limits, rate and ETA; per connection the requests per second.
 * Pure apart from the injected clock, so the lines reporter's heartbeat and the Ink views can share it and tests can
 * drive it with made-up timestamps.
 */
import type { EngineEvent } from '../../engine/events.ts';
import type { ExportPlan } from '../../engine/model.ts';
import { REQUESTS_PER_SECOND } from '../../engine/activecampaign/rate-budget.ts';

/** Requests per second are averaged over this window: long enough to be steady, short enough to show a stall. */
export const REQUEST_RATE_WINDOW_MS = 5_000;
/** The rate (and so the ETA) is not shown before this much apply time: the first batch says little about the rest. */
export const MIN_RATE_ELAPSED_MS = 1_000;

export type ExportPhase = 'planning' | 'planned' | 'applying' | 'done';

export interface ExportProgress {
  export: string;
  connection: string;
  listId: string;
  phase: ExportPhase;
  /** While planning: what is being read and how far. */
  reading?: { phase: 'segment' | 'list' | 'lookup'; done: number; total?: number };
  plan?: ExportPlan;
  /** Contacts that need a write (from apply:start). */
  total: number;
  applied: number;
  failed: number;
  /** From apply:summary after a stop: changes never sent. */
  notSent?: number;
  batchesInFlight: number;
  retries: number;
  startedAt?: number;
  finishedAt?: number;
  /** From apply:summary. */
  durationMs?: number;
}

export interface ProgressView extends ExportProgress {
  done: number;
  /** Contacts per second since apply:start; undefined until there is enough to say. */
  rate?: number;
  etaMs?: number;
  /** Requests per second on this export's connection over the last REQUEST_RATE_WINDOW_MS. */
  requestsPerSecond?: number;
  /** The account's budget (ActiveCampaign's documented 5 requests per second). */
  requestBudget: number;
  /**
   * Wall-clock time, within this export's apply, during which ActiveCampaign held its connection back: a 429's
   * Retry-After, or RateLimit-Remaining: 0 (docs/activecampaign-api.md, rate limits). Our own pacing to 5 requests a
   * second is not counted: with batches in flight some request always waits for its slot, so that total was
   * always the elapsed time and said nothing (issue 16); the pacing shows as req/s against the budget.
   * Overlapping waits count once.
   */
  waitedMs: number;
  /** After Ctrl-C: no new batches go out, so there is no ETA, only the batches still in flight. */
  stopping?: boolean;
  /** While requests wait out a 429 from ActiveCampaign (its Retry-After): how long is left. */
  pausedForMs?: number;
  /** Since apply:start (to apply:summary once finished). */
  elapsedMs?: number;
}

export class ProgressTracker {
  private readonly exports = new Map<string, ExportProgress>();
  private readonly requests = new Map<string, number[]>();
  private readonly inFlight = new Map<string, Set<string>>();
  /** Per connection, the merged [from, to) intervals during which some request waited. */
  private readonly waits = new Map<string, WaitIntervals>();
  private sawRequests = false;
  private stopping = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Folds one event in; returns the export it concerned, if any. */
  apply(e: EngineEvent): ExportProgress | undefined {
    switch (e.type) {
      case 'plan:start': {
        const p: ExportProgress = {
          export: e.export,
          connection: e.connection,
          listId: e.listId,
          phase: 'planning',
          total: 0,
          applied: 0,
          failed: 0,
          batchesInFlight: 0,
          retries: 0,
        };
        this.exports.set(e.export, p);
        return p;
      }
      case 'plan:progress': {
        const p = this.get(e.export);
        p.reading = { phase: e.phase, done: e.done, ...(e.total !== undefined ? { total: e.total } : {}) };
        return p;
      }
      case 'plan:done': {
        const p = this.get(e.export, e.plan);
        p.phase = 'planned';
        p.plan = e.plan;
        delete p.reading;
        return p;
      }
      case 'apply:start': {
        const p = this.get(e.export);
        p.phase = 'applying';
        p.total = e.total;
        p.startedAt = this.now();
        return p;
      }
      case 'batch:sent': {
        const p = this.get(e.export);
        const ids = this.inFlight.get(e.export) ?? new Set<string>();
        ids.add(e.id);
        this.inFlight.set(e.export, ids);
        p.batchesInFlight = ids.size;
        return p;
      }
      case 'batch:done': {
        const p = this.get(e.export);
        const ids = this.inFlight.get(e.export);
        ids?.delete(e.id);
        p.batchesInFlight = ids?.size ?? 0;
        return p;
      }
      case 'change:applied': {
        const p = this.get(e.export);
        p.applied++;
        return p;
      }
      case 'change:failed': {
        const p = this.get(e.export);
        p.failed++;
        return p;
      }
      case 'apply:summary': {
        const p = this.get(e.export);
        p.phase = 'done';
        // The summary is the truth: per-change events may have been dropped by a sink that filters.
        p.applied = e.applied;
        p.failed = e.failed;
        if (e.notSent !== undefined) p.notSent = e.notSent;
        p.durationMs = e.durationMs;
        p.batchesInFlight = 0;
        p.finishedAt = this.now();
        return p;
      }
      case 'ratelimit:wait': {
        const waits = this.waits.get(e.connection) ?? new WaitIntervals();
        this.waits.set(e.connection, waits);
        const now = this.now();
        // Our own pacing is not ActiveCampaign's doing (see ProgressView.waitedMs); a pause is reported as it begins.
        if (e.reason !== 'budget') waits.add(now, now + e.ms, true);
        return undefined;
      }
      case 'request:retry':
        if (e.inherited === true) return undefined;
        for (const p of this.exports.values()) if (p.connection === e.connection && p.phase === 'applying') p.retries++;
        return undefined;
      case 'request:sent': {
        this.sawRequests = true;
        const times = this.requests.get(e.connection) ?? [];
        times.push(this.now());
        this.requests.set(e.connection, times);
        return undefined;
      }
      case 'diagnostic':
        return undefined;
    }
  }

  /** Ctrl-C: from now on no new batch is sent; what is in flight is awaited. */
  stop(): void {
    this.stopping = true;
  }

  /** Every export in the order planning started. */
  list(): ProgressView[] {
    return [...this.exports.values()].map((p) => this.view(p));
  }

  find(name: string): ProgressView | undefined {
    const p = this.exports.get(name);
    return p === undefined ? undefined : this.view(p);
  }

  /** Requests per second on a connection, or undefined when the client reports no requests. */
  requestRate(connection: string): number | undefined {
    if (!this.sawRequests) return undefined;
    const now = this.now();
    const cutoff = now - REQUEST_RATE_WINDOW_MS;
    const times = (this.requests.get(connection) ?? []).filter((t) => t > cutoff);
    this.requests.set(connection, times);
    // A half-open window (cutoff excluded): a client that sends at most 5 in any second puts at most 25 in it, so
    // its pace shows as 5.0/5 at most; a closed one held 26 (one at each end) and showed 5.2/5.
    return times.length / (REQUEST_RATE_WINDOW_MS / 1_000);
  }

  private view(p: ExportProgress): ProgressView {
    const done = p.applied + p.failed;
    const now = this.now();
    const waits = this.waits.get(p.connection);
    const waitedMs = p.startedAt === undefined || waits === undefined ? 0 : waits.overlap(p.startedAt, Math.min(p.finishedAt ?? now, now));
    const v: ProgressView = { ...p, done, requestBudget: REQUESTS_PER_SECOND, waitedMs };
    if (this.stopping && p.phase === 'applying') v.stopping = true;
    const pausedUntil = waits?.pausedUntil ?? 0;
    if (p.phase === 'applying' && pausedUntil > now) v.pausedForMs = pausedUntil - now;
    const rps = this.requestRate(p.connection);
    if (rps !== undefined && p.phase === 'applying') v.requestsPerSecond = rps;
    if (p.startedAt !== undefined) {
      const elapsed = (p.finishedAt ?? now) - p.startedAt;
      v.elapsedMs = elapsed;
      if (elapsed >= MIN_RATE_ELAPSED_MS && done > 0) {
        v.rate = done / (elapsed / 1_000);
        // What is held back by a 429 starts only after the pause: the rest of the work comes after it.
        if (p.phase === 'applying' && !this.stopping) v.etaMs = (v.pausedForMs ?? 0) + Math.max(0, ((p.total - done) / v.rate) * 1_000);
      }
    }
    return v;
  }

  // Events can arrive for an export whose plan:start was not seen (a saved plan, a filtered sink): start it then.
  private get(name: string, plan?: ExportPlan): ExportProgress {
    let p = this.exports.get(name);
    if (p === undefined) {
      p = {
        export: name,
        connection: plan?.connection ?? '',
        listId: plan?.listId ?? '',
        phase: 'planning',
        total: 0,
        applied: 0,
        failed: 0,
        batchesInFlight: 0,
        retries: 0,
      };
      this.exports.set(name, p);
    }
    return p;
  }
}

/** Time intervals kept sorted and merged, so the total waited is wall-clock time, whatever the concurrency. */
class WaitIntervals {
  private spans: Array<[number, number]> = [];
  /** The end of the latest account pause announced by ActiveCampaign (Retry-After). */
  pausedUntil = 0;

  add(from: number, to: number, pause: boolean): void {
    if (pause) this.pausedUntil = Math.max(this.pausedUntil, to);
    if (to <= from) return;
    const merged: Array<[number, number]> = [];
    let cur: [number, number] = [from, to];
    for (const span of this.spans) {
      if (span[1] < cur[0] || span[0] > cur[1]) merged.push(span);
      else cur = [Math.min(span[0], cur[0]), Math.max(span[1], cur[1])];
    }
    merged.push(cur);
    this.spans = merged.sort((a, b) => a[0] - b[0]);
  }

  /** How much of [from, to) is covered. */
  overlap(from: number, to: number): number {
    let total = 0;
    for (const [a, b] of this.spans) total += Math.max(0, Math.min(b, to) - Math.max(a, from));
    return total;
  }
}

/** `1m 40s`, `12s`, `850ms`: compact durations for progress lines. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** `1,200/5,000 contacts (24%)`. */
export function formatCount(done: number, total: number, unit = 'contacts'): string {
  const pct = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : '';
  return `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit}${pct}`;
}
