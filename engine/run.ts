/**
 * Runs exports end to end: for each export, connect, read what ActiveCampaign has, read the segment, plan, and
 * (for apply) carry the plan out. The CLI commands (plan, apply, watch, demo) all go through here; the planner
 * stays pure and the executor stays the only writer.
 */
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import type { ActiveCampaignApi } from './activecampaign/api.ts';
import { createActiveCampaignClient } from './activecampaign/client.ts';
import { getAccountBudget, type RateLimits } from './activecampaign/rate-budget.ts';
import { applyChanges, DEFAULT_POLL_SPACING_MS } from './apply.ts';
import { resolveApiKey } from './config/load.ts';
import type { Config, ConnectionConfig, ExportConfig } from './config/model.ts';
import type { EngineEvent, EventSink } from './events.ts';
import { hasChanges, type ExportPlan, type ExportRunResult, type ObservedContact, type RunResult } from './model.ts';
import { toObserved } from './observe.ts';
import { checkLimits, Planner } from './plan.ts';
import { readDesiredFromSource } from './segment/sources/desired.ts';
import { openSegmentSource } from './segment/sources/open.ts';
import { isSkippedRow } from './segment/normalize.ts';
import { managedTag, unsubscribedTag } from './tags.ts';
import { cacheDirFor } from './snapshot/file.ts';
import { keepHeapCompact } from './heap.ts';
import { readListMembersCached, snapshotSettings, type RefreshMode } from './snapshot/read-list.ts';

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
}

/** Everything planning learned about one export that applying it needs. */
export interface PlannedExport {
  config: ExportConfig;
  connection: ConnectionConfig;
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
  fingerprints: { segment: string; list: string };
  durationMs: number;
}

export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Selects the exports to run, in config order, refusing unknown names. */
export function selectExports(config: Config, names?: string[]): ExportConfig[] {
  const all = Object.values(config.exports);
  if (names === undefined || names.length === 0) return all.filter((e) => e.enabled);
  const out: ExportConfig[] = [];
  for (const name of names) {
    const exp = config.exports[name];
    if (exp === undefined) {
      throw new UserFacingError(
        `no export named '${name}' in ${config.displayFile}`,
        `known exports: ${Object.keys(config.exports).join(', ') || '(none)'}`,
      );
    }
    out.push(exp);
  }
  return out;
}

export async function runExports(config: Config, options: RunOptions): Promise<RunResult> {
  const selected = selectExports(config, options.exports);
  const planned = await planExports(config, selected, options);
  if (options.mode === 'plan') return planResult(planned);
  return applyPlanned(planned, options);
}

export type PlanOutcome = { export: ExportConfig; planned?: PlannedExport; error?: ExportRunResult['error']; durationMs: number };

/** Plans the exports concurrently (each account's rate budget is shared by its exports, so this is fair). */
export async function planExports(config: Config, exports: ExportConfig[], options: RunOptions): Promise<PlanOutcome[]> {
  return pMap(
    exports,
    async (exp): Promise<PlanOutcome> => {
      const started = Date.now();
      try {
        const planned = await planExport(config, exp, options);
        return { export: exp, planned, durationMs: Date.now() - started };
      } catch (err) {
        return { export: exp, error: toUserError(err), durationMs: Date.now() - started };
      }
    },
    { concurrency: 8 },
  );
}

export function planResult(outcomes: PlanOutcome[]): RunResult {
  const exports = outcomes.map((o) => exportResult(o));
  return {
    mode: 'plan',
    ok: exports.every((e) => e.error === undefined),
    changesPending: outcomes.some((o) => o.planned !== undefined && hasChanges(o.planned.plan)),
    exports,
  };
}

function exportResult(o: PlanOutcome): ExportRunResult {
  const r: ExportRunResult = {
    export: o.export.name,
    connection: o.export.connection,
    listId: o.export.listId,
    durationMs: o.durationMs,
  };
  if (o.planned !== undefined) r.plan = o.planned.plan;
  if (o.error !== undefined) r.error = o.error;
  return r;
}

/** Limits for clients, from the environment: only for running against a scaled-up emulator (tests, benchmarks). */
function limitsFromEnv(env: NodeJS.ProcessEnv): Partial<RateLimits> | undefined {
  const raw = env['ACSYNC_RATE_LIMITS'];
  if (raw === undefined || raw === '') return undefined;
  const out: Partial<RateLimits> = {};
  for (const part of raw.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) continue;
    if (k === 'rps') out.requestsPerSecond = n;
    else if (k === 'bulk') out.bulkPerMinute = n;
    else if (k === 'single') out.bulkSinglePerMinute = n;
  }
  return out;
}

function connect(config: Config, exp: ExportConfig, env: NodeJS.ProcessEnv, sink: EventSink): { api: ActiveCampaignApi; connection: ConnectionConfig } {
  const connection = config.connections[exp.connection];
  if (connection === undefined) throw new UserFacingError(`export '${exp.name}' names unknown connection '${exp.connection}'`);
  // The connector's rules, checked again here so that no request is ever made for an export the config forbids,
  // whatever path led here (a stale saved plan, a watch reload...).
  if (!connection.dataPrivacyConsent) {
    throw new UserFacingError(
      `connection '${connection.id}' has no data privacy consent: no data may leave`,
      `set dataPrivacyConsent: true on connection '${connection.id}' once you agree that data leaves for ActiveCampaign`,
      config.displayFile,
      config.locations[`connections.${connection.id}.dataPrivacyConsent`]?.line ?? config.locations[`connections.${connection.id}`]?.line,
    );
  }
  if (!config.roles.admins.includes(connection.exportUser)) {
    throw new UserFacingError(`connection '${connection.id}': exportUser ${connection.exportUser} is not an admin`);
  }
  const allowed = connection.usableBy === 'admins' ? config.roles.admins : [...config.roles.admins, ...config.roles.contributors];
  if (!allowed.includes(exp.owner)) {
    throw new UserFacingError(`export '${exp.name}': owner ${exp.owner} may not use connection '${connection.id}' (usableBy: ${connection.usableBy})`);
  }
  const key = resolveApiKey(connection, env);
  if ('error' in key) throw new UserFacingError(key.error, key.hint, config.displayFile, config.locations[`connections.${connection.id}.apiKey`]?.line);
  const limits = limitsFromEnv(env);
  const api = createActiveCampaignClient({
    connection: connection.id,
    hostname: connection.hostname,
    apiKey: key.key,
    apiKeyEnv: connection.apiKeyEnv,
    budget: getAccountBudget(connection.hostname, limits),
    onEvent: sink,
  });
  return { api, connection };
}

export async function planExport(config: Config, exp: ExportConfig, options: RunOptions): Promise<PlannedExport> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const sink = options.sink;
  sink({ type: 'plan:start', export: exp.name, connection: exp.connection, listId: exp.listId });
  const { api, connection } = connect(config, exp, env, sink);
  // Reading the list checks the key too (a 403 becomes the same AuthError), one request fewer per plan.
  await api.getList(exp.listId, options.signal);

  // Custom fields: every mapped personalization tag must exist in the account.
  const fieldIds = new Map<string, string>();
  const perstagByFieldId = new Map<string, string>();
  const mapped = Object.keys(exp.mapping.fields);
  if (mapped.length > 0) {
    const fields = await api.listFields(options.signal);
    const byTag = new Map(fields.map((f) => [f.perstag.toUpperCase(), f]));
    for (const perstag of mapped) {
      const field = byTag.get(perstag.toUpperCase());
      if (field === undefined) {
        const pos = config.locations[`exports.${exp.name}.mapping.fields.${perstag}`];
        throw new UserFacingError(
          `export '${exp.name}': ActiveCampaign has no custom field with personalization tag ${perstag} (connection '${connection.id}')`,
          `create the field in ActiveCampaign (Contacts > Fields) with the tag %${perstag}%, or fix the mapping; existing tags: ${fields.map((f) => f.perstag).join(', ') || '(none)'}`,
          config.displayFile,
          pos?.line,
        );
      }
      fieldIds.set(perstag, field.id);
      perstagByFieldId.set(field.id, perstag);
    }
  }

  const tags = await api.findTags([managedTag(exp.listId), unsubscribedTag(exp.listId)], options.signal);
  const unsubscribedTagLinks = new Map<string, string>();
  const ctx = {
    perstagByFieldId,
    unsubscribedTagLinks,
    ...(tags.get(managedTag(exp.listId)) ? { managedTagId: tags.get(managedTag(exp.listId))!.id } : {}),
    ...(tags.get(unsubscribedTag(exp.listId)) ? { unsubscribedTagId: tags.get(unsubscribedTag(exp.listId))!.id } : {}),
  };

  // Observed state, in id order; hashed as it streams so a saved plan can tell when the list changed.
  const observed: ObservedContact[] = [];
  const listHash = createHash('sha256');
  let managedActive = 0;
  // Through the local snapshot when one is fresh: it only ever saves requests (engine/snapshot/read-list.ts).
  for await (const page of readListMembersCached(api, {
    hostname: connection.hostname,
    listId: exp.listId,
    cacheDir: cacheDirFor(config.file),
    ...snapshotSettings(options.refresh, env),
    onPage: (done, total) => sink({ type: 'plan:progress', export: exp.name, phase: 'list', done, ...(total !== undefined ? { total } : {}) }),
    onReport: (r) => sink({ type: 'plan:list-read', export: exp.name, listId: exp.listId, mode: r.mode, fetched: r.fetched, members: r.members, ...(r.reason !== undefined ? { reason: r.reason } : {}) }),
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    for (const member of page) {
      const o = toObserved(member, ctx);
      observed.push(o);
      if (o.managed && (o.listStatus === 0 || o.listStatus === 1)) managedActive++;
      listHash.update(
        `${o.id}\u0000${o.email}\u0000${o.listStatus}\u0000${o.firstName ?? ''}\u0000${o.lastName ?? ''}\u0000${o.phone ?? ''}\u0000${JSON.stringify(o.fields ?? {})}\u0000${o.managed ? 1 : 0}${o.unsubscribedByAcsync ? 1 : 0}\n`,
      );
    }
  }

  const planner = new Planner(observed, { export: exp.name, connection: exp.connection, listId: exp.listId, onLeave: exp.onLeave });
  // The segment, from its source (engine/segment/sources): a file, a glob or folder, a CDM folder, or a query.
  const source = await openSegmentSource(config, exp, env);
  let segmentRows = 0;
  try {
    for await (const batch of readDesiredFromSource(source, exp.mapping, options.signal ? { signal: options.signal } : {})) {
      for (const item of batch) {
        if (!isSkippedRow(item)) segmentRows++;
        planner.add(item);
      }
      sink({ type: 'plan:progress', export: exp.name, phase: 'segment', done: segmentRows });
    }
  } finally {
    await source.close();
  }
  const segmentFingerprint = source.fingerprint();
  const plan = planner.finish();
  plan.source = { ...source.origin(), fingerprint: segmentFingerprint };
  // Duplicates were valid rows too; the segment's size is its distinct contacts.
  const segmentSize = segmentRows - plan.changes.filter((c) => c.reasonCode === 'duplicate-email').length;
  const limitProblem = checkLimits(plan, { ...(connection.contactLimit !== undefined ? { contactLimit: connection.contactLimit } : {}), currentActive: planner.observedActive });
  if (limitProblem !== undefined) {
    throw new UserFacingError(`export '${exp.name}': ${limitProblem}`, `raise contactLimit on connection '${connection.id}' if your ActiveCampaign contract allows more`, config.displayFile, config.locations[`connections.${connection.id}.contactLimit`]?.line);
  }
  sink({ type: 'plan:done', export: exp.name, plan });
  return {
    config: exp,
    connection,
    api,
    plan,
    fieldIds,
    unsubscribedTagLinks,
    knownTagIds: new Map([...tags].map(([name, tag]) => [name, tag.id])),
    managedActive,
    segmentSize,
    fingerprints: { segment: segmentFingerprint, list: listHash.digest('hex') },
    durationMs: Date.now() - started,
  };
}

/** The safety guards of apply: a broken upstream job looks exactly like a mass unsubscribe. */
export function guardProblems(p: PlannedExport): string[] {
  const problems: string[] = [];
  const unsub = p.plan.counts.unsubscribe;
  if (unsub > 0 && p.managedActive > 0 && unsub > p.config.maxUnsubscribe * p.managedActive) {
    problems.push(
      `export '${p.config.name}' would unsubscribe ${unsub} of ${p.managedActive} managed contacts (${pct(unsub / p.managedActive)}), more than maxUnsubscribe ${pct(p.config.maxUnsubscribe)}`,
    );
  }
  if (p.managedActive > 0 && p.segmentSize === 0) {
    problems.push(`export '${p.config.name}': the segment is empty but ${p.managedActive} contacts on list ${p.config.listId} came from it`);
  } else if (p.managedActive > 0 && p.segmentSize < p.managedActive / 2) {
    problems.push(
      `export '${p.config.name}': the segment has ${p.segmentSize} contacts, less than half of the ${p.managedActive} acsync last synced to list ${p.config.listId}`,
    );
  }
  return problems;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** Applies planned exports concurrently; exports on one account share its rate budget. */
export async function applyPlanned(outcomes: PlanOutcome[], options: RunOptions): Promise<RunResult> {
  const sink = options.sink;
  const stopHeapKeeper = keepHeapCompact();
  try {
    return await applyAll(outcomes, options, sink);
  } finally {
    stopHeapKeeper();
  }
}

async function applyAll(outcomes: PlanOutcome[], options: RunOptions, sink: EventSink): Promise<RunResult> {
  const results = await pMap(
    outcomes,
    async (o): Promise<ExportRunResult> => {
      const r = exportResult(o);
      const p = o.planned;
      if (p === undefined) return r;
      if (!hasChanges(p.plan)) {
        r.applied = 0;
        r.failed = 0;
        return r;
      }
      const problems = guardProblems(p);
      if (problems.length > 0 && options.allowMassUnsubscribe !== true) {
        r.error = {
          message: problems.join('; '),
          hint: 'nothing was applied for this export. If the segment is right, run again with --allow-mass-unsubscribe; otherwise fix the upstream job that writes the segment',
        };
        return r;
      }
      const limits = getAccountBudget(p.connection.hostname).currentLimits;
      const outcome = await applyChanges({
        export: p.config.name,
        listId: p.config.listId,
        changes: p.plan.changes,
        api: p.api,
        fieldIds: p.fieldIds,
        unsubscribedTagLinks: p.unsubscribedTagLinks,
        ...(p.knownTagIds.has(unsubscribedTag(p.config.listId)) ? { unsubscribedTagId: p.knownTagIds.get(unsubscribedTag(p.config.listId))! } : {}),
        knownTagIds: p.knownTagIds,
        extraTags: p.config.tags ?? [],
        excludeAutomations: p.config.excludeAutomations ?? false,
        sink,
        // Polls get about 40% of the account's per-second budget, the rest is for imports and other exports.
        pollSpacingMs: Math.max(1, Math.round(DEFAULT_POLL_SPACING_MS * (5 / limits.requestsPerSecond))),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      r.applied = outcome.applied;
      r.failed = outcome.failed;
      if (outcome.notAttempted > 0) r.notSent = outcome.notAttempted;
      r.durationMs = o.durationMs + outcome.durationMs;
      r.failures = outcome.failures;
      const stats = p.api.stats();
      sink({
        type: 'apply:summary',
        export: p.config.name,
        applied: outcome.applied,
        failed: outcome.failed,
        ...(outcome.notAttempted > 0 ? { notSent: outcome.notAttempted } : {}),
        counts: p.plan.counts,
        durationMs: outcome.durationMs,
        requests: stats.byKind,
      });
      if (outcome.notAttempted > 0) {
        r.error = { message: `stopped before ${outcome.notAttempted} ${outcome.notAttempted === 1 ? 'change was' : 'changes were'} sent`, hint: 'run apply again: it plans afresh and sends only what is still missing' };
      }
      return r;
    },
    { concurrency: 8 },
  );
  return {
    mode: 'apply',
    ok: results.every((r) => r.error === undefined && (r.failed ?? 0) === 0 && (r.notSent ?? 0) === 0),
    changesPending: results.some((r) => (r.failed ?? 0) > 0 || (r.notSent ?? 0) > 0 || r.error !== undefined),
    exports: results,
  };
}

/** Turns anything thrown while planning into the user-facing error of an export result (never with the key). */
export function toUserError(err: unknown): NonNullable<ExportRunResult['error']> {
  if (err instanceof UserFacingError) {
    return { message: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(err.file ? { file: err.file } : {}), ...(err.line ? { line: err.line } : {}) };
  }
  if (err instanceof Error) {
    const e = err as Error & { hint?: unknown; file?: unknown; line?: unknown };
    const out: NonNullable<ExportRunResult['error']> = { message: e.message };
    if (typeof e.hint === 'string') out.hint = e.hint;
    if (typeof e.file === 'string') out.file = e.file;
    if (typeof e.line === 'number') out.line = e.line;
    return out;
  }
  return { message: String(err) };
}

export type { EngineEvent };
