/**
 * The pipeline, in the order one export travels it; this file is the one place that calls the stages:
 *
 *   1. connect        (connect.ts)        the connection, its rules, the key, a client; sends nothing
 *   2. check local    (check-local.ts)    the segment source opens and has the mapped columns
 *   3. observe list   (observe-list.ts)   what ActiveCampaign holds, through the read-only port
 *   4. read segment   (read-segment.ts)   the desired contacts, streamed from the segment source
 *   5. plan           (plan-export.ts)    the pure diff, held to the contact limit
 *      look up        (look-up-newcomers.ts)  newcomers the account already has: subscribe, not create
 *   6. guards         (guards.ts)         mass-unsubscribe and shrunken-segment checks
 *   7. apply          (apply-export.ts)   the executor, the only writer
 *
 * and the rule for a run of several exports: **apply writes nothing at all while any selected export cannot be
 * planned** (README, Guarantees: "Never writes while it cannot plan"), nor from a saved plan whose inputs
 * changed. `acsync apply`, `acsync watch` and `acsync demo` all come through `planRun` and `applyRun`.
 */
import pMap from 'p-map';
import { NetworkError } from '../activecampaign/errors.ts';
import { systemClock } from '../clock.ts';
import type { Config, ExportConfig } from '../config/model.ts';
import { toErrorReport, UserError, type ErrorReport } from '../errors.ts';
import type { EngineEvent } from '../events.ts';
import { keepHeapCompact } from '../heap.ts';
import { hasChanges, type ExportRunResult, type RunResult } from '../model.ts';
import { checkSavedPlan, type SavedPlan } from '../saved-plan.ts';
import { sensitiveContent } from '../sensitive.ts';
import { applyExport } from './apply-export.ts';
import { checkLocal } from './check-local.ts';
import { guardProblems } from './guards.ts';
import { segmentRoots } from '../segment/locate.ts';
import { connect } from './connect.ts';
import { lookUpNewcomers } from './look-up-newcomers.ts';
import { observeList } from './observe-list.ts';
import { planExportChanges } from './plan-export.ts';
import { readSegment } from './read-segment.ts';
import { readRefusals, refusalsDirFor, refusalsPath } from '../refusals/file.ts';
import { memoryFingerprint } from '../refusals/memory.ts';
import path from 'node:path';
import type { PlannedExport, PlanOutcome, RunOptions } from './types.ts';

export type { PlannedExport, PlanOutcome, RunOptions } from './types.ts';

/** Exports planned or refused at once (each account's rate budget is shared by its exports, so this is fair). */
const EXPORT_CONCURRENCY = 8;

/** Selects the exports to run, in config order, refusing unknown names. */
export function selectExports(config: Config, names?: string[]): ExportConfig[] {
  const all = Object.values(config.exports);
  if (names === undefined || names.length === 0) return all.filter((e) => e.enabled);
  const out: ExportConfig[] = [];
  for (const name of names) {
    const exp = config.exports[name];
    if (exp === undefined) {
      throw new UserError(`no export named '${name}' in ${config.displayFile}`, `known exports: ${Object.keys(config.exports).join(', ') || '(none)'}`);
    }
    out.push(exp);
  }
  return out;
}

/** Stages 1 to 5 for one export. */
export async function planExport(config: Config, exp: ExportConfig, options: RunOptions): Promise<PlannedExport> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const env = options.env ?? process.env;
  const { sink, signal } = options;
  sink({ type: 'plan:start', export: exp.name, connection: exp.connection, listId: exp.listId });
  const { api, connection, keyedDigest } = connect(config, exp, env, sink);
  const source = await checkLocal(config, exp, segmentRoots(config.file, env), env);
  const refusals = await readExportRefusals(config, exp, connection.hostname, sink);
  let list: Awaited<ReturnType<typeof observeList>>;
  let planned: Awaited<ReturnType<typeof planExportChanges>>;
  try {
    list = await observeList({
      config,
      exp,
      connection,
      api,
      env,
      sink,
      clock,
      ...(options.refresh !== undefined ? { refresh: options.refresh } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    const desired = readSegment(source, exp, sink);
    planned = await planExportChanges({
      config,
      exp,
      connection,
      observed: list.observed,
      desired,
      ...(options.retryRejected === true ? {} : { refusals: refusals.memory }),
    });
  } finally {
    await source.close();
  }
  const { segmentSize } = planned;
  // Newcomers the account already has are subscribed, not created: the plan shows what that changes of theirs.
  const plan = await lookUpNewcomers({ exp, connection, api, plan: planned.plan, listMembers: list.observed.size, fieldIds: list.fieldIds, sink, ...(signal !== undefined ? { signal } : {}) });
  if (exp.mapping.sensitive !== undefined) plan.sensitive = [...exp.mapping.sensitive];
  if (exp.excludeAutomations === true && plan.counts.resubscribe > 0) plan.mayStartAutomations = plan.counts.resubscribe;
  const sensitive = sensitiveContent(plan);
  // Where the segment came from (engine, files, query hash, rows read, read time), and what it streamed.
  plan.source = { ...source.origin(), fingerprint: source.fingerprint() };
  // The guards apply will run, run now: a plan that apply would refuse says so, and how to pass it.
  const blockedBy = guardProblems({ config: exp, plan, managedActive: list.managedActive, segmentSize });
  if (blockedBy.length > 0 && hasChanges(plan)) plan.blockedBy = blockedBy;
  sink({ type: 'plan:done', export: exp.name, plan });
  return {
    config: exp,
    connection,
    api,
    plan,
    fieldIds: list.fieldIds,
    unsubscribedTagLinks: list.unsubscribedTagLinks,
    knownTagIds: list.knownTagIds,
    managedActive: list.managedActive,
    segmentSize,
    fingerprints: {
      segment: source.fingerprint(),
      list: list.fingerprint,
      refusals: memoryFingerprint(refusals.memory, plan),
      ...(sensitive !== undefined ? { sensitive: keyedDigest(sensitive) } : {}),
    },
    refusals,
    durationMs: clock.now() - started,
  };
}

/** The export's memory of refusals (engine/refusals/); an unusable file is reported and ignored. */
async function readExportRefusals(config: Config, exp: ExportConfig, hostname: string, sink: RunOptions['sink']): Promise<PlannedExport['refusals']> {
  const file = refusalsPath(refusalsDirFor(config.file), exp.name);
  const owner = { export: exp.name, hostname, listId: exp.listId };
  const read = await readRefusals(file, owner);
  if (read.problem !== undefined) {
    const shown = path.join(path.dirname(config.displayFile), path.relative(path.dirname(config.file), file));
    sink({
      type: 'diagnostic',
      diagnostic: {
        severity: 'warning',
        file: shown,
        line: 0,
        column: 0,
        path: '',
        message: `the refusals remembered for export '${exp.name}' are ignored: ${read.problem}; contacts ActiveCampaign refused before are planned again`,
        hint: 'delete the file; the next apply writes it afresh',
      },
    });
  }
  return { file, owner, memory: read.memory };
}

/** Plans the exports concurrently; an export that fails carries its error (user, remote or internal). */
export async function planExports(config: Config, exports: ExportConfig[], options: RunOptions): Promise<PlanOutcome[]> {
  return pMap(
    exports,
    async (exp): Promise<PlanOutcome> => {
      const clock = options.clock ?? systemClock;
      const started = clock.now();
      try {
        const planned = await planExport(config, exp, options);
        return { export: exp, planned, durationMs: clock.now() - started };
      } catch (err) {
        return { export: exp, error: planError(err, options.signal, config.connections[exp.connection]?.hostname), durationMs: clock.now() - started };
      }
    },
    { concurrency: EXPORT_CONCURRENCY },
  );
}

function planError(err: unknown, signal: AbortSignal | undefined, hostname: string | undefined): ErrorReport {
  // Stopped (SIGINT) while reading: whatever the read threw on the way out is the stop, not a bug.
  if (signal?.aborted === true) return { kind: 'user', message: 'stopped before planning finished', hint: 'nothing was applied for this export; run again to plan it' };
  const report = toErrorReport(err);
  // Nothing listens on this machine: with a loopback hostname that is the bundled emulator not started (the
  // quickstart points at 127.0.0.1:4010), not a network problem to wait out.
  if (err instanceof NetworkError && err.code === 'ECONNREFUSED' && hostname !== undefined && isLoopback(hostname)) {
    const port = /:(\d+)$/.exec(hostname)?.[1];
    report.hint = `nothing listens at ${hostname}: start the bundled emulator there with \`acsync emulator${port !== undefined && port !== '4010' ? ` --port ${port}` : ''}\` (in another terminal), or point the connection's hostname at your ActiveCampaign account`;
  }
  return report;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^https?:\/\//, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A run after planning, before any write: what `acsync apply` shows and asks about. */
export interface PlannedRun {
  outcomes: PlanOutcome[];
  /** With a saved plan: why it may no longer be applied (empty when it still matches the world). */
  staleProblems: string[];
  fromSavedPlan: boolean;
}

export interface PlanRunOptions extends RunOptions {
  /** Apply exactly this plan (from `acsync plan --out`): its exports are planned again only to check nothing changed. */
  savedPlan?: SavedPlan;
}

/** Stages 1 to 5 for every selected export (or those of the saved plan, which must plan to exactly its changes). */
export async function planRun(config: Config, options: PlanRunOptions): Promise<PlannedRun> {
  const saved = options.savedPlan;
  const names = saved !== undefined ? saved.exports.map((e) => e.export) : options.exports;
  const outcomes = await planExports(config, selectExports(config, names), options);
  if (saved === undefined) return { outcomes, staleProblems: [], fromSavedPlan: false };
  const staleProblems = await checkSavedPlan(saved, config, outcomes);
  if (staleProblems.length > 0) return { outcomes, staleProblems, fromSavedPlan: true };
  // checkSavedPlan proved each fresh plan equal to its saved changes: what apply shows is what it applies.
  return { outcomes, staleProblems: [], fromSavedPlan: true };
}

/** True when some export could not be planned: then apply writes nothing. */
export function someExportFailedToPlan(run: PlannedRun): boolean {
  return run.outcomes.some((o) => o.error !== undefined);
}

/** True when applying would change something. */
export function changesPending(run: PlannedRun): boolean {
  return run.outcomes.some((o) => o.planned !== undefined && hasChanges(o.planned.plan));
}

/** The result of a plan run. */
export function planResult(outcomes: PlanOutcome[]): RunResult {
  const exports = outcomes.map((o) => exportResult(o));
  return {
    mode: 'plan',
    ok: exports.every((e) => e.error === undefined),
    changesPending: outcomes.some((o) => o.planned !== undefined && hasChanges(o.planned.plan)),
    exports,
  };
}

/**
 * Stages 6 and 7 for every planned export, concurrently (exports on one account share its rate budget), under
 * the run's rule: nothing is written when any export failed to plan (a half-applied run is harder to reason
 * about, and the failed export may be the one whose guard would have stopped everything), or when the saved
 * plan is stale.
 */
export async function applyRun(run: PlannedRun, options: RunOptions): Promise<RunResult> {
  if (run.staleProblems.length > 0) {
    throw new UserError(`the saved plan is stale; nothing was applied: ${run.staleProblems.join('; ')}`, 'plan again with `acsync plan --out FILE` and review it');
  }
  if (someExportFailedToPlan(run)) {
    return { mode: 'apply', ok: false, changesPending: changesPending(run), exports: run.outcomes.map((o) => exportResult(o)) };
  }
  const stopHeapKeeper = keepHeapCompact();
  try {
    const exports = await pMap(
      run.outcomes,
      (o) => (o.planned === undefined ? exportResult(o) : applyExport(o.planned, exportResult(o), options)),
      { concurrency: EXPORT_CONCURRENCY },
    );
    return {
      mode: 'apply',
      ok: exports.every((r) => r.error === undefined && (r.failed ?? 0) === 0 && (r.notSent ?? 0) === 0),
      changesPending: exports.some((r) => (r.failed ?? 0) > 0 || (r.notSent ?? 0) > 0 || r.error !== undefined),
      exports,
    };
  } finally {
    stopHeapKeeper();
  }
}

/** Plans and, in apply mode, applies: what watch and the tests call (`acsync apply` asks in between). */
export async function runExports(config: Config, options: PlanRunOptions): Promise<RunResult> {
  const run = await planRun(config, options);
  if (options.mode === 'plan') return planResult(run.outcomes);
  return applyRun(run, options);
}

function exportResult(o: PlanOutcome): ExportRunResult {
  const r: ExportRunResult = { export: o.export.name, connection: o.export.connection, listId: o.export.listId, durationMs: o.durationMs };
  if (o.planned !== undefined) r.plan = o.planned.plan;
  if (o.error !== undefined) r.error = o.error;
  return r;
}

export type { EngineEvent };
