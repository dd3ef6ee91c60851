/**
 * Stage 7, apply: one planned export, past its guards, carried out by the executor (engine/apply/executor.ts), the only
 * code that writes to ActiveCampaign.
 */
import { getAccountBudget } from '../activecampaign/rate-budget.ts';
import { DEFAULT_POLL_SPACING_MS } from '../apply/batches.ts';
import { applyChanges } from '../apply/executor.ts';
import type { SleepClock } from '../clock.ts';
import type { EventSink } from '../events.ts';
import { hasChanges, type ExportRunResult } from '../model.ts';
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
  const { sink } = options;
  if (!hasChanges(p.plan)) {
    r.applied = 0;
    r.failed = 0;
    return r;
  }
  const problems = guardProblems(p);
  if (problems.length > 0 && options.allowMassUnsubscribe !== true) {
    r.error = { kind: 'user', message: problems.join('; '), hint: GUARD_HINT };
    return r;
  }
  const limits = getAccountBudget(p.connection.hostname).currentLimits;
  const unsubscribedTagId = p.knownTagIds.get(unsubscribedTag(p.config.listId));
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
    sink,
    // Polls get about 40% of the account's per-second budget, the rest is for imports and other exports.
    pollSpacingMs: Math.max(1, Math.round(DEFAULT_POLL_SPACING_MS * (5 / limits.requestsPerSecond))),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  r.applied = outcome.applied;
  r.failed = outcome.failed;
  if (outcome.notAttempted > 0) r.notSent = outcome.notAttempted;
  r.durationMs += outcome.durationMs;
  r.failures = outcome.failures;
  sink({
    type: 'apply:summary',
    export: p.config.name,
    applied: outcome.applied,
    failed: outcome.failed,
    ...(outcome.notAttempted > 0 ? { notSent: outcome.notAttempted } : {}),
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
