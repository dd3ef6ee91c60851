/**
 * Saved plans: `acsync plan --out plan.json` writes what apply would do, with fingerprints of what it was
 * computed from; `acsync apply plan.json` applies exactly that, and refuses before any write when the config,
 * a segment file or the list changed since. The file holds personal data: mode 0600, written atomically.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config/model.ts';
import type { ExportPlan } from './model.ts';
import { writePrivateFile } from './private-file.ts';
import type { PlannedExport, PlanOutcome } from './pipeline/types.ts';
import { redactPlan } from './sensitive.ts';

export const SAVED_PLAN_FORMAT = 'acsync-plan';
/** Bump when the shape changes; apply refuses versions it does not know. */
export const SAVED_PLAN_VERSION = 2;

export interface SavedExportPlan {
  export: string;
  connection: string;
  hostname: string;
  listId: string;
  /**
   * sha256 of the export's own config (as resolved), of the segment file's bytes, of the list state read, and of
   * the remembered refusals the plan skipped (absent in plans written before acsync remembered refusals); with
   * sensitive fields, an HMAC (keyed by the API key) of their values, which the saved plan shows as `(sensitive)`.
   */
  fingerprints: { exportConfig: string; segment: string; list: string; refusals?: string; sensitive?: string };
  /** The plan with sensitive values redacted: apply never sends from it, it applies the fresh plan that equals it. */
  plan: ExportPlan;
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  version: number;
  createdAt: string;
  config: { file: string; sha256: string };
  /** Planned with `--retry-rejected`: apply plans again the same way to check the plan. */
  retryRejected?: true;
  exports: SavedExportPlan[];
  /**
   * sha256 over the exports' plans (canonical JSON): apply refuses a file whose changes were edited, before any
   * request. It guards against accidents and tampering by whoever can write the file but not run a fresh plan;
   * apply also recomputes the plan and refuses one that differs from the saved changes.
   */
  checksum: string;
}

/** JSON with object keys sorted at every level: the same value always hashes the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * A plan as saved and fresh plans are compared: the changes and counts (and what the plan says of them), without
 * where the segment came from, whose read time differs on every read (its fingerprint is compared on its own).
 */
function comparable(plan: ExportPlan): Omit<ExportPlan, 'source'> {
  const { source: _source, ...rest } = plan;
  return rest;
}

function plansChecksum(exports: readonly SavedExportPlan[]): string {
  return createHash('sha256').update(canonicalJson(exports.map((e) => ({ export: e.export, listId: e.listId, plan: e.plan })))).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What of an export's config changes its plan (everything but cosmetics is included: simpler and safe). */
function exportConfigHash(planned: PlannedExport): string {
  const { config, connection } = planned;
  const relevant = {
    export: { ...config, segmentPath: undefined },
    connection: { ...connection, displayName: undefined },
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

export async function writeSavedPlan(file: string, config: Config, outcomes: Array<{ planned?: PlannedExport }>, options: { retryRejected?: boolean } = {}): Promise<void> {
  const exports: SavedExportPlan[] = [];
  for (const o of outcomes) {
    const p = o.planned;
    if (p === undefined) continue;
    exports.push({
      export: p.config.name,
      connection: p.connection.id,
      hostname: p.connection.hostname,
      listId: p.config.listId,
      fingerprints: {
        exportConfig: exportConfigHash(p),
        segment: p.fingerprints.segment,
        list: p.fingerprints.list,
        refusals: p.fingerprints.refusals,
        ...(p.fingerprints.sensitive !== undefined ? { sensitive: p.fingerprints.sensitive } : {}),
      },
      // Sensitive values never land in the file: apply recomputes the plan (with them) and compares it to this.
      plan: redactPlan(p.plan),
    });
  }
  const saved: SavedPlan = {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    createdAt: new Date().toISOString(),
    config: { file: path.relative(process.cwd(), config.file) || config.file, sha256: await sha256File(config.file) },
    ...(options.retryRejected === true ? { retryRejected: true as const } : {}),
    exports,
    checksum: plansChecksum(exports),
  };
  await writePrivateFile(file, JSON.stringify(saved, null, 2) + '\n');
}

export async function readSavedPlan(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the saved plan ${file}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a saved plan (not JSON); make one with \`acsync plan --out ${file}\``);
  }
  const d = data as Partial<SavedPlan>;
  if (d.format !== SAVED_PLAN_FORMAT || !Array.isArray(d.exports) || typeof d.config?.file !== 'string') {
    throw new Error(`${file} is not an acsync saved plan; make one with \`acsync plan --out ${file}\``);
  }
  if (d.version !== SAVED_PLAN_VERSION) {
    throw new Error(`${file} is a saved plan of format version ${String(d.version)}; this acsync reads version ${SAVED_PLAN_VERSION}: plan again with this version`);
  }
  if (typeof d.checksum !== 'string' || d.checksum !== plansChecksum(d.exports)) {
    throw new Error(`${file} was altered after \`acsync plan --out\` wrote it (its changes do not match their checksum); nothing was applied: plan again and review it`);
  }
  return d as SavedPlan;
}

/** Why a saved plan may no longer be applied (empty when it still matches the world). */
export async function checkSavedPlan(saved: SavedPlan, config: Config, outcomes: PlanOutcome[]): Promise<string[]> {
  const problems: string[] = [];
  if ((await sha256File(config.file)) !== saved.config.sha256) problems.push(`the config file ${saved.config.file} changed`);
  saved.exports.forEach((s, i) => {
    const o = outcomes[i];
    if (o === undefined || o.export.name !== s.export) {
      problems.push(`export '${s.export}' is no longer in the config`);
      return;
    }
    if (o.planned === undefined) {
      problems.push(`export '${s.export}' could not be planned: ${o.error?.message ?? 'unknown error'}`);
      return;
    }
    if (exportConfigHash(o.planned) !== s.fingerprints.exportConfig) problems.push(`the config of export '${s.export}' changed`);
    if (o.planned.fingerprints.segment !== s.fingerprints.segment) problems.push(`the segment file of export '${s.export}' (${o.planned.config.segment}) changed`);
    if (o.planned.fingerprints.list !== s.fingerprints.list) problems.push(`ActiveCampaign list ${s.listId} of export '${s.export}' changed since the plan was made`);
    else if (s.fingerprints.refusals !== undefined && o.planned.fingerprints.refusals !== s.fingerprints.refusals) {
      problems.push(`the refusals acsync remembers for export '${s.export}' changed since the plan was made (an apply ran since)`);
    }
    // Same inputs give the same plan (the planner is pure): a difference means the saved changes are not what
    // acsync computes, and apply must do what it shows, so it applies the fresh plan only when they agree.
    else if (
      canonicalJson(comparable(redactPlan(o.planned.plan))) !== canonicalJson(comparable(s.plan)) ||
      o.planned.fingerprints.sensitive !== s.fingerprints.sensitive
    )
      problems.push(`the saved changes of export '${s.export}' differ from what acsync computes from the same inputs`);
  });
  return problems;
}
