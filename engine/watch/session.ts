/**
 * Watch mode: keeps each watched export in sync with its segment file and its schedule until stopped.
 *
 * Everything with a side effect comes in through `WatchDeps` (config loader, run function, clock, file watcher),
 * so the whole loop can be driven in tests without real time, real files or a network.
 */
import path from 'node:path';
import { runAbortController } from '../abort.ts';
import type { Config, Diagnostic, ExportConfig, LoadResult } from '../config/model.ts';
import type { EventSink } from '../events.ts';
import type { RunResult } from '../model.ts';
import { systemClock, type TimerClock, type TimerHandle } from '../clock.ts';
import { toErrorReport } from '../errors.ts';
import type { ExportSummary, RunReason, WatchEvent, WatchSink, WatchSummary, WatchedExportInfo } from './events.ts';
import { createChokidarWatcher, type FileEventKind, type FileWatcher, type FileWatcherFactory } from './file-watcher.ts';
import { RunQueue, type RunState } from './run-queue.ts';
import { localTimeZone, Schedule } from './schedule.ts';
import { segmentFileMatches, segmentWatchPaths } from '../segment/sources/watch-paths.ts';
import { fingerprintSegment, SegmentPoller, type FingerprintFn } from './poll.ts';

/**
 * Quiet time after the last file event before the burst is handled: an export job that rewrites several
 * segment files (or a file twice) in a row causes one run per export, not one per write.
 */
export const DEBOUNCE_MS = 100;
/** A burst that never goes quiet (a file rewritten every 50 ms) is still handled at least this often. */
export const DEBOUNCE_MAX_MS = 2_000;
/**
 * How long a shutdown waits for runs in flight. They send no new batch once stopping begins, but a bulk import
 * already sent is polled until ActiveCampaign finishes it, which takes seconds to tens of seconds for large
 * batches (docs/activecampaign-api.md: bulk imports are processed asynchronously). A second signal skips the wait.
 */
export const SHUTDOWN_GRACE_MS = 30_000;

/** The engine's entry point, as watch mode calls it (engine/pipeline/run.ts `runExports`). */
export type RunExportsFn = (
  config: Config,
  options: { mode: 'plan' | 'apply'; exports?: string[]; sink: EventSink; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
) => Promise<RunResult>;

export interface WatchDeps {
  loadConfig: (file: string) => Promise<LoadResult>;
  runExports: RunExportsFn;
  clock: TimerClock;
  createWatcher: FileWatcherFactory;
  /** Reads a database segment for `poll:` (engine/watch/poll.ts). */
  fingerprintSegment: FingerprintFn;
}

export interface WatchOptions {
  /** The config file, as the user named it. */
  configFile: string;
  mode: 'plan' | 'apply';
  /** Only these exports (all enabled exports when absent or empty). */
  exports?: string[];
  /** Run each export once at start (default true). */
  initial?: boolean;
  sink: WatchSink;
  env?: NodeJS.ProcessEnv;
  /** Replace any of the effects (tests). `loadConfig` and `runExports` are required unless given here. */
  deps: Partial<WatchDeps> & Pick<WatchDeps, 'loadConfig' | 'runExports'>;
}

export type StartResult = { session: WatchSession; diagnostics: Diagnostic[] } | { session?: undefined; diagnostics: Diagnostic[]; message: string };

/** Loads the config and starts watching. Without a valid config there is nothing to keep running: no session. */
export async function startWatch(options: WatchOptions): Promise<StartResult> {
  const deps: WatchDeps = { clock: systemClock, createWatcher: createChokidarWatcher, fingerprintSegment, ...options.deps };
  const loaded = await deps.loadConfig(options.configFile);
  if (loaded.config === undefined) {
    return { diagnostics: loaded.diagnostics, message: `${options.configFile} has errors: fix them and start watch again` };
  }
  const { selected, missing } = selectWatched(loaded.config, options.exports);
  if (missing.length > 0) {
    return {
      diagnostics: loaded.diagnostics,
      message: `no export named ${missing.map((m) => `'${m}'`).join(', ')} in ${loaded.config.displayFile} (known exports: ${Object.keys(loaded.config.exports).join(', ') || 'none'})`,
    };
  }
  const session = new WatchSession(options, deps, loaded.config, selected);
  await session.begin();
  return { session, diagnostics: loaded.diagnostics };
}

/** The exports watch mode keeps in sync: the named ones (enabled or not, like apply), else every enabled one. */
export function selectWatched(config: Config, names: string[] | undefined): { selected: ExportConfig[]; missing: string[] } {
  if (names === undefined || names.length === 0) return { selected: Object.values(config.exports).filter((e) => e.enabled), missing: [] };
  const selected: ExportConfig[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const e = config.exports[n];
    if (e === undefined) missing.push(n);
    else selected.push(e);
  }
  return { selected, missing };
}

interface ExportTally {
  runs: number;
  failedRuns: number;
  applied: number;
  failed: number;
  lastRunOk?: boolean;
}

export class WatchSession {
  private config: Config;
  private watched: Map<string, ExportConfig>;
  private readonly queues = new Map<string, RunQueue>();
  /** Queues of exports dropped by a reload, kept until their last run ends so a shutdown still waits for it. */
  private readonly retired = new Map<RunQueue, string>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly pollers = new Map<string, SegmentPoller>();
  private readonly tallies = new Map<string, ExportTally>();
  private readonly abort = runAbortController();
  private readonly watcher: FileWatcher;
  private readonly startedAt: number;
  private pendingPaths = new Map<string, FileEventKind>();
  private debounceTimer: TimerHandle | undefined;
  private burstStartedAt: number | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopping: Promise<WatchSummary> | undefined;
  private runCounter = 0;

  constructor(
    private readonly options: WatchOptions,
    private readonly deps: WatchDeps,
    config: Config,
    selected: ExportConfig[],
  ) {
    this.config = config;
    this.watched = new Map(selected.map((e) => [e.name, e]));
    this.startedAt = deps.clock.now();
    this.watcher = deps.createWatcher(
      (file, kind) => this.onFileEvent(file, kind),
      (err) => this.emit({ type: 'watch:warning', at: this.now(), message: `file watching failed: ${err.message}`, hint: 'changes may be missed until watch is restarted; schedules keep running' }),
    );
  }

  /** The config in force (the last good one). */
  get currentConfig(): Config {
    return this.config;
  }

  /** Export name → run state, for the screen and for tests. */
  states(): Record<string, RunState> {
    const out: Record<string, RunState> = {};
    for (const [name, q] of this.queues) out[name] = q.state;
    return out;
  }

  /** Files watched now (absolute). */
  paths(): string[] {
    return [this.config.file, ...segmentWatchPaths(this.config, this.watched.values())];
  }

  /** @internal called once by startWatch. */
  async begin(): Promise<void> {
    for (const exp of this.watched.values()) this.addExport(exp);
    this.watcher.set(this.paths());
    await this.watcher.ready();
    this.emit({ type: 'watch:ready', at: this.now(), config: this.config.displayFile, mode: this.options.mode, exports: [...this.watched.values()].map(info), paths: this.paths() });
    for (const exp of this.watched.values()) this.startSchedule(exp);
    if (this.options.initial !== false) for (const name of this.watched.keys()) this.trigger(name, 'initial');
  }

  /** Starts a run of the export now, or queues one follow-up if it is running (what a file change or schedule does). */
  trigger(name: string, reason: RunReason): void {
    const q = this.queues.get(name);
    if (q === undefined || this.stopping !== undefined) return;
    const outcome = q.trigger(reason);
    if (outcome === 'queued' || outcome === 'merged') this.emit({ type: 'watch:queued', at: this.now(), export: name, reason });
  }

  /**
   * Resolves once no handled burst is being processed and no export is running or queued (tests wait on it).
   * A burst still in its debounce wait is not waited for: its timer belongs to the clock.
   */
  async settled(): Promise<void> {
    for (;;) {
      const flushing = this.flushing;
      await flushing;
      await Promise.all([...this.queues.values(), ...this.retired.keys()].map((q) => q.whenIdle()));
      const idle = [...this.queues.values(), ...this.retired.keys()].every((q) => q.state === 'idle');
      if (idle && flushing === this.flushing) return;
    }
  }

  /**
   * Stops watching and scheduling, tells runs in flight to send no new batch, waits for them (at most
   * `graceMs`), and returns the summary. Calling it again returns the same summary.
   */
  stop(options: { signal?: string; graceMs?: number } = {}): Promise<WatchSummary> {
    this.stopping ??= this.shutdown(options.signal, options.graceMs ?? SHUTDOWN_GRACE_MS);
    return this.stopping;
  }

  private async shutdown(signal: string | undefined, graceMs: number): Promise<WatchSummary> {
    if (this.debounceTimer !== undefined) this.deps.clock.clearTimer(this.debounceTimer);
    this.debounceTimer = undefined;
    this.pendingPaths.clear();
    for (const s of this.schedules.values()) s.stop();
    this.schedules.clear();
    for (const p of this.pollers.values()) p.stop();
    this.pollers.clear();
    for (const q of this.queues.values()) q.close();
    const inFlight = [...this.queues, ...[...this.retired].map(([q, name]) => [name, q] as const)].filter(([, q]) => q.running !== undefined);
    this.emit({ type: 'watch:stopping', at: this.now(), ...(signal !== undefined ? { signal } : {}), inFlight: inFlight.map(([n]) => n), graceMs });
    this.abort.abort(new Error('acsync watch is stopping'));
    const closing = this.watcher.close().catch(() => undefined);

    const unfinished = new Set(inFlight.map(([n]) => n));
    const all = Promise.all(inFlight.map(([name, q]) => (q.running ?? Promise.resolve()).then(() => unfinished.delete(name))));
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.deps.clock.setTimer(resolve, graceMs);
    });
    await Promise.race([all, timeout]);
    if (timer !== undefined) this.deps.clock.clearTimer(timer);
    await closing;

    const summary: WatchSummary = { startedAt: this.startedAt, stoppedAt: this.now(), exports: this.summaries(), unfinished: [...unfinished] };
    this.emit({ type: 'watch:stopped', at: this.now(), summary });
    return summary;
  }

  private summaries(): ExportSummary[] {
    return [...this.tallies].map(([name, t]) => ({ name, ...t }));
  }

  private addExport(exp: ExportConfig): void {
    this.queues.set(exp.name, new RunQueue((reasons) => this.runOnce(exp.name, reasons)));
    if (!this.tallies.has(exp.name)) this.tallies.set(exp.name, { runs: 0, failedRuns: 0, applied: 0, failed: 0 });
  }

  /** `poll:` on a query segment of a database: re-read it every pollMs, run only when its rows changed. */
  private startPoll(exp: ExportConfig): void {
    if (exp.pollMs === undefined || exp.segmentQuery?.database === undefined || this.stopping !== undefined) return;
    const poller = new SegmentPoller({
      everyMs: exp.pollMs,
      clock: this.deps.clock,
      read: () => this.deps.fingerprintSegment(this.config, this.config.exports[exp.name] ?? exp, this.options.env ?? process.env),
      onChange: () => this.trigger(exp.name, 'poll'),
      onError: (err) => this.emit({ type: 'watch:warning', at: this.now(), message: `export '${exp.name}': polling the segment failed: ${err instanceof Error ? err.message : String(err)}`, hint: 'watch goes on and polls again at the next interval' }),
    });
    this.pollers.set(exp.name, poller);
    poller.start();
  }

  private stopPoll(name: string): void {
    this.pollers.get(name)?.stop();
    this.pollers.delete(name);
  }

  private startSchedule(exp: ExportConfig): void {
    this.startPoll(exp);
    if (exp.schedule === undefined || this.stopping !== undefined) return;
    const schedule = new Schedule({
      expression: exp.schedule,
      ...(exp.timezone !== undefined ? { timezone: exp.timezone } : {}),
      clock: this.deps.clock,
      onFire: () => this.trigger(exp.name, 'schedule'),
      onArm: (nextAt) => this.emit({ type: 'watch:schedule', at: this.now(), export: exp.name, schedule: exp.schedule ?? '', timezone: exp.timezone ?? localTimeZone(), nextAt }),
    });
    this.schedules.set(exp.name, schedule);
    schedule.start();
  }

  private stopSchedule(name: string): void {
    this.stopPoll(name);
    this.schedules.get(name)?.stop();
    this.schedules.delete(name);
  }

  private async runOnce(name: string, reasons: RunReason[]): Promise<void> {
    // The config in force when the run starts: a reload during a queued wait is picked up by the follow-up.
    const config = this.config;
    if (!this.watched.has(name) || config.exports[name] === undefined) return;
    const run = ++this.runCounter;
    const started = this.now();
    this.emit({ type: 'watch:run-start', at: started, export: name, reasons, run });
    let event: Extract<WatchEvent, { type: 'watch:run-done' }>;
    try {
      const result = await this.deps.runExports(config, {
        mode: this.options.mode,
        exports: [name],
        sink: (e) => this.emit(e),
        signal: this.abort.signal,
        ...(this.options.env !== undefined ? { env: this.options.env } : {}),
      });
      const r = result.exports.find((x) => x.export === name);
      // What this run planned from: a poll compares the next read against it.
      const fp = r?.plan?.source?.fingerprint;
      const poller = this.pollers.get(name);
      if (poller !== undefined && fp !== undefined) poller.last = fp;
      const ok = r !== undefined && r.error === undefined && (r.failed ?? 0) === 0;
      event = { type: 'watch:run-done', at: this.now(), export: name, run, ok, durationMs: this.now() - started, ...(r !== undefined ? { result: r } : {}) };
      if (r?.error !== undefined) event.error = r.error;
      else if (r === undefined) event.error = { kind: 'internal', message: `the engine returned no result for export '${name}'` };
    } catch (err) {
      // A failed run is reported and the watch goes on: the next change or schedule tries again.
      event = { type: 'watch:run-done', at: this.now(), export: name, run, ok: false, durationMs: this.now() - started, error: toErrorReport(err) };
    }
    const t = this.tallies.get(name);
    if (t !== undefined) {
      t.runs++;
      if (!event.ok) t.failedRuns++;
      t.applied += event.result?.applied ?? 0;
      t.failed += event.result?.failed ?? 0;
      t.lastRunOk = event.ok;
    }
    this.emit(event);
  }

  private onFileEvent(file: string, kind: FileEventKind): void {
    if (this.stopping !== undefined) return;
    this.pendingPaths.set(path.resolve(file), kind);
    const now = this.now();
    this.burstStartedAt ??= now;
    if (this.debounceTimer !== undefined) this.deps.clock.clearTimer(this.debounceTimer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.burstStartedAt + DEBOUNCE_MAX_MS - now));
    this.debounceTimer = this.deps.clock.setTimer(() => {
      this.debounceTimer = undefined;
      this.burstStartedAt = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, wait);
  }

  private async flush(): Promise<void> {
    const pending = this.pendingPaths;
    this.pendingPaths = new Map();
    if (this.stopping !== undefined || pending.size === 0) return;
    const configTouched = pending.has(this.config.file);
    if (configTouched) await this.reload();
    if (this.stopping !== undefined) return;
    const changed: string[] = [];
    const exports = new Set<string>();
    for (const [file, kind] of pending) {
      if (file === this.config.file) continue;
      // A deleted segment is not a reason to run: the run would only fail to read it. Its return ('add') is.
      if (kind === 'unlink') continue;
      let concerns = false;
      for (const exp of this.watched.values()) {
        if (segmentFileMatches(this.config, exp, file)) {
          exports.add(exp.name);
          concerns = true;
        }
      }
      // A watched folder also reports files no segment reads (a _SUCCESS marker, acsync's own cache).
      if (concerns) changed.push(file);
    }
    if (changed.length === 0) return;
    this.emit({ type: 'watch:change', at: this.now(), paths: changed, exports: [...exports] });
    for (const name of exports) this.trigger(name, 'change');
  }

  /** Re-reads the config: a valid one replaces the watch set and schedules, an invalid one is reported and ignored. */
  private async reload(): Promise<void> {
    const loaded = await this.deps.loadConfig(this.options.configFile);
    if (this.stopping !== undefined) return;
    if (loaded.config === undefined) {
      this.emit({ type: 'watch:config-error', at: this.now(), file: this.config.displayFile, diagnostics: loaded.diagnostics });
      return;
    }
    const next = loaded.config;
    const { selected, missing } = selectWatched(next, this.options.exports);
    const diagnostics = [...loaded.diagnostics];
    for (const m of missing) {
      diagnostics.push({ severity: 'warning', file: next.displayFile, line: 0, column: 0, path: `exports.${m}`, message: `export '${m}' (named with --export) is no longer in the config: it is not watched any more`, hint: 'add it back to the config, or restart watch without --export ' + m });
    }
    const before = this.watched;
    const after = new Map(selected.map((e) => [e.name, e]));
    const added = [...after.keys()].filter((n) => !before.has(n));
    const removed = [...before.keys()].filter((n) => !after.has(n));
    const changed = [...after.keys()].filter((n) => before.has(n) && exportKey(this.config, before.get(n)!) !== exportKey(next, after.get(n)!));

    this.config = next;
    this.watched = after;
    for (const n of removed) {
      this.stopSchedule(n);
      const q = this.queues.get(n);
      this.queues.delete(n);
      if (q !== undefined && q.state !== 'idle') {
        q.close();
        this.retired.set(q, n);
        void q.whenIdle().then(() => this.retired.delete(q));
      }
    }
    for (const n of added) this.addExport(after.get(n)!);
    this.watcher.set(this.paths());
    this.emit({ type: 'watch:config-reloaded', at: this.now(), file: next.displayFile, added, removed, changed, exports: [...after.values()].map(info), paths: this.paths(), diagnostics });
    // After the reload event, so that the screen learns of an export before its schedule.
    for (const n of changed) {
      const b = before.get(n)!;
      const a = after.get(n)!;
      if (b.schedule !== a.schedule || b.timezone !== a.timezone || b.pollMs !== a.pollMs) {
        this.stopSchedule(n);
        this.startSchedule(a);
      }
    }
    for (const n of added) this.startSchedule(after.get(n)!);
    // A new export, or one whose definition changed (list, mapping, connection...), is synced at once.
    for (const n of [...added, ...changed]) this.trigger(n, 'config');
  }

  private emit(event: Parameters<WatchSink>[0]): void {
    this.options.sink(event);
  }

  private now(): number {
    return this.deps.clock.now();
  }
}

/** What makes a run of this export different: its own settings and those of its connection. */
function exportKey(config: Config, exp: ExportConfig): string {
  return JSON.stringify([exp, config.connections[exp.connection] ?? null]);
}

function info(exp: ExportConfig): WatchedExportInfo {
  return {
    name: exp.name,
    segment: exp.segment,
    ...(exp.schedule !== undefined ? { schedule: exp.schedule, timezone: exp.timezone ?? localTimeZone() } : {}),
  };
}

