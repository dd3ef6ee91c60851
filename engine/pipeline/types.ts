/** What the pipeline's stages hand each other and return (engine/pipeline/run.ts calls them in order). */
import type { ActiveCampaignApi } from '../activecampaign/api.ts';
import type { SleepClock } from '../clock.ts';
import type { ConnectionConfig, ExportConfig } from '../config/model.ts';
import type { ErrorReport } from '../errors.ts';
import type { EventSink } from '../events.ts';
import type { ExportPlan } from '../model.ts';
import type { RefreshMode } from '../snapshot/read-list.ts';
import type { RefusalsOwner } from '../refusals/file.ts';
import type { RefusalMemory } from '../refusals/memory.ts';

export interface RunOptions {
  mode: 'plan' | 'apply';
  /** Export names to run; all enabled exports when absent. */
  exports?: string[];
  sink: EventSink;
  /** Aborting stops new work: no new batch is sent; batches in flight are awaited. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Let apply unsubscribe more than an export's maxUnsubscribe, or follow a segment that emptied or halved. */
  allowMassUnsubscribe?: boolean;
  /** How lists are read: through the local snapshot (auto), in full (and re-snapshotted), or without snapshot (off). */
  refresh?: RefreshMode;
  /** Time (engine/clock.ts); the system's by default. */
  clock?: SleepClock;
  /** Plan contacts ActiveCampaign refused before as if it never had (`--retry-rejected`). */
  retryRejected?: boolean;
}

/** Everything planning learned about one export that applying it needs. */
export interface PlannedExport {
  config: ExportConfig;
  connection: ConnectionConfig;
  /** The write port, for the apply stage only (planning went through the read port). */
  api: ActiveCampaignApi;
  plan: ExportPlan;
  fieldIds: Map<string, string>;
  unsubscribedTagLinks: Map<string, string>;
  /** Ids of acsync's tags for the list that already exist in the account, by name. */
  knownTagIds: Map<string, string>;
  /** Contacts acsync manages on the list (its managed tag, active or unconfirmed). */
  managedActive: number;
  /** Valid, distinct contacts in the segment. */
  segmentSize: number;
  /** Hashes of what the plan was computed from (saved plans refuse to apply when they change). */
  fingerprints: { segment: string; list: string; refusals: string; sensitive?: string };
  /** The export's memory of refusals as planning read it, and where apply writes it back (engine/refusals/). */
  refusals: { file: string; owner: RefusalsOwner; memory: RefusalMemory };
  durationMs: number;
}

/** One export after planning: planned, or the error that stopped it. */
export type PlanOutcome = { export: ExportConfig; planned?: PlannedExport; error?: ErrorReport; durationMs: number };
