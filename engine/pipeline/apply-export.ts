/**
 * Stage 7, apply: one planned export, past its guards, carried out by the executor (engine/apply/executor.ts), the only
 * code that writes to ActiveCampaign.
 */
import { getAccountBudget } from '../activecampaign/rate-budget.ts';
import { DEFAULT_POLL_SPACING_MS } from '../apply/batches.ts';
import { applyChanges } from '../apply/executor.ts';
import { systemClock, type SleepClock } from '../clock.ts';
import type { EventSink } from '../events.ts';
import { hasChanges, type ExportRunResult } from '../model.ts';
import { writeRefusals } from '../refusals/file.ts';
import { nextMemory, sameMemory } from '../refusals/memory.ts';
import { unsubscribedTag } from '../tags.ts';
import { GUARD_HINT, guardProblems } from './guards.ts';
import type { PlannedExport } from './types.ts';

export interface ApplyExportOptions {
  sink: EventSink;
  signal?: AbortSignal;
  allowMassUnsubscribe?: boolean;
  clock?: SleepClock;
}

/** Applies one export and fills in `r` (its result, as planning left it). */
export async function applyExport(p: PlannedExport, r: ExportRunResult, options: ApplyExportOptions): Promise<ExportRunResult> {
  if (!hasChanges(p.plan)) {
    r.applied = 0;
    r.failed = 0;
    // Nothing to send, but remembered contacts now on the list or gone from the segment are forgotten.
    await rememberRefusals(p, { refusals: [], applied: new Set() }, options);
    return r;
  }
  const problems = guardProblems(p);
  if (problems.length > 0 && options.allowMassUnsubscribe !== true) {
    r.error = { kind: 'user', message: problems.join('; '), hint: GUARD_HINT };
    return r;
  }
  const limits = getAccountBudget(p.connection.hostname).currentLimits;
  const unsubscribedTagId = p.knownTagIds.get(unsubscribedTag(p.config.listId));
  // Which remembered contacts landed this time, read off the changes applied (the executor knows no memory).
  const appliedRemembered = new Set<string>();
  const sink: EventSink = (e) => {
    if (e.type === 'change:applied' && p.refusals.memory.has(e.change.key)) appliedRemembered.add(e.change.key);
    options.sink(e);
  };
  const outcome = await applyChanges({
    export: p.config.name,
    listId: p.config.listId,
    changes: p.plan.changes,
    api: p.api,
    fieldIds: p.fieldIds,
    unsubscribedTagLinks: p.unsubscribedTagLinks,
    ...(unsubscribedTagId !== undefined ? { unsubscribedTagId } : {}),
    knownTagIds: p.knownTagIds,
    extraTags: p.config.tags ?? [],
    excludeAutomations: p.config.excludeAutomations ?? false,
    ...(p.config.mapping.sensitive !== undefined ? { sensitive: p.config.mapping.sensitive } : {}),
    sink,
    // Polls get about 40% of the account's per-second budget, the rest is for imports and other exports.
    pollSpacingMs: Math.max(1, Math.round(DEFAULT_POLL_SPACING_MS * (5 / limits.requestsPerSecond))),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  r.applied = outcome.applied;
  r.failed = outcome.failed;
  if (outcome.notAttempted > 0) r.notSent = outcome.notAttempted;
  if (outcome.batchesResent > 0) r.batchesResent = outcome.batchesResent;
  await rememberRefusals(p, { refusals: outcome.refusals, applied: appliedRemembered }, options);
  r.durationMs += outcome.durationMs;
  r.failures = outcome.failures;
  sink({
    type: 'apply:summary',
    export: p.config.name,
    applied: outcome.applied,
    failed: outcome.failed,
    ...(outcome.notAttempted > 0 ? { notSent: outcome.notAttempted } : {}),
    ...(outcome.batchesResent > 0 ? { batchesResent: outcome.batchesResent } : {}),
    counts: p.plan.counts,
    durationMs: outcome.durationMs,
    requests: p.api.stats().byKind,
  });
  if (outcome.notAttempted > 0) {
    r.error = {
      kind: 'user',
      message: `stopped before ${outcome.notAttempted.toLocaleString('en-US')} ${outcome.notAttempted === 1 ? 'change was' : 'changes were'} sent`,
      hint: 'run apply again: it plans afresh and sends only what is still missing',
    };
  }
  return r;
}

/**
 * Writes the export's memory of refusals after its outcome is known (engine/refusals/memory.ts nextMemory), when
 * it changed. The changes are applied by then: a memory that cannot be written is a warning, not a failed export.
 */
async function rememberRefusals(p: PlannedExport, outcome: Parameters<typeof nextMemory>[2], options: ApplyExportOptions): Promise<void> {
  const at = new Date((options.clock ?? systemClock).now()).toISOString();
  const next = nextMemory(p.refusals.memory, p.plan, outcome, at);
  if (sameMemory(next, p.refusals.memory)) return;
  try {
    await writeRefusals(p.refusals.file, p.refusals.owner, next);
  } catch (err) {
    options.sink({
      type: 'diagnostic',
      diagnostic: {
        severity: 'warning',
        file: p.refusals.file,
        line: 0,
        column: 0,
        path: '',
        message: `could not write the refusals of export '${p.config.name}' (${(err as NodeJS.ErrnoException).code ?? String(err)}): the next plan plans them again`,
      },
    });
  }
}
