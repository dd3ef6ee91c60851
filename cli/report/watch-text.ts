/**
 * The words of `acsync watch` for people: one line per session event that matters in a log, and the closing
 * summary. Every watch output (plain lines, the notices under the Ink screen) says the same thing with these.
 */
import { errorLocation } from '../../engine/errors.ts';
import { internalErrorLines } from './bug-report.ts';
import path from 'node:path';
import { formatDiagnostics } from '../diagnostics.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import { num, plural } from './plan-text.ts';

/**
 * The events the Ink screen logs as notices above the exports: what changed, a failed run, and a run the schedule started (a
 * change is logged with its files; a scheduled run had no line at all, only the export's "last" line moving).
 */
export function isNotice(e: WatchSessionEvent): boolean {
  if (e.type === 'watch:run-start') return e.reasons.includes('schedule');
  // A failed run in full (message, location, hint): the screen's own line for it is cut at the terminal's width.
  if (e.type === 'watch:run-done') return !e.ok;
  return e.type === 'watch:config-error' || e.type === 'watch:config-reloaded' || e.type === 'watch:warning' || e.type === 'watch:change';
}

/** When the event happened: its `at`, or now for the engine's events (they carry no time). */
export function eventTime(e: WatchSessionEvent, now: () => number): number {
  return 'at' in e && typeof e.at === 'number' ? e.at : now();
}

/** `14:03:27`, local time. */
export function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

/** Paths under the working folder are shown relative to it, as the user typed them. */
function shortPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** One line per event that matters to a person reading a log; undefined for the rest (per-contact events...). */
export function formatWatchLine(e: WatchSessionEvent, cwd: string = process.cwd()): string | undefined {
  switch (e.type) {
    case 'watch:ready': {
      const what = e.mode === 'plan' ? 'planning only (nothing is applied)' : 'applying changes';
      return `watching ${e.config}: ${plural(e.exports.length, 'export')}, ${plural(e.paths.length, 'file')}; ${what}. Ctrl-C to stop`;
    }
    case 'watch:change':
      return e.exports.length > 0 ? `changed: ${e.paths.map((p) => shortPath(p, cwd)).join(', ')} → ${e.exports.join(', ')}` : undefined;
    case 'watch:queued':
      return `${e.export}: ${e.reason} during a run: one more run queued`;
    case 'watch:run-start':
      return `${e.export}: run ${e.run} started (${e.reasons.join(', ')})`;
    case 'watch:run-done': {
      const at = e.error === undefined ? undefined : errorLocation(e.error);
      const where = at !== undefined ? ` (${at})` : '';
      if (e.error !== undefined)
        return [
          `${e.export}: run ${e.run} failed after ${seconds(e.durationMs)}: ${e.error.message}${where}${e.error.hint ? `\n  hint: ${e.error.hint}` : ''}`,
          ...internalErrorLines(e.error),
        ].join('\n');
      const counts = e.result?.plan?.counts;
      const parts = counts
        ? (['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe', 'skip'] as const).filter((a) => counts[a] > 0).map((a) => `${num(counts[a])} ${a}`)
        : [];
      const plan = parts.length > 0 ? parts.join(', ') : 'no changes';
      const applied = e.result?.applied !== undefined ? `; ${num(e.result.applied)} applied${e.result.failed ? `, ${num(e.result.failed)} failed` : ''}` : '';
      const firstFailure = e.result?.failures?.[0];
      const why = !e.ok && firstFailure !== undefined ? ` (first failure: ${firstFailure.reason})` : '';
      return `${e.export}: run ${e.run} ${e.ok ? 'done' : 'done with failures'} in ${seconds(e.durationMs)}: ${plan}${applied}${why}`;
    }
    case 'watch:config-error':
      return `${e.file} is invalid; the last good config keeps running:\n${formatDiagnostics(e.diagnostics, { color: false })}`;
    case 'watch:config-reloaded': {
      const parts = [
        e.added.length ? `added ${e.added.join(', ')}` : '',
        e.removed.length ? `removed ${e.removed.join(', ')}` : '',
        e.changed.length ? `changed ${e.changed.join(', ')}` : '',
      ].filter(Boolean);
      const warn = e.diagnostics.length > 0 ? `\n${formatDiagnostics(e.diagnostics, { color: false })}` : '';
      return `${e.file} reloaded: ${parts.length > 0 ? parts.join('; ') : 'no export changed'}; watching ${plural(e.paths.length, 'file')}${warn}`;
    }
    case 'watch:schedule':
      return e.nextAt !== null
        ? `${e.export}: next scheduled run ${new Date(e.nextAt).toString().slice(0, 24)} (${e.schedule}, ${e.timezone})`
        : `${e.export}: schedule '${e.schedule}' has no future run`;
    case 'watch:warning':
      return `warning: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    case 'watch:stopping':
      return e.inFlight.length > 0 ? `stopping: no new batches; waiting up to ${seconds(e.graceMs)} for ${e.inFlight.join(', ')}` : 'stopping';
    case 'watch:stopped':
      return undefined;
    case 'ratelimit:wait':
      return e.ms >= (e.reason === 'inherited' ? 5000 : 1000)
        ? `${e.connection}: waiting ${seconds(e.ms)} for the ActiveCampaign rate limit (${e.reason})`
        : undefined;
    case 'request:retry':
      if (e.inherited === true) return undefined;
      return `${e.connection}: retrying ${e.method} ${e.path}${e.status !== undefined ? ` (HTTP ${e.status})` : ''}, attempt ${e.attempt}, in ${seconds(e.delayMs)}`;
    case 'diagnostic':
      return formatDiagnostics([e.diagnostic], { color: false });
    default:
      return undefined;
  }
}

/** The closing note: per export, runs and outcomes over the session. */
export function formatSummary(summary: WatchSummary): string[] {
  const lines = [`acsync watch stopped after ${seconds(summary.stoppedAt - summary.startedAt)}`];
  for (const x of summary.exports) {
    const failed = x.failedRuns > 0 ? ` (${x.failedRuns} failed)` : '';
    lines.push(`  ${x.name}: ${plural(x.runs, 'run')}${failed}, ${plural(x.applied, 'change')} applied${x.failed > 0 ? `, ${num(x.failed)} failed` : ''}`);
  }
  if (summary.unfinished.length > 0)
    lines.push(`  still running when the wait ran out: ${summary.unfinished.join(', ')} (run apply to finish what is missing)`);
  return lines;
}
