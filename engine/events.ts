/**
 * The engine never prints: it emits these typed events and the CLI picks a reporter (Ink in a terminal,
 * append-only lines in CI, NDJSON with --json). The `type` strings are the stable JSON event vocabulary.
 */
import type { Diagnostic } from './config/model.ts';
import type { Change, ChangeAction, ExportPlan } from './model.ts';

export type BatchKind = 'bulk_import' | 'contact_list' | 'contact_tag' | 'read_page';

export type EngineEvent =
  | { type: 'diagnostic'; diagnostic: Diagnostic }
  /** Planning of one export started. */
  | { type: 'plan:start'; export: string; connection: string; listId: string }
  /** Reading progress while planning: `phase` says what is being read. */
  | { type: 'plan:progress'; export: string; phase: 'segment' | 'list' | 'lookup'; done: number; total?: number }
  /**
   * How the list was read: in full, or through the local snapshot (only the members changed since fetched), or
   * without snapshot (--refresh=off). `reason` says why a full read was needed.
   */
  | { type: 'plan:list-read'; export: string; listId: string; mode: 'full' | 'incremental' | 'off'; fetched: number; members: number; reason?: string }
  | { type: 'plan:done'; export: string; plan: ExportPlan }
  /** Applying one export started; `total` counts the contacts that need a write. */
  | { type: 'apply:start'; export: string; total: number }
  | { type: 'batch:sent'; export: string; kind: BatchKind; id: string; contacts: number }
  /** A bulk batch still queued at ActiveCampaign after a while (reported about once a minute; AC gives no ETA). */
  | { type: 'batch:waiting'; export: string; id: string; batchId: string; waitedMs: number; status: string; outstanding?: number }
  | { type: 'batch:done'; export: string; kind: BatchKind; id: string; contacts: number; succeeded: number; failed: number }
  /** A contact whose change could not be applied (after retries). */
  | { type: 'change:failed'; export: string; email: string; action: ChangeAction; reason: string }
  /** A contact whose change was applied. Emitted for every applied change (reporters aggregate). */
  | { type: 'change:applied'; export: string; change: Change }
  /** The client waits for the account's rate budget (or a Retry-After). */
  | { type: 'ratelimit:wait'; connection: string; ms: number; reason: 'budget' | 'retry-after' | 'inherited' | 'backoff' }
  /**
   * One HTTP request goes out to ActiveCampaign (after its rate-budget wait). Reporters show requests per second
   * against the account's budget; when a client does not emit it, they simply show no rate.
   */
  | { type: 'request:sent'; connection: string; kind: string }
  /** A request is being retried; `inherited` when it was refused for a budget used before this run (not a warning). */
  | { type: 'request:retry'; connection: string; method: string; path: string; status?: number; attempt: number; delayMs: number; inherited?: true }
  | {
      type: 'apply:summary';
      export: string;
      applied: number;
      failed: number;
      /** Changes never sent because the run was stopped (SIGINT/SIGTERM); absent when none. */
      notSent?: number;
      /** Bulk batches sent again after they ended failed or interrupted, or outlasted their wait; absent when none. */
      batchesResent?: number;
      counts: Record<ChangeAction, number>;
      durationMs: number;
      requests: Record<string, number>;
    };

export type EventSink = (event: EngineEvent) => void;
