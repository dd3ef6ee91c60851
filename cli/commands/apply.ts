/**
 * `acsync apply`: plans, asks (or not), and makes each ActiveCampaign list match its segment.
 * `acsync apply plan.json` applies a saved plan exactly, refusing before any write when its inputs changed.
 */
import { UserError } from '../../engine/errors.ts';
import { applyRun, changesPending, planRun, someExportFailedToPlan, type PlanRunOptions } from '../../engine/pipeline/run.ts';
import { readSavedPlan } from '../../engine/saved-plan.ts';
import { COMMON_HELP, commonFlags, exitCode, loadOrReport, makeReporter, parseCommand, REFRESH_HELP, REFRESH_OPTION, refreshFlag, usageFailure } from '../exec.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { confirm, NO_TTY_MESSAGE } from '../report/reporter.ts';

const HELP = `Usage: acsync apply [PLAN_FILE] [options]

Plans every enabled export, shows the plan, asks for confirmation, then applies it with batched upserts at the
speed ActiveCampaign's rate limits allow. Exit 0 only when every change was applied.
With PLAN_FILE (from \`acsync plan --out\`), applies exactly that plan without asking again, and refuses before
any write when the config, a segment file or the ActiveCampaign list changed since it was made.

Options:
${COMMON_HELP}
      --auto-approve            do not ask for confirmation (needed without a terminal)
      --allow-mass-unsubscribe  apply even when an export would unsubscribe more than its maxUnsubscribe,
                                or when its segment is empty or shrank by more than half
${REFRESH_HELP}
`;

/** How long SIGINT waits for batches already sent before giving up on them. */
const SIGINT_GRACE_MS = 30_000;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  let refresh: RefreshMode | undefined;
  try {
    parsed = parseCommand(
      argv,
      { 'auto-approve': { type: 'boolean', default: false }, 'allow-mass-unsubscribe': { type: 'boolean', default: false }, ...REFRESH_OPTION },
      true,
    );
    refresh = refreshFlag(parsed.values);
  } catch (err) {
    return usageFailure('apply', err);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.positionals.length > 1) return usageFailure('apply', new Error('at most one plan file'));
  const flags = commonFlags(parsed.values);
  const planFile = parsed.positionals[0];
  const saved = planFile === undefined ? undefined : await readSavedPlan(planFile).catch((err: unknown) => err as Error);
  if (saved instanceof Error) {
    process.stderr.write(`acsync apply: ${saved.message}\n`);
    return 1;
  }
  if (saved !== undefined && parsed.values.config === undefined) flags.config = saved.config.file;
  const config = await loadOrReport(flags);
  if (config === undefined) return 1;

  const controller = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nacsync apply: stopping: no new batches; waiting for those already sent (Ctrl-C again to quit now)\n');
    controller.abort();
    setTimeout(() => process.exit(130), SIGINT_GRACE_MS).unref();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const reporter = makeReporter('apply', flags, config);
  const options: PlanRunOptions = {
    mode: 'apply',
    sink: (e) => reporter.event(e),
    signal: controller.signal,
    allowMassUnsubscribe: parsed.values['allow-mass-unsubscribe'] === true,
    ...(refresh !== undefined ? { refresh } : {}),
    ...(saved !== undefined ? { savedPlan: saved } : { exports: flags.exports }),
  };
  try {
    // The engine decides what may be written (engine/pipeline/run.ts); this command only asks in between.
    const run = await planRun(config, options);
    if (run.staleProblems.length > 0) {
      await reporter.close();
      process.stderr.write(`acsync apply: the saved plan ${planFile} is stale; nothing was applied:\n${run.staleProblems.map((p) => `  - ${p}`).join('\n')}\n  hint: run \`acsync plan --out ${planFile}\` again and review it\n`);
      return 1;
    }
    if (!someExportFailedToPlan(run) && changesPending(run) && !run.fromSavedPlan && parsed.values['auto-approve'] !== true) {
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true && !flags.json;
      if (!interactive) {
        await reporter.close();
        process.stderr.write(`acsync apply: ${NO_TTY_MESSAGE}\n`);
        return 1;
      }
      const yes = await confirm('Apply these changes to ActiveCampaign?', { stdin: process.stdin, stdout: process.stderr });
      if (!yes) {
        await reporter.close();
        process.stderr.write('acsync apply: cancelled; nothing was applied.\n');
        return 1;
      }
    }
    const result = await applyRun(run, options);
    reporter.result(result);
    await reporter.close();
    if (interrupted) return 130;
    return exitCode(result, false);
  } catch (err) {
    await reporter.close();
    if (err instanceof UserError) {
      process.stderr.write(`acsync apply: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
