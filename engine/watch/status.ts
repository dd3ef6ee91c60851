/**
 * What the watch screen shows, folded from the session's events: per export its run state, the run going now
 * (phase and progress), the last run (when, counts, duration, error) and the next scheduled run. Pure, so the
 * Ink view and its tests share it.
 */
import type { ChangeCounts } from '../model.ts';
import type { RunError, RunReason, WatchSessionEvent } from './events.ts';
import type { RunState } from './run-queue.ts';

export interface CurrentRun {
  startedAt: number;
  reasons: RunReason[];
  phase: 'planning' | 'applying';
  /** While planning: what is being read and how far. */
  reading?: { phase: 'segment' | 'list' | 'lookup'; done: number; total?: number };
  /** While applying: changes done (applied or failed) of `total`. */
  done: number;
  total?: number;
}

export interface LastRun {
  at: number;
  ok: boolean;
  durationMs: number;
  counts?: ChangeCounts;
  applied?: number;
  failed?: number;
  error?: RunError;
}

export interface ExportWatchStatus {
  name: string;
  segment: string;
  schedule?: string;
  timezone?: string;
  state: RunState;
  /** Epoch ms of the next scheduled run; null when the schedule has no future occurrence. */
  nextRunAt?: number | null;
  current?: CurrentRun;
  lastRun?: LastRun;
  runs: number;
}

export interface WatchStatus {
  config: string;
  mode: 'plan' | 'apply';
  exports: ExportWatchStatus[];
  /** The config file is invalid right now (the last good one keeps running). */
  configErrors?: number;
  stopping: boolean;
  /** The session has stopped (its summary follows). */
  stopped?: boolean;
}

export function initialStatus(): WatchStatus {
  return { config: '', mode: 'apply', exports: [], stopping: false };
}

/** The next status after an event (the input is not changed). */
export function reduceStatus(status: WatchStatus, e: WatchSessionEvent): WatchStatus {
  const patch = (name: string, f: (x: ExportWatchStatus) => ExportWatchStatus): WatchStatus => ({
    ...status,
    exports: status.exports.map((x) => (x.name === name ? f(x) : x)),
  });
  const patchRun = (name: string, f: (r: CurrentRun) => CurrentRun): WatchStatus =>
    patch(name, (x) => (x.current === undefined ? x : { ...x, current: f(x.current) }));
  switch (e.type) {
    case 'watch:ready':
      return {
        ...status,
        config: e.config,
        mode: e.mode,
        exports: e.exports.map((x) => ({ ...x, state: 'idle', runs: 0 })),
      };
    case 'watch:config-reloaded': {
      const { configErrors: _dropped, ...rest } = status;
      const old = new Map(rest.exports.map((x) => [x.name, x]));
      // In the new config's order; what is known about a kept export (its runs, its state) stays.
      const exports = e.exports.map((info): ExportWatchStatus => {
        const prev = old.get(info.name);
        if (prev === undefined) return { ...info, state: 'idle', runs: 0 };
        const { schedule: _s, timezone: _t, nextRunAt, ...base } = prev;
        const sameSchedule = prev.schedule === info.schedule && prev.timezone === info.timezone;
        return { ...base, ...info, ...(sameSchedule && nextRunAt !== undefined ? { nextRunAt } : {}) };
      });
      return { ...rest, exports };
    }
    case 'watch:config-error':
      return { ...status, configErrors: e.diagnostics.filter((d) => d.severity === 'error').length };
    case 'watch:schedule':
      return patch(e.export, (x) => ({ ...x, schedule: e.schedule, timezone: e.timezone, nextRunAt: e.nextAt }));
    case 'watch:queued':
      return patch(e.export, (x) => ({ ...x, state: 'queued' }));
    case 'watch:run-start':
      return patch(e.export, (x) => ({ ...x, state: 'running', current: { startedAt: e.at, reasons: e.reasons, phase: 'planning', done: 0 } }));
    case 'watch:run-done':
      return patch(e.export, (x) => {
        const { current: _ended, ...rest } = x;
        const last: LastRun = { at: e.at, ok: e.ok, durationMs: e.durationMs };
        const counts = e.result?.plan?.counts;
        if (counts !== undefined) last.counts = counts;
        if (e.result?.applied !== undefined) last.applied = e.result.applied;
        if (e.result?.failed !== undefined) last.failed = e.result.failed;
        if (e.error !== undefined) last.error = e.error;
        // A follow-up queued during this run starts right after: the session sends its run-start next.
        return { ...rest, state: x.state === 'queued' ? 'queued' : 'idle', lastRun: last, runs: x.runs + 1 };
      });
    case 'watch:stopping':
      return { ...status, stopping: true };
    case 'watch:stopped':
      return { ...status, stopping: true, stopped: true };
    case 'plan:progress':
      return patchRun(e.export, (r) => ({ ...r, reading: { phase: e.phase, done: e.done, ...(e.total !== undefined ? { total: e.total } : {}) } }));
    case 'apply:start':
      return patchRun(e.export, (r) => ({ ...r, phase: 'applying', done: 0, total: e.total }));
    case 'change:applied':
    case 'change:failed':
      return patchRun(e.export, (r) => ({ ...r, done: r.done + 1 }));
    default:
      return status;
  }
}
