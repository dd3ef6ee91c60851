/**
 * Stage 5, plan: the pure planner (engine/plan.ts) fed with what the list holds and the desired segment as it
 * streams, then held to the connection's contact limit.
 */
import type { Config, ConnectionConfig, ExportConfig } from '../config/model.ts';
import { UserError } from '../errors.ts';
import type { ExportPlan, ObservedContact } from '../model.ts';
import { checkLimits, Planner } from '../plan.ts';
import type { RefusalMemory } from '../refusals/memory.ts';
import type { DesiredSegment } from './read-segment.ts';

export interface PlanInput {
  config: Config;
  exp: ExportConfig;
  connection: ConnectionConfig;
  observed: ObservedContact[];
  desired: DesiredSegment;
  /** Refusals remembered from earlier applies (none with --retry-rejected). */
  refusals?: RefusalMemory;
}

export interface PlanStageResult {
  plan: ExportPlan;
  /** Valid, distinct contacts in the segment. */
  segmentSize: number;
}

export async function planExportChanges(input: PlanInput): Promise<PlanStageResult> {
  const { config, exp, connection } = input;
  const planner = new Planner(input.observed, { export: exp.name, connection: exp.connection, listId: exp.listId, onLeave: exp.onLeave, ...(input.refusals !== undefined ? { refusals: input.refusals } : {}) });
  for await (const batch of input.desired.batches) for (const item of batch) planner.add(item);
  const plan = planner.finish();
  // Duplicates were valid rows too; the segment's size is its distinct contacts.
  const segmentSize = input.desired.validRows - plan.changes.filter((c) => c.reasonCode === 'duplicate-email').length;
  const limitProblem = checkLimits(plan, { ...(connection.contactLimit !== undefined ? { contactLimit: connection.contactLimit } : {}), currentActive: planner.observedActive });
  if (limitProblem !== undefined) {
    throw new UserError(
      `export '${exp.name}': ${limitProblem}`,
      `raise contactLimit on connection '${connection.id}' if your ActiveCampaign contract allows more`,
      config.displayFile,
      config.locations[`connections.${connection.id}.contactLimit`]?.line,
    );
  }
  return { plan, segmentSize };
}
