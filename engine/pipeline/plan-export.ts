/**
 * Stage 5, plan: the pure planner (engine/plan.ts) fed with what the list holds and the desired segment as it
 * streams, then held to the connection's contact limit.
 */
import type { Config, ConnectionConfig, ExportConfig, MappingConfig } from '../config/model.ts';
import { UserError } from '../errors.ts';
import type { ExportPlan } from '../model.ts';
import type { ObservedList } from '../observed-list.ts';
import { checkLimits, Planner } from '../plan.ts';
import type { RefusalMemory } from '../refusals/memory.ts';
import { TextRows, type SegmentBatch } from '../segment/text-rows.ts';
import type { DesiredSegment } from './read-segment.ts';

export interface PlanInput {
  config: Config;
  exp: ExportConfig;
  connection: ConnectionConfig;
  observed: ObservedList;
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
  const validRows = await planRows(planner, input.desired.batches, exp.mapping);
  const plan = planner.finish();
  // Duplicates were valid rows too; the segment's size is its distinct contacts.
  const segmentSize = validRows - plan.changes.filter((c) => c.reasonCode === 'duplicate-email').length;
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

/**
 * Feeds the segment's rows to the planner in their order, each normalised as the planner needs it
 * (Planner.addRow; Planner.addTextRows for rows still in bytes); returns the rows with a valid email (duplicates
 * included). The benchmarks call this too.
 */
export async function planRows(planner: Planner, batches: AsyncIterable<SegmentBatch>, mapping: MappingConfig): Promise<number> {
  let validRows = 0;
  for await (const batch of batches) {
    if (batch instanceof TextRows) {
      validRows += planner.addTextRows(batch, mapping);
      continue;
    }
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (planner.addRow(r.values, r.line, mapping, r.problem)) validRows++;
    }
  }
  return validRows;
}
