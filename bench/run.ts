/**
 * `npm run bench [-- --scale 0.1] [-- --factor 20] [-- --only plan,first,change,accounts]`: every figure of
 * issue 7 on this machine. A script, not a test. Sections:
 *   plan      plan compute of a 1M-profile CSV against a 1M-member list, 1% changed, vs csv-parse alone
 *             (bench/segment-plan.ts, each phase in its own process)
 *   first     first export of 100,000 new contacts, then of 1,000,000 (peak RSS of the `acsync apply` process)
 *   change    a 1% change of a 1,000,000-member list: with a full list read, then through the snapshot
 *   accounts  two accounts at once, each with its own budget
 *   startup   each command's start from the packed package against `node -e 0` (bench/startup.ts)
 *   sources   (only with --only sources) 1M rows from Parquet via DuckDB and from PostgreSQL, planned (bench/sources-plan.ts)
 * Apply runs the real CLI (`node bin/acsync.js apply --auto-approve`) in a child process against emulators in
 * this process, all limits (per second and bulk) scaled up by one factor, and the client told the same limits.
 * Sizes are multiplied by --scale.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorHandle } from '../emulator/index.ts';
import { BULK_IMPORTS_PER_MINUTE, BULK_SINGLE_IMPORTS_PER_MINUTE, REQUESTS_PER_SECOND } from '../engine/activecampaign/rate-budget.ts';
import { BENCH_FIELDS, benchEnv, seedAppliedList, writeBenchConfig, writeChangedSegmentCsv, type BenchExport } from './bench-fixtures.ts';
import { generateProfiles, writeSegmentCsv } from './segment-generate.ts';
import { startupBench } from './startup.ts';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    factor: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
    only: { type: 'string' },
    /** Caps the V8 old space of the acsync child processes (MB): shows how much of their peak RSS is live. */
    'child-heap': { type: 'string' },
    /** Runs per command in the startup section. */
    rounds: { type: 'string', default: '20' },
  },
});
const scale = Number(args.scale);
const factor = Number(args.factor);
const seed = Number(args.seed);
if (!(scale > 0) || !(factor >= 1) || !Number.isInteger(seed)) {
  process.stderr.write('usage: npm run bench [-- --scale 0.1] [--factor 20] [--seed 42] [--only plan,first,change,accounts,startup] [--rounds 20]\n');
  process.exit(1);
}
const sections = new Set((args.only ?? 'plan,first,change,accounts,startup').split(',').map((s) => s.trim()));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'acsync.js');
/** GNU time reports a child's peak RSS; without it the figure is left out. */
const GNU_TIME = '/usr/bin/time';

/** Issue 7's sizes, before --scale. */
const PLAN_PROFILES = 1_000_000;
const FIRST_EXPORT_SMALL = 100_000;
const FIRST_EXPORT_BIG = 1_000_000;
const CHANGE_LIST = 1_000_000;
const CHANGE_RATE = 0.01;
const ACCOUNT_EXPORT = 100_000;
/** ActiveCampaign answers a batch in about 2 s (emulator DEFAULT_BULK_DELAY_MS); scaled like the limits. */
const REAL_BULK_DELAY_MS = 2_000;
/** Seeded contacts must be older than the snapshot's minimum clock margin (engine/snapshot/read-list.ts). */
const SNAPSHOT_SETTLE_MS = 2_500;
const BULK_KIND = 'POST /api/3/import/bulk_import';
const POLL_KIND = 'GET /api/3/import/info';
/** Below this many imports the time of a single batch (queue + poll) swamps any rate. */
const MIN_IMPORTS_FOR_RATE = 20;

const childEnv: NodeJS.ProcessEnv = args['child-heap'] !== undefined ? { NODE_OPTIONS: `--max-old-space-size=${Number(args['child-heap'])}` } : {};
const limits = {
  rps: REQUESTS_PER_SECOND * factor,
  bulk: BULK_IMPORTS_PER_MINUTE * factor,
  single: BULK_SINGLE_IMPORTS_PER_MINUTE * factor,
};
const n = (x: number) => Math.max(1, Math.round(x * scale));
const fmt = (x: number) => x.toLocaleString('en-US');
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const min = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
const out = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------- plan compute

async function planCompute(): Promise<void> {
  const rows = n(PLAN_PROFILES);
  out(`== plan compute: ${fmt(rows)}-profile CSV against a ${fmt(rows)}-member list, ${CHANGE_RATE * 100}% changed`);
  // segment-plan.ts keeps its segment here; generating it first lets its phases run alone.
  const file = path.join(tmpdir(), `acsync-bench-segment-${rows}-${seed}.csv`);
  if (!existsSync(file)) await writeSegmentCsv(file, { rows, seed });
  const phase = async (name: string): Promise<Record<string, number>> => {
    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'segment-plan.ts'), `--rows=${rows}`, `--changed=${CHANGE_RATE}`, `--seed=${seed}`, `--phase=${name}`]);
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
  };
  const parse = await phase('parse');
  const plan = await phase('plan');
  const ratio = plan['ms']! / parse['ms']!;
  out(`csv-parse alone:            ${sec(parse['ms']!)} wall, ${sec(parse['cpuMs']!)} cpu, peak RSS ${parse['maxRssMb']} MB`);
  out(`acsync read+normalise+plan: ${sec(plan['ms']!)} wall, ${sec(plan['cpuMs']!)} cpu, peak RSS ${plan['maxRssMb']} MB (observed list alone: ${plan['maxRssMbBeforePlan']} MB)`);
  out(`ratio ${ratio.toFixed(2)}x (cpu ${(plan['cpuMs']! / parse['cpuMs']!).toFixed(2)}x)   targets: < 10 s ${mark(plan['ms']! < 10_000)}, < 3x ${mark(ratio < 3)}`);
  out(`plan: ${plan['update']} updates, ${plan['create']} creates, ${plan['unsubscribe']} unsubscribes, ${plan['noop']} noops, ${plan['skip']} skips`);
  out();
}

// -------------------------------------------------------------------------------------------- segment sources

/** Issue 14: Parquet through DuckDB and PostgreSQL, planned against a list of the same size (bench/sources-plan.ts). */
async function segmentSources(): Promise<void> {
  const rows = n(PLAN_PROFILES);
  out(`== segment sources: ${fmt(rows)} rows from Parquet (DuckDB) and PostgreSQL against a ${fmt(rows)}-member list, ${CHANGE_RATE * 100}% changed`);
  const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'sources-plan.ts'), `--rows=${rows}`, `--changed=${CHANGE_RATE}`, `--seed=${seed}`]);
  out(stdout.trimEnd());
  out();
}

// -------------------------------------------------------------------------------------------- apply runs

interface ApplyRun {
  wallMs: number;
  exitCode: number;
  maxRssMb: number | undefined;
  /** Emulator-side requests by endpoint during the run. */
  requests: Record<string, number>;
  rateLimited: number;
  bulkRateLimited: number;
  maxRequestsPerSecond: number;
  /** From the first bulk import the emulator saw to the last poll. */
  importSpanMs: number;
  stderrTail: string;
}

async function emulator(): Promise<EmulatorHandle> {
  const e = await startEmulator({
    port: 0,
    rateLimit: limits.rps,
    bulkPerMinute: limits.bulk,
    singleBulkPerMinute: limits.single,
    bulkDelayMs: Math.round(REAL_BULK_DELAY_MS / factor),
    seedLists: 2,
    seedFields: BENCH_FIELDS,
  });
  emulators.push(e);
  return e;
}

/** Runs `acsync apply --auto-approve` in a child process while sampling the emulators' counters. */
async function applyCli(config: string, accounts: Record<string, EmulatorHandle>, extraEnv: NodeJS.ProcessEnv = {}): Promise<ApplyRun[]> {
  const handles = Object.values(accounts);
  const base = handles.map((e) => e.stats());
  const firstImport: Array<number | undefined> = handles.map(() => undefined);
  const lastImport: number[] = handles.map(() => 0);
  const bulkWork = (s: ReturnType<EmulatorHandle['stats']>) => (s.byEndpoint[BULK_KIND] ?? 0) + (s.byEndpoint[POLL_KIND] ?? 0);
  const seenImports = base.map(bulkWork);
  const sample = (): void => {
    const t = performance.now();
    handles.forEach((e, i) => {
      const imports = bulkWork(e.stats());
      if (imports !== seenImports[i]) {
        firstImport[i] ??= t;
        lastImport[i] = t;
        seenImports[i] = imports;
      }
    });
  };
  const timer = setInterval(sample, 50);
  const env = { ...benchEnv(accounts, limits), ...childEnv, ...extraEnv };
  const argv = [cli, 'apply', '--auto-approve', '-c', config];
  const useTime = existsSync(GNU_TIME);
  const started = performance.now();
  const child = useTime ? spawn(GNU_TIME, ['-v', process.execPath, ...argv], { env }) : spawn(process.execPath, argv, { env });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-20_000);
  });
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const wallMs = performance.now() - started;
  clearInterval(timer);
  sample();
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return handles.map((e, i) => {
    const s = e.stats();
    const b = base[i]!;
    const requests: Record<string, number> = {};
    for (const [k, v] of Object.entries(s.byEndpoint)) if (v - (b.byEndpoint[k] ?? 0) > 0) requests[k] = v - (b.byEndpoint[k] ?? 0);
    return {
      wallMs,
      exitCode,
      maxRssMb: rss?.[1] !== undefined ? Math.round(Number(rss[1]) / 1024) : undefined,
      requests,
      rateLimited: s.rateLimited - b.rateLimited,
      bulkRateLimited: s.bulkRateLimited - b.bulkRateLimited,
      maxRequestsPerSecond: s.maxRequestsPerSecond,
      importSpanMs: firstImport[i] === undefined ? 0 : lastImport[i]! - firstImport[i]!,
      stderrTail: stderr.split('\n').filter((l) => !/^\s/.test(l) && l.trim() !== '').slice(-5).join('\n'),
    };
  });
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Time at ActiveCampaign's real limits for these requests: bulk imports at 100/min or everything at 5/s, whichever binds. */
function projectedMs(requests: Record<string, number>): number {
  const imports = requests[BULK_KIND] ?? 0;
  return Math.max((imports / BULK_IMPORTS_PER_MINUTE) * 60_000, (total(requests) / REQUESTS_PER_SECOND) * 1000);
}

/**
 * The fastest the limits allow these imports and their polls: rolling windows let one window's worth of imports
 * go at once, then each further `limit` waits for the next window; and no faster than the per-second budget.
 */
function importBoundMs(requests: Record<string, number>): number {
  const imports = requests[BULK_KIND] ?? 0;
  const polls = requests[POLL_KIND] ?? 0;
  const perImport = imports === 0 ? 0 : (imports + polls) / imports;
  const windows = Math.floor(Math.max(0, imports - 1) / limits.bulk);
  const byWindow = windows * 60_000 + ((imports - windows * limits.bulk) * perImport * 1000) / limits.rps;
  const byRate = ((imports + polls) / limits.rps) * 1000;
  return Math.max(byWindow, byRate);
}

function report(label: string, r: ApplyRun, contacts: number): void {
  const imports = r.requests[BULK_KIND] ?? 0;
  const perImport = imports === 0 ? 0 : contacts / imports;
  const boundMs = importBoundMs(r.requests);
  const efficiency = r.importSpanMs > 0 ? Math.min(1, boundMs / r.importSpanMs) : 1;
  out(`-- ${label}: exit ${r.exitCode}, ${sec(r.wallMs)} wall${r.maxRssMb !== undefined ? `, peak RSS of the acsync apply process ${r.maxRssMb} MB` : ''}`);
  if (r.exitCode !== 0) out(`   acsync said: ${r.stderrTail}`);
  out(`   requests: ${Object.entries(r.requests).map(([k, v]) => `${k.replace('/api/3', '')} ${fmt(v)}`).join(', ')} (total ${fmt(total(r.requests))})`);
  out(`   429s: ${r.rateLimited}, bulk rate refusals: ${r.bulkRateLimited}, max requests in any second: ${r.maxRequestsPerSecond} of ${limits.rps}`);
  if (imports > 0 && imports < MIN_IMPORTS_FOR_RATE) {
    out(`   contacts per bulk import: ${perImport.toFixed(1)} (${imports} imports: too few to measure a rate, one batch's wait dominates)`);
  } else if (imports > 0) {
    out(`   contacts per bulk import: ${perImport.toFixed(1)}; imports and polls took ${sec(r.importSpanMs)}, the limits allow ${sec(boundMs)}: achieved ${(efficiency * 100).toFixed(0)}% of the allowed rate`);
  }
  out(`   projected at real limits (5 req/s, 100 imports/min): ${min(projectedMs(r.requests))}`);
}

async function firstExports(): Promise<void> {
  for (const size of [FIRST_EXPORT_SMALL, FIRST_EXPORT_BIG]) {
    const rows = n(size);
    out(`== apply: first export of ${fmt(rows)} new contacts`);
    const e = await emulator();
    const dir = await mkdtemp(path.join(work, 'first-'));
    await writeSegmentCsv(path.join(dir, 'segment.csv'), { rows, seed });
    const config = await writeBenchConfig(dir, { ac: e }, [{ name: 'first', connection: 'ac', segment: 'segment.csv', listId: 1 }]);
    const [r] = await applyCli(config, { ac: e });
    const valid = countValidRows(rows);
    report(`first export, ${fmt(valid)} valid distinct profiles`, r!, valid);
    const imports = r!.requests[BULK_KIND] ?? 0;
    out(`   targets: >= 245 per import ${mark(valid / Math.max(1, imports) >= 245)}, 0 429s ${mark(r!.rateLimited === 0)}${size === FIRST_EXPORT_BIG ? `, projected < 45 min ${mark(projectedMs(r!.requests) < 45 * 60_000)} (scaled to 1M: ${min(projectedMs(r!.requests) / scale)}), RSS < 700 MB ${mark((r!.maxRssMb ?? Infinity) < 700)}` : ''}`);
    await e.stop();
    emulators.splice(emulators.indexOf(e), 1);
    if (size === FIRST_EXPORT_BIG) {
      // The same export through the engine alone, on a fresh account: how much of the RSS is the CLI's.
      const fresh = await emulator();
      const cfg = await writeBenchConfig(dir, { ac: fresh }, [{ name: 'first', connection: 'ac', segment: 'segment.csv', listId: 1 }]);
      const { stdout } = await execFileP(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(root, 'bench', 'apply-engine.ts'), cfg], { ...benchEnv({ ac: fresh }, limits), ...childEnv });
      const engine = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; maxRssMb?: number };
      out(`   the same export through the engine alone (runExports, no CLI reporter): ok ${String(engine.ok)}, peak RSS ${engine.maxRssMb} MB ${mark((engine.maxRssMb ?? Infinity) < 700)}`);
      await fresh.stop();
      emulators.splice(emulators.indexOf(fresh), 1);
    }
    out();
    await rm(dir, { recursive: true, force: true });
  }
}

async function onePercentChange(): Promise<void> {
  const rows = n(CHANGE_LIST);
  out(`== apply: ${CHANGE_RATE * 100}% change of a ${fmt(rows)}-member list`);
  const e = await emulator();
  const dir = await mkdtemp(path.join(work, 'change-'));
  const t0 = performance.now();
  const members = seedAppliedList(e, 1, { rows, seed, changedRate: CHANGE_RATE });
  out(`   seeded ${fmt(members)} members straight into the emulator in ${sec(performance.now() - t0)}`);
  await writeSegmentCsv(path.join(dir, 'segment.csv'), { rows, seed });
  const config = await writeBenchConfig(dir, { ac: e }, [{ name: 'change', connection: 'ac', segment: 'segment.csv', listId: 1 }]);
  await new Promise((r) => setTimeout(r, SNAPSHOT_SETTLE_MS));
  // Same clock for emulator and client: the snapshot's margin can be its minimum.
  const env = { ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS: '0' };
  const [full] = await applyCli(config, { ac: e }, env);
  report('full list read (no snapshot yet; writes one)', full!, Math.round(members * CHANGE_RATE));

  const changed = await writeChangedSegmentCsv(path.join(dir, 'segment.csv'), { rows, seed, changedRate: CHANGE_RATE, salt: 2 });
  const [inc] = await applyCli(config, { ac: e }, env);
  report(`next day, another ${fmt(changed)} profiles changed: through the snapshot`, inc!, changed);
  const saved = projectedMs(full!.requests) - projectedMs(inc!.requests);
  out(`   the snapshot saves ${fmt(total(full!.requests) - total(inc!.requests))} requests, ${min(saved)} at real limits`);
  out();
  await e.stop();
  emulators.splice(emulators.indexOf(e), 1);
  await rm(dir, { recursive: true, force: true });
}

async function twoAccounts(): Promise<void> {
  const rows = n(ACCOUNT_EXPORT);
  out(`== two accounts at once: ${fmt(rows)} new contacts on each, one budget per account`);
  const a = await emulator();
  const b = await emulator();
  const dir = await mkdtemp(path.join(work, 'accounts-'));
  await writeSegmentCsv(path.join(dir, 'segment.csv'), { rows, seed });
  const exports: BenchExport[] = [
    { name: 'to-a', connection: 'a', segment: 'segment.csv', listId: 1 },
    { name: 'to-b', connection: 'b', segment: 'segment.csv', listId: 1 },
  ];
  const config = await writeBenchConfig(dir, { a, b }, exports);
  const runs = await applyCli(config, { a, b });
  const valid = countValidRows(rows);
  runs.forEach((r, i) => report(`account ${i === 0 ? 'a' : 'b'}`, r, valid));
  out(`   both accounts in one run of ${sec(runs[0]!.wallMs)}; each account's limit is its own (max req/s seen: ${runs.map((r) => r.maxRequestsPerSecond).join(' and ')}, limit ${limits.rps} each)`);
  out();
  for (const e of [a, b]) {
    await e.stop();
    emulators.splice(emulators.indexOf(e), 1);
  }
  await rm(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------------- helpers

/** Valid, distinct profiles of a generated segment: what a first export creates. */
function countValidRows(rows: number): number {
  let valid = 0;
  for (const p of generateProfiles({ rows, seed })) if (p.kind === 'valid') valid++;
  return valid;
}

function mark(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

function execFileP(file: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout })));
  });
}

// ---------------------------------------------------------------------------------------------------- main

const benchStarted = performance.now();
const work = await mkdtemp(path.join(tmpdir(), 'acsync-bench-'));
const emulators: EmulatorHandle[] = [];
try {
  out(`acsync benchmark: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB RAM`);
  if (args['child-heap'] !== undefined) out(`acsync child processes run with NODE_OPTIONS=${childEnv['NODE_OPTIONS']}`);
  out(`scale ${scale} (sizes below already scaled), emulator and client limits x${factor}: ${limits.rps} req/s, ${limits.bulk} bulk imports/min, bulk batch time ${Math.round(REAL_BULK_DELAY_MS / factor)} ms`);
  out();
  if (sections.has('plan')) await planCompute();
  if (sections.has('first')) await firstExports();
  if (sections.has('change')) await onePercentChange();
  if (sections.has('accounts')) await twoAccounts();
  if (sections.has('startup')) await startupBench({ root, work, rounds: Math.max(1, Number(args.rounds)), out });
  if (sections.has('sources')) await segmentSources();
  out(`total benchmark time ${min(performance.now() - benchStarted)}`);
} finally {
  for (const e of emulators) await e.stop();
  await rm(work, { recursive: true, force: true });
}
