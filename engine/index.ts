/**
 * The public API of the `acsync` package (`import { loadConfig, runExports } from 'acsync'`): what the CLI itself
 * is built on. The compiled package ships type declarations for this module and what it names; everything
 * else under dist/ is internal and may change in any release.
 */
export { loadConfig, type LoadOptions } from './config/load.ts';
export type { Config, ConnectionConfig, Diagnostic, ExportConfig } from './config/model.ts';
export { planExports, planResult, runExports, selectExports, type PlanOutcome, type PlannedExport, type RunOptions } from './pipeline/run.ts';
export { UserError } from './errors.ts';
export { readSavedPlan, SAVED_PLAN_FORMAT, SAVED_PLAN_VERSION, type SavedPlan } from './saved-plan.ts';
export type { EngineEvent, EventSink } from './events.ts';
export type { Change, ChangeAction, ChangeCounts, ExportPlan, ExportRunResult, RunResult } from './model.ts';
