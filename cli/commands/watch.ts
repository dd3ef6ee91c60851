/**
 * `acsync watch`: the long-running form of `apply --auto-approve`. Syncs each export at start, then again when
 * its segment file changes and on its schedule, until Ctrl-C. The loop itself is engine/watch/session.ts; this
 * file parses flags, picks the output (Ink in a terminal, plain lines otherwise, JSON lines with --json) and
 * handles the signals.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../engine/config/load.ts';
import type { Diagnostic } from '../../engine/config/model.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { refreshFlag } from '../exec.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { internalErrorLines } from '../report/bug-report.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import { DEBOUNCE_MS, SHUTDOWN_GRACE_MS, startWatch, type WatchSession } from '../../engine/watch/session.ts';
import { formatDiagnostics } from '../diagnostics.ts';
import { maskEvent, maskResult } from '../report/mask.ts';
import { chooseReporterKind, isCI } from '../report/reporter.ts';

export const DEFAULT_CONFIG_FILE = 'acsync.yaml';
/** Exit code after a second Ctrl-C: 128 + SIGINT, what shells report for a process killed by it. */
export const EXIT_INTERRUPTED = 130;
/** The screen is redrawn at most this often: smooth to the eye, and cheap when an apply emits an event per contact. */
export const RENDER_INTERVAL_MS = 100;
/** How many notices (reloads, config errors, warnings) the screen keeps under the exports. */
export const NOTICES_SHOWN = 5;

export const WATCH_USAGE = `Usage: acsync watch [-c|--config PATH] [--export NAME]... [--plan-only] [--no-initial] [--refresh MODE] [--json] [--no-color]

Keeps ActiveCampaign lists in sync with their segments until stopped: the long-running form of
\`acsync apply --auto-approve\`. Changes ARE applied, without asking, unless --plan-only is given.

  - At start, every watched export is synced once (skip with --no-initial).
  - When a segment file changes (once the write has finished; bursts within ${DEBOUNCE_MS} ms count as one),
    the exports that read it are planned and applied. A change during a run queues one follow-up run.
  - Each export with a \`schedule\` (cron) also runs at those times, in its \`timezone\` or the local zone.
    A run still going when the next is due is not started twice.
  - Editing the config file reloads it: a valid config updates the watched files and schedules (new and
    changed exports sync at once); an invalid one is reported and the last good config keeps running.
  - A failed run (network down, rate limit, a bad segment row) is reported; the watch goes on.
  - Ctrl-C (or SIGTERM) stops: no new batch is sent, batches in flight are awaited (at most
    ${SHUTDOWN_GRACE_MS / 1000} s), a summary is printed, exit 0. A second Ctrl-C quits at once (exit ${EXIT_INTERRUPTED}).
  The safety guards of apply still hold: a run that would unsubscribe too many contacts is refused and reported.

Options:
  -c, --config PATH   the config file (default ./${DEFAULT_CONFIG_FILE})
      --export NAME   watch only this export (repeatable); default: every enabled export
      --plan-only     show what would change on each trigger; never apply
      --no-initial    do not sync at start; wait for a change or a schedule
      --refresh MODE  how lists are read: auto (default: through the local snapshot when it is fresh),
                      full (every member, snapshot rewritten), off (every member, no snapshot)
      --json          one JSON event per line on stdout (watch:* events and the engine's events)
      --no-color      no colours (also when NO_COLOR is set)
      --mask-emails   show a***@contoso.example in the output (default when CI is set)
      --no-mask-emails  show emails in full
  -h, --help          this help

Output: an updating screen on stderr in a terminal; otherwise append-only lines: the result of each run and the
closing summary on stdout, everything else (changes seen, runs started, retries, rate-limit waits) on stderr.`;

interface Flags {
  config: string;
  exports: string[];
  planOnly: boolean;
  initial: boolean;
  json: boolean;
  color: boolean;
  maskEmails: boolean;
  refresh?: RefreshMode;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Flags | { help: true } {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      export: { type: 'string', multiple: true },
      'plan-only': { type: 'boolean' },
      'no-initial': { type: 'boolean' },
      refresh: { type: 'string' },
      json: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      'mask-emails': { type: 'boolean' },
      'no-mask-emails': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help === true) return { help: true };
  const noColorEnv = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const refresh = refreshFlag(values);
  return {
    ...(refresh !== undefined ? { refresh } : {}),
    config: values.config ?? DEFAULT_CONFIG_FILE,
    exports: values.export ?? [],
    planOnly: values['plan-only'] === true,
    initial: values['no-initial'] !== true,
    json: values.json === true,
    color: values['no-color'] !== true && !noColorEnv,
    // CI logs are kept for months and read by people who need not see who is on a list (as for plan and apply).
    maskEmails: values['no-mask-emails'] === true ? false : values['mask-emails'] === true || isCI(env),
  };
}

/** An output for the session's events: JSON lines, plain lines, or the Ink screen. */
interface Output {
  event(e: WatchSessionEvent): void;
  close(summary: WatchSummary): Promise<void>;
}

export async function run(argv: string[]): Promise<number> {
  const env = process.env;
  let flags: Flags | { help: true };
  try {
    flags = parse(argv, env);
  } catch (e) {
    process.stderr.write(`acsync watch: ${e instanceof Error ? e.message : String(e)}\nRun \`acsync watch --help\` for the options.\n`);
    return 1;
  }
  if ('help' in flags) {
    process.stdout.write(WATCH_USAGE + '\n');
    return 0;
  }

  // The same choice as plan and apply make: Ink on a terminal outside CI, plain lines otherwise.
  const kind = chooseReporterKind({ json: flags.json, stderrIsTTY: process.stderr.isTTY === true, env });
  const output = kind === 'json' ? jsonOutput(flags.maskEmails) : kind === 'ink' ? await inkOutput(flags.color) : linesOutput();

  const refresh = flags.refresh;
  const started = await startWatch({
    configFile: flags.config,
    mode: flags.planOnly ? 'plan' : 'apply',
    exports: flags.exports,
    initial: flags.initial,
    env,
    sink: (e) => output.event(e),
    deps: {
      // Startup warnings (a missing API key variable, a segment file not there yet) are worth seeing once;
      // reloads check the same things and report them through watch:config-reloaded.
      loadConfig: (file) => loadConfig(file, { checks: { env, segmentFiles: true } }),
      runExports: (config, options) => runExports(config, { ...options, ...(refresh !== undefined ? { refresh } : {}) }),
    },
  });
  if (started.session === undefined) {
    showDiagnostics(started.diagnostics, flags);
    await output.close({ startedAt: Date.now(), stoppedAt: Date.now(), exports: [], unfinished: [] });
    process.stderr.write(`acsync watch: ${started.message}\n`);
    return 1;
  }
  showDiagnostics(started.diagnostics, flags);

  const summary = await untilSignal(started.session);
  await output.close(summary);
  return 0;
}

function showDiagnostics(list: Diagnostic[], flags: Flags): void {
  if (list.length === 0) return;
  if (flags.json) {
    for (const d of list) process.stdout.write(JSON.stringify({ type: 'diagnostic', diagnostic: d }) + '\n');
    return;
  }
  process.stderr.write(formatDiagnostics(list, { color: flags.color && process.stderr.isTTY === true }) + '\n');
}

/** Waits for SIGINT/SIGTERM, then stops the session gracefully; a second signal exits at once. */
function untilSignal(session: WatchSession): Promise<WatchSummary> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`\nacsync watch: ${signal} again: quitting without waiting for runs in flight\n`);
        process.exit(EXIT_INTERRUPTED);
      }
      stopping = true;
      session.stop({ signal }).then(
        (summary) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(summary);
        },
        (err: unknown) => {
          process.stderr.write(`acsync watch: internal error while stopping: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function jsonOutput(maskEmails: boolean): Output {
  return {
    event: (e) => void process.stdout.write(JSON.stringify(maskEmails ? maskWatchEvent(e) : e) + '\n'),
    close: async () => {},
  };
}

function isEngineEvent(e: WatchSessionEvent): e is EngineEvent {
  return !e.type.startsWith('watch:');
}

/** Emails and personal fields masked in engine events and in the run results that watch events carry. */
export function maskWatchEvent(e: WatchSessionEvent): WatchSessionEvent {
  if (isEngineEvent(e)) return maskEvent(e);
  if (e.type === 'watch:run-done' && e.result !== undefined) {
    const masked = maskResult({ mode: 'apply', ok: e.ok, changesPending: false, exports: [e.result] }).exports[0];
    return masked !== undefined ? { ...e, result: masked } : e;
  }
  return e;
}

function linesOutput(): Output {
  return {
    event(e) {
      const line = formatWatchLine(e);
      if (line === undefined) return;
      // A run's result is data (stdout); what led to it is progress (stderr), as for plan and apply.
      const stream = e.type === 'watch:run-done' ? process.stdout : process.stderr;
      stream.write(`${clock(eventTime(e))} ${line}\n`);
    },
    close: async (summary) => {
      if (summary.exports.length > 0) process.stdout.write(formatSummary(summary).join('\n') + '\n');
    },
  };
}

async function inkOutput(color: boolean): Promise<Output> {
  // Loaded only for a terminal: plain-line and JSON runs never load React.
  const [{ render }, React, { WatchView }, { initialStatus, reduceStatus }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../ui/WatchView.tsx'),
    import('../../engine/watch/status.ts'),
  ]);
  let status = initialStatus();
  const notices: string[] = [];
  const view = () => React.createElement(WatchView, { status, now: Date.now(), notices: [...notices], color });
  // On stderr, like the other commands' screens: stdout keeps only data (the closing summary).
  const instance = render(view(), { stdout: process.stderr, exitOnCtrlC: false, patchConsole: false });
  let dirty = false;
  let ticks = 0;
  const timer = setInterval(() => {
    // Redraw on change, and every second anyway for the "in 3m 20s" and "running for 4s" times.
    ticks++;
    if (dirty || ticks % Math.round(1000 / RENDER_INTERVAL_MS) === 0) instance.rerender(view());
    dirty = false;
  }, RENDER_INTERVAL_MS);
  return {
    event(e) {
      status = reduceStatus(status, e);
      if (isNotice(e)) {
        const line = formatWatchLine(e);
        if (line !== undefined) notices.push(`${clock(eventTime(e))} ${line}`);
        if (notices.length > NOTICES_SHOWN) notices.splice(0, notices.length - NOTICES_SHOWN);
      }
      dirty = true;
    },
    async close(summary) {
      clearInterval(timer);
      instance.rerender(view());
      instance.unmount();
      await instance.waitUntilExit();
      if (summary.exports.length > 0) process.stdout.write(formatSummary(summary).join('\n') + '\n');
    },
  };
}

function isNotice(e: WatchSessionEvent): boolean {
  return e.type === 'watch:config-error' || e.type === 'watch:config-reloaded' || e.type === 'watch:warning' || e.type === 'watch:change';
}

function eventTime(e: WatchSessionEvent): number {
  return 'at' in e && typeof e.at === 'number' ? e.at : Date.now();
}

function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

/** Paths under the working folder are shown relative to it, as the user typed them. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** One line per event that matters to a person reading a log; undefined for the rest (per-contact events...). */
export function formatWatchLine(e: WatchSessionEvent): string | undefined {
  switch (e.type) {
    case 'watch:ready': {
      const what = e.mode === 'plan' ? 'planning only (nothing is applied)' : 'applying changes';
      return `watching ${e.config}: ${plural(e.exports.length, 'export')}, ${plural(e.paths.length, 'file')}; ${what}. Ctrl-C to stop`;
    }
    case 'watch:change':
      return e.exports.length > 0 ? `changed: ${e.paths.map(shortPath).join(', ')} → ${e.exports.join(', ')}` : undefined;
    case 'watch:queued':
      return `${e.export}: ${e.reason} during a run: one more run queued`;
    case 'watch:run-start':
      return `${e.export}: run ${e.run} started (${e.reasons.join(', ')})`;
    case 'watch:run-done': {
      const where = e.error?.file !== undefined ? ` (${e.error.file}${e.error.line !== undefined ? `:${e.error.line}` : ''})` : '';
      if (e.error !== undefined) return [`${e.export}: run ${e.run} failed after ${seconds(e.durationMs)}: ${e.error.message}${where}${e.error.hint ? `\n  hint: ${e.error.hint}` : ''}`, ...internalErrorLines(e.error)].join('\n');
      const counts = e.result?.plan?.counts;
      const parts = counts ? (['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe', 'skip'] as const).filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${a}`) : [];
      const plan = parts.length > 0 ? parts.join(', ') : 'no changes';
      const applied = e.result?.applied !== undefined ? `; ${e.result.applied} applied${e.result.failed ? `, ${e.result.failed} failed` : ''}` : '';
      const firstFailure = e.result?.failures?.[0];
      const why = !e.ok && firstFailure !== undefined ? ` (first failure: ${firstFailure.reason})` : '';
      return `${e.export}: run ${e.run} ${e.ok ? 'done' : 'done with failures'} in ${seconds(e.durationMs)}: ${plan}${applied}${why}`;
    }
    case 'watch:config-error':
      return `${e.file} is invalid; the last good config keeps running:\n${formatDiagnostics(e.diagnostics, { color: false })}`;
    case 'watch:config-reloaded': {
      const parts = [e.added.length ? `added ${e.added.join(', ')}` : '', e.removed.length ? `removed ${e.removed.join(', ')}` : '', e.changed.length ? `changed ${e.changed.join(', ')}` : ''].filter(Boolean);
      const warn = e.diagnostics.length > 0 ? `\n${formatDiagnostics(e.diagnostics, { color: false })}` : '';
      return `${e.file} reloaded: ${parts.length > 0 ? parts.join('; ') : 'no export changed'}; watching ${plural(e.paths.length, 'file')}${warn}`;
    }
    case 'watch:schedule':
      return e.nextAt !== null ? `${e.export}: next scheduled run ${new Date(e.nextAt).toString().slice(0, 24)} (${e.schedule}, ${e.timezone})` : `${e.export}: schedule '${e.schedule}' has no future run`;
    case 'watch:warning':
      return `warning: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    case 'watch:stopping':
      return e.inFlight.length > 0 ? `stopping: no new batches; waiting up to ${seconds(e.graceMs)} for ${e.inFlight.join(', ')}` : 'stopping';
    case 'watch:stopped':
      return undefined;
    case 'ratelimit:wait':
      return e.ms >= 1000 ? `${e.connection}: waiting ${seconds(e.ms)} for the ActiveCampaign rate limit (${e.reason})` : undefined;
    case 'request:retry':
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
    lines.push(`  ${x.name}: ${plural(x.runs, 'run')}${failed}, ${plural(x.applied, 'change')} applied${x.failed > 0 ? `, ${x.failed} failed` : ''}`);
  }
  if (summary.unfinished.length > 0) lines.push(`  still running when the wait ran out: ${summary.unfinished.join(', ')} (run apply to finish what is missing)`);
  return lines;
}
