/**
 * What watch mode reports, on top of the engine's own events (which pass through unchanged while a run goes).
 * The `type` strings are part of the JSON vocabulary of `acsync watch --json`; `at` is epoch milliseconds.
 */
import type { Diagnostic } from '../config/model.ts';
import type { ErrorReport } from '../errors.ts';
import type { EngineEvent } from '../events.ts';
import type { ExportRunResult } from '../model.ts';

/** Why a run happened. A run that merged several triggers lists each reason once. */
export type RunReason = 'initial' | 'change' | 'schedule' | 'config' | 'poll';

export interface WatchedExportInfo {
  name: string;
  /** The segment path as written in the config. */
  segment: string;
  schedule?: string;
  /** The zone the schedule is read in (the config's, or the local zone). */
  timezone?: string;
}

/** A run that finished with a user-facing problem: what went wrong and what to do. */
/** Why a run failed: the user's, the remote's or our fault (engine/errors.ts). */
export type RunError = ErrorReport;

export interface ExportSummary {
  name: string;
  runs: number;
  /** Runs that ended with an error or with changes that could not be applied. */
  failedRuns: number;
  /** Changes applied over the whole session. */
  applied: number;
  /** Changes that failed over the whole session. */
  failed: number;
  lastRunOk?: boolean;
}

export interface WatchSummary {
  startedAt: number;
  stoppedAt: number;
  exports: ExportSummary[];
  /** Exports whose run was still going when the shutdown wait ran out. */
  unfinished: string[];
}

export type WatchEvent =
  | { type: 'watch:ready'; at: number; config: string; mode: 'plan' | 'apply'; exports: WatchedExportInfo[]; paths: string[] }
  /** Files changed (after the writes settled and the burst was debounced) and the exports that read them. */
  | { type: 'watch:change'; at: number; paths: string[]; exports: string[] }
  /** A trigger arrived while the export was running: one follow-up run is queued (further triggers merge into it). */
  | { type: 'watch:queued'; at: number; export: string; reason: RunReason }
  | { type: 'watch:run-start'; at: number; export: string; reasons: RunReason[]; run: number }
  | {
      type: 'watch:run-done';
      at: number;
      export: string;
      run: number;
      ok: boolean;
      durationMs: number;
      result?: ExportRunResult;
      error?: RunError;
    }
  /** The config file changed and is invalid: the last good config keeps running. */
  | { type: 'watch:config-error'; at: number; file: string; diagnostics: Diagnostic[] }
  | {
      type: 'watch:config-reloaded';
      at: number;
      file: string;
      added: string[];
      removed: string[];
      changed: string[];
      /** Every export watched from now on. */
      exports: WatchedExportInfo[];
      paths: string[];
      /** Warnings of the new config (it has no errors, or it would not have been taken). */
      diagnostics: Diagnostic[];
    }
  /** A schedule was armed; `nextAt` is null when the expression has no future occurrence. */
  | { type: 'watch:schedule'; at: number; export: string; schedule: string; timezone: string; nextAt: number | null }
  /** Something that does not stop the watch but may make it miss changes (the file watcher failed). */
  | { type: 'watch:warning'; at: number; message: string; hint?: string }
  | { type: 'watch:stopping'; at: number; signal?: string; inFlight: string[]; graceMs: number }
  | { type: 'watch:stopped'; at: number; summary: WatchSummary };

export type WatchSessionEvent = WatchEvent | EngineEvent;
export type WatchSink = (event: WatchSessionEvent) => void;
