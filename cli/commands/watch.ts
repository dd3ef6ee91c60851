/**
 * `acsync watch`: the long-running form of `apply --auto-approve`. Syncs each export at start, then again when
 * its segment file changes and on its schedule, until Ctrl-C. The loop itself is engine/watch/session.ts; this
 * file parses flags, picks the output (Ink in a terminal, plain lines otherwise, JSON lines with --json) and
 * handles the signals. What it prints goes through the reporter family (cli/report/), as every command's output.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../engine/config/load.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import type { WatchSummary } from '../../engine/watch/events.ts';
import { DEBOUNCE_MS, SHUTDOWN_GRACE_MS, startWatch, type WatchSession } from '../../engine/watch/session.ts';
import { makeReporter, refreshFlag, usageMessage } from '../exec.ts';
import type { CliIo } from '../io.ts';
import { maskEmails } from '../report/output-policy.ts';
import type { Reporter } from '../report/reporter.ts';

export { maskWatchEvent } from '../report/mask.ts';
export { formatSummary, formatWatchLine } from '../report/watch-text.ts';

export const DEFAULT_CONFIG_FILE = 'acsync.yaml';
/** Exit code after a second Ctrl-C: 128 + SIGINT, what shells report for a process killed by it. */
export const EXIT_INTERRUPTED = 130;

export const WATCH_USAGE = `Usage: acsync watch [-c|--config PATH] [--export NAME]... [--plan-only]
                    [--no-initial] [--refresh MODE] [--retry-rejected] [--json]
                    [--no-color] [--mask-emails | --no-mask-emails]

Keeps ActiveCampaign lists in sync with their segments until stopped: the
long-running form of \`acsync apply --auto-approve\`. Changes ARE applied,
without asking, unless --plan-only is given.

  - At start, every watched export is synced once (skip with --no-initial).
  - When a segment file changes (once the write has finished; bursts within
    ${DEBOUNCE_MS} ms count as one), the exports that read it are planned and applied.
    A change during a run queues one follow-up run.
  - Each export with a \`schedule\` (cron) also runs at those times, in its
    \`timezone\` or the local zone. A run still going when the next is due is
    not started twice.
  - Editing the config file reloads it: a valid config updates the watched
    files and schedules (new and changed exports sync at once); an invalid one
    is reported and the last good config keeps running.
  - A failed run (network down, rate limit, a bad segment row) is reported;
    the watch goes on.
  - Ctrl-C (or SIGTERM) stops: no new batch is sent, batches in flight are
    awaited (at most ${SHUTDOWN_GRACE_MS / 1000} s), a summary is printed, exit 0. A second Ctrl-C
    quits at once (exit ${EXIT_INTERRUPTED}).
  The safety guards of apply still hold: a run that would unsubscribe too many
  contacts is refused and reported.

Options:
  -c, --config PATH     the config file (default ./${DEFAULT_CONFIG_FILE})
      --export NAME     watch only this export (repeatable); default: every
                        enabled export
      --plan-only       show what would change on each trigger; never apply
      --no-initial      do not sync at start; wait for a change or a schedule
      --refresh MODE    how lists are read: auto (default: through the local
                        snapshot when it is fresh), full (every member,
                        snapshot rewritten), off (every member, no snapshot)
      --retry-rejected  send contacts ActiveCampaign refused or skipped before
                        again (otherwise they are skipped, with the reason and
                        the date, while their row is unchanged)
      --json            one JSON event per line on stdout (watch:* events and
                        the engine's events)
      --no-color        no colours (also when NO_COLOR is set)
      --mask-emails     show a***@contoso.example in the output (the default
                        when CI is set)
      --no-mask-emails  show emails in full
  -h, --help            this help

Output: an updating screen on stderr in a terminal; otherwise append-only lines:
the result of each run and the closing summary on stdout, everything else
(changes seen, runs started, retries, rate-limit waits) on stderr.`;

interface Flags {
  config: string;
  exports: string[];
  planOnly: boolean;
  initial: boolean;
  json: boolean;
  noColor: boolean;
  maskEmails: boolean;
  refresh?: RefreshMode;
  retryRejected: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Flags | { help: true } {
  const options = {
    config: { type: 'string', short: 'c' },
    export: { type: 'string', multiple: true },
    'plan-only': { type: 'boolean' },
    'no-initial': { type: 'boolean' },
    refresh: { type: 'string' },
    json: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    'mask-emails': { type: 'boolean' },
    'no-mask-emails': { type: 'boolean' },
    'retry-rejected': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new Error(usageMessage(err, Object.keys(options)));
  }
  if (values.help === true) return { help: true };
  const refresh = refreshFlag(values);
  return {
    ...(refresh !== undefined ? { refresh } : {}),
    config: values.config ?? DEFAULT_CONFIG_FILE,
    exports: values.export ?? [],
    planOnly: values['plan-only'] === true,
    retryRejected: values['retry-rejected'] === true,
    initial: values['no-initial'] !== true,
    json: values.json === true,
    noColor: values['no-color'] === true,
    maskEmails: maskEmails({ mask: values['mask-emails'] === true, noMask: values['no-mask-emails'] === true }, env),
  };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const env = io.env;
  let flags: Flags | { help: true };
  try {
    flags = parse(argv, env);
  } catch (e) {
    io.stderr.write(`acsync watch: ${e instanceof Error ? e.message : String(e)}\nRun \`acsync watch --help\` for the options.\n`);
    return 1;
  }
  if ('help' in flags) {
    io.stdout.write(WATCH_USAGE + '\n');
    return 0;
  }

  // The same choice as plan and apply make: Ink on a terminal outside CI, plain lines otherwise, JSON with --json.
  const reporter = makeReporter('watch', { ...flags, full: false }, io);
  const refresh = flags.refresh;
  const retryRejected = flags.retryRejected;
  const started = await startWatch({
    configFile: flags.config,
    mode: flags.planOnly ? 'plan' : 'apply',
    exports: flags.exports,
    initial: flags.initial,
    env,
    sink: (e) => reporter.watchEvent(e),
    deps: {
      // Startup warnings (a missing API key variable, a segment file not there yet) are worth seeing once;
      // reloads check the same things and report them through watch:config-reloaded.
      loadConfig: (file) => loadConfig(file, { cwd: io.cwd, checks: { env, segmentFiles: true } }),
      runExports: (config, options) =>
        runExports(config, { ...options, env, ...(refresh !== undefined ? { refresh } : {}), ...(retryRejected ? { retryRejected } : {}) }),
    },
  });
  if (started.diagnostics.length > 0) reporter.config({ file: flags.config, diagnostics: started.diagnostics });
  if (started.session === undefined) {
    await reporter.close();
    reporter.notice(`acsync watch: ${started.message}`);
    return 1;
  }
  const summary = await untilSignal(started.session, reporter, io);
  reporter.watchStopped(summary);
  await reporter.close();
  return 0;
}

/** Waits for SIGINT/SIGTERM, then stops the session gracefully; a second signal exits at once. */
function untilSignal(session: WatchSession, reporter: Reporter, io: CliIo): Promise<WatchSummary> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        reporter.notice(`\nacsync watch: ${signal} again: quitting without waiting for runs in flight`);
        io.exit(EXIT_INTERRUPTED);
      }
      stopping = true;
      session.stop({ signal }).then(
        (summary) => {
          for (const off of offSignals) off();
          resolve(summary);
        },
        (err: unknown) => {
          reporter.notice(`acsync watch: internal error while stopping: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          io.exit(1);
        },
      );
    };
    const offSignals = [io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal)];
  });
}
