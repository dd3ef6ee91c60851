/** `acsync plan`: shows what would change in each ActiveCampaign list, and why. Reads only; never writes. */
import { runAbortController } from '../../engine/abort.ts';
import { UserError } from '../../engine/errors.ts';
import { planExports, planResult, selectExports } from '../../engine/pipeline/run.ts';
import {
  COMMON_HELP,
  commonFlags,
  connectionNames,
  exitCode,
  loadOrReport,
  makeReporter,
  parseCommand,
  REFRESH_HELP,
  REFRESH_OPTION,
  refreshFlag,
  RETRY_REJECTED_HELP,
  RETRY_REJECTED_OPTION,
  usageFailure,
} from '../exec.ts';
import type { CliIo } from '../io.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { writeSavedPlan } from '../../engine/saved-plan.ts';
import path from 'node:path';

const HELP = `Usage: acsync plan [options]

Reads each enabled export's segment and its ActiveCampaign list, and shows what
apply would change: who is created, updated, subscribed, re-subscribed,
unsubscribed, left alone or skipped, and why. Nothing is written.

Options:
      --detailed-exitcode       exit 0: no changes, 2: changes pending,
                                1: error (as terraform does)
      --out FILE                save the plan for \`acsync apply FILE\` (JSON,
                                mode 0600: it holds personal data)
      --pr-comment              on GitHub Actions (pull_request events): the
                                plan as one comment on the pull request, updated
                                on every push; always masked (needs GITHUB_TOKEN
                                with pull-requests: write)
${REFRESH_HELP}
${RETRY_REJECTED_HELP}

${COMMON_HELP}

Terraform's spellings work too: -out=FILE, -detailed-exitcode.
`;

const parse = (argv: string[]) =>
  parseCommand(argv, {
    'detailed-exitcode': { type: 'boolean', default: false },
    out: { type: 'string' },
    'pr-comment': { type: 'boolean', default: false },
    ...REFRESH_OPTION,
    ...RETRY_REJECTED_OPTION,
  });

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let refresh: RefreshMode | undefined;
  try {
    parsed = parse(argv);
    refresh = refreshFlag(parsed.values);
  } catch (err) {
    return usageFailure('plan', err, io);
  }
  if (parsed.values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const flags = commonFlags(parsed.values, io.env);
  const configReporter = makeReporter('plan', flags, io, { live: false });
  const config = await loadOrReport(flags.config, configReporter, io);
  await configReporter.close();
  if (config === undefined) return 1;
  const reporter = makeReporter('plan', flags, io, { connectionNames: connectionNames(config) });
  // Ctrl-C stops reading (plan writes nothing, so nothing waits) and lets the screen close properly: killed by the
  // signal, Ink's last frame, a spinner and "reading list", stayed frozen above the shell prompt.
  const controller = runAbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) {
      void Promise.race([reporter.close(), new Promise((r) => setTimeout(r, 1_000))]).then(() => io.exit(130));
      return;
    }
    interrupted = true;
    controller.abort();
    reporter.stopping('acsync plan: stopping (Ctrl-C again to quit now)');
  };
  const offSignals = [io.onSignal('SIGINT', onSigint), io.onSignal('SIGTERM', onSigint)];
  try {
    const exports = selectExports(config, flags.exports);
    const retryRejected = parsed.values['retry-rejected'] === true;
    const outcomes = await planExports(config, exports, {
      mode: 'plan',
      env: io.env,
      sink: (e) => reporter.event(e),
      signal: controller.signal,
      ...(refresh !== undefined ? { refresh } : {}),
      ...(retryRejected ? { retryRejected } : {}),
    });
    if (interrupted) {
      await reporter.close();
      reporter.notice('acsync plan: interrupted; no plan was made.');
      return 130;
    }
    const result = planResult(outcomes);
    const out = parsed.values.out;
    if (typeof out === 'string' && result.ok) await writeSavedPlan(path.resolve(io.cwd, out), config, outcomes, { retryRejected });
    reporter.result(result);
    await reporter.close();
    if (typeof out === 'string' && !result.ok) reporter.notice(`acsync plan: the plan was not saved to ${out}: some exports could not be planned`);
    if (parsed.values['pr-comment'] === true) {
      const { postPlanComment } = await import('../github/pr-comment.ts');
      await postPlanComment(result, { configFile: flags.config, config, full: flags.full, env: io.env, stderr: io.stderr });
    }
    return exitCode(result, parsed.values['detailed-exitcode'] === true);
  } catch (err) {
    await reporter.close();
    if (err instanceof UserError) {
      reporter.notice(`acsync plan: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
      return 1;
    }
    throw err;
  } finally {
    for (const off of offSignals) off();
  }
}
