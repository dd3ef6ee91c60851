/**
 * `acsync apply`: plans, asks (or not), and makes each ActiveCampaign list match its segment.
 * `acsync apply plan.json` applies a saved plan exactly, refusing before any write when its inputs changed.
 */
import { runAbortController } from '../../engine/abort.ts';
import { UserError } from '../../engine/errors.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { applyRun, changesPending, planRun, someExportFailedToPlan, type PlanRunOptions } from '../../engine/pipeline/run.ts';
import { readSavedPlan } from '../../engine/saved-plan.ts';
import path from 'node:path';
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
import { ApplyTally } from '../report/apply-tally.ts';
import { confirm, NO_TTY_MESSAGE } from '../report/reporter.ts';

const HELP = `Usage: acsync apply [PLAN_FILE] [options]

Plans every enabled export, shows the plan, asks for confirmation, then applies
it with batched upserts at the speed ActiveCampaign's rate limits allow. Exit 0
only when every change was applied.
With PLAN_FILE (from \`acsync plan --out\`), applies exactly that plan without
asking again, and refuses before any write when the config, a segment or the
ActiveCampaign list changed since it was made.

Options:
      --auto-approve            do not ask for confirmation (needed without a
                                terminal)
      --allow-mass-unsubscribe  apply even when an export would unsubscribe more
                                than its maxUnsubscribe, or when its segment is
                                empty or shrank by more than half
${REFRESH_HELP}
${RETRY_REJECTED_HELP}

${COMMON_HELP}

Terraform's spellings work too: -auto-approve.
`;

/** How long SIGINT waits for batches already sent before giving up on them (ACSYNC_STOP_GRACE, in seconds, changes it). */
const SIGINT_GRACE_MS = 30_000;

function stopGraceMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env['ACSYNC_STOP_GRACE']);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 600) * 1000 : SIGINT_GRACE_MS;
}

const parse = (argv: string[]) =>
  parseCommand(argv, { 'auto-approve': { type: 'boolean', default: false }, 'allow-mass-unsubscribe': { type: 'boolean', default: false }, ...REFRESH_OPTION, ...RETRY_REJECTED_OPTION }, true);

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let refresh: RefreshMode | undefined;
  try {
    parsed = parse(argv);
    refresh = refreshFlag(parsed.values);
  } catch (err) {
    return usageFailure('apply', err, io);
  }
  if (parsed.values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (parsed.positionals.length > 1) return usageFailure('apply', new Error('at most one plan file'), io);
  const flags = commonFlags(parsed.values, io.env);
  const configReporter = makeReporter('apply', flags, io, { live: false });
  const planFile = parsed.positionals[0];
  const saved = planFile === undefined ? undefined : await readSavedPlan(path.resolve(io.cwd, planFile)).catch((err: unknown) => err as Error);
  if (saved instanceof Error) {
    configReporter.notice(`acsync apply: ${saved.message}`);
    await configReporter.close();
    return 1;
  }
  if (saved !== undefined && parsed.values.config === undefined) flags.config = saved.config.file;
  // A saved plan is applied as it was planned: with or without the contacts ActiveCampaign refused before.
  const retryRejected = saved !== undefined ? saved.retryRejected === true : parsed.values['retry-rejected'] === true;
  if (saved !== undefined && parsed.values['retry-rejected'] === true && saved.retryRejected !== true) {
    configReporter.notice(`acsync apply: ${planFile} was planned without --retry-rejected; give --retry-rejected to \`acsync plan --out\` instead`);
    await configReporter.close();
    return 1;
  }
  const config = await loadOrReport(flags.config, configReporter, io);
  if (config === undefined) {
    await configReporter.close();
    return 1;
  }
  // Approval is needed unless a saved plan or --auto-approve gives it: without a terminal to ask in, say so now,
  // before a plan that can take half an hour on a large list, and before any request.
  const interactive = io.isTTY.stdin && io.isTTY.stderr && !flags.json;
  if (saved === undefined && parsed.values['auto-approve'] !== true && !interactive) {
    configReporter.notice(`acsync apply: ${NO_TTY_MESSAGE}`);
    await configReporter.close();
    return 1;
  }

  await configReporter.close();

  const controller = runAbortController();
  const tally = new ApplyTally();
  let interrupted = false;
  const graceMs = stopGraceMs(io.env);
  const onSigint = (): void => {
    if (interrupted) io.exit(130);
    interrupted = true;
    reporter.stopping(`acsync apply: stopping: no new batches; waiting up to ${Math.round(graceMs / 1000)} s for those already sent (Ctrl-C again to quit now)`);
    controller.abort();
    // A summary is always printed: when batches outlive the grace, it names them as of unknown fate.
    setTimeout(() => {
      reporter.notice(tally.graceSummary(graceMs));
      void Promise.race([reporter.close(), new Promise((r) => setTimeout(r, 2_000))]).then(() => io.exit(130));
    }, graceMs).unref();
  };
  const offSignals = [io.onSignal('SIGINT', onSigint), io.onSignal('SIGTERM', onSigint)];

  const reporter = makeReporter('apply', flags, io, { connectionNames: connectionNames(config) });
  // A saved plan is planned again only to prove nothing changed: those fresh plans are shown once proven equal to
  // it. Shown at once, a stale saved plan printed a fresh "Plan: …" and only then said it was stale.
  const heldPlans: EngineEvent[] = [];
  const options: PlanRunOptions = {
    mode: 'apply',
    env: io.env,
    sink: (e) => {
      tally.event(e);
      if (saved !== undefined && e.type === 'plan:done') heldPlans.push(e);
      else reporter.event(e);
    },
    signal: controller.signal,
    allowMassUnsubscribe: parsed.values['allow-mass-unsubscribe'] === true,
    ...(refresh !== undefined ? { refresh } : {}),
    ...(retryRejected ? { retryRejected } : {}),
    ...(saved !== undefined ? { savedPlan: saved } : { exports: flags.exports }),
  };
  try {
    // The engine decides what may be written (engine/pipeline/run.ts); this command only asks in between.
    const run = await planRun(config, options);
    if (run.staleProblems.length === 0) for (const e of heldPlans.splice(0)) reporter.event(e);
    if (run.staleProblems.length > 0) {
      await reporter.close();
      reporter.notice(`acsync apply: the saved plan ${planFile} is stale; nothing was applied:\n${run.staleProblems.map((p) => `  - ${p}`).join('\n')}\n  hint: run \`acsync plan --out ${planFile}\` again and review it`);
      return 1;
    }
    if (!someExportFailedToPlan(run) && changesPending(run) && !run.fromSavedPlan && parsed.values['auto-approve'] !== true) {
      const answer = await confirm('Apply these changes to ActiveCampaign?', { stdin: io.stdin, stdout: io.stderr }, reporter);
      if (answer !== 'yes') {
        await reporter.close();
        reporter.notice(`acsync apply: ${answer === 'interrupted' ? 'interrupted' : "cancelled (only 'yes' approves)"}; nothing was applied.`);
        return answer === 'interrupted' ? 130 : 1;
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
      reporter.notice(`acsync apply: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
      return 1;
    }
    throw err;
  } finally {
    for (const off of offSignals) off();
  }
}
