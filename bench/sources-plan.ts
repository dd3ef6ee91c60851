/**
 * Benchmark of segment sources (issue 14): 1,000,000 rows from Parquet through DuckDB and from PostgreSQL,
 * planned against a 1,000,000-member list with 1% changed, beside the bare read of the same rows in the same run
 * (DuckDB streaming the query to nothing; psql copying it to /dev/null). Each phase runs in its own process so
 * its peak RSS is its own. "Plan" is what `acsync plan` does once it holds the list: read, normalise and diff
 * the segment, fingerprint it. The list itself is built before the clock starts, through the code a plan runs
 * (engine/observe.ts) from members parsed from JSON as the API or the snapshot under .acsync/ hands them, and
 * indexed (with its members' prints) as observe-list.ts does while the pages arrive, timed apart; its read
 * (10,000 pages over HTTP, or the snapshot) is not in the time, but the list is in the peak RSS, as it is in a
 * real plan. Each plan is held to two bare reads of the same rows taken just before and just after it, once the
 * list is built (in a child process each, so that neither's memory is the plan's): on a machine whose speed drifts
 * (this one's did, by 2 to 3 times within seconds) a ratio of two times taken far apart says little. That is done
 * `--repeat` times (default 5), each in a fresh process, and the median of the ratios is the one reported, with
 * each ratio beside it. A script, not a test:
 *   node --import tsx bench/sources-plan.ts [--rows 1000000] [--changed 0.01] [--seed 42] [--repeat 5]
 * PostgreSQL: $ACSYNC_TEST_PG_URL, else a throwaway cluster from .ci/postgres.sh (needs the server binaries).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Planner } from '../engine/plan.ts';
import { planRows } from '../engine/pipeline/plan-export.ts';
import { readSegmentRows } from '../engine/segment/desired.ts';
import { DuckDbSource } from '../engine/segment/sources/duckdb.ts';
import { PostgresSource } from '../engine/segment/sources/postgres.ts';
import type { SegmentSource } from '../engine/segment/source.ts';
import type { SourceSite } from '../engine/segment/sources/where.ts';
import { GENERATED_MAPPING, generateObservedAsRead, indexList, SEGMENT_HEADER, writeSegmentCsv } from './segment-generate.ts';

const execFileP = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    changed: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '42' },
    phase: { type: 'string' },
    repeat: { type: 'string', default: '5' },
    url: { type: 'string' },
  },
});
const rows = Number(args.rows);
const changedRate = Number(args.changed);
const seed = Number(args.seed);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const csvFile = path.join(tmpdir(), `acsync-bench-segment-${rows}-${seed}.csv`);
const parquetFile = path.join(tmpdir(), `acsync-bench-segment-${rows}-${seed}.parquet`);
const TABLE = `acsync_bench_${rows}_${seed}`;
const COLUMNS = SEGMENT_HEADER.map((c) => `"${c}"`).join(', ');
const DUCK_SQL = `select ${COLUMNS} from read_parquet('${parquetFile}')`;
const PG_SQL = `select ${COLUMNS} from ${TABLE}`;
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const site: SourceSite = { exportName: 'bench', configFile: 'bench.yaml', mappingLines: new Map() };

/**
 * The plan of `source`, timed between two bare reads (`bare`, the time of one) taken just before and just after it.
 */
async function plan(source: SegmentSource, bare: () => Promise<number>): Promise<Record<string, number>> {
  const { observed, indexMs } = indexList(generateObservedAsRead({ rows, seed, changedRate }));
  const rssBefore = maxRssMb();
  const bareBefore = await bare();
  const t0 = performance.now();
  const planner = new Planner(observed, { export: 'bench', connection: 'bench', listId: '1', onLeave: 'unsubscribe' });
  await planRows(planner, readSegmentRows(source, GENERATED_MAPPING), GENERATED_MAPPING);
  const p = planner.finish();
  const ms = performance.now() - t0;
  await source.close();
  const rss = maxRssMb();
  const bareAfter = await bare();
  return { ms, bareBefore, bareAfter, indexMs, repeatedRows: planner.repeatedRows, ...p.counts, rowsRead: source.origin().rowsRead, maxRssMbBeforePlan: rssBefore, maxRssMb: rss };
}

async function duckBare(): Promise<Record<string, number>> {
  const t0 = performance.now();
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '256MB' });
  const conn = await db.connect();
  const result = await conn.stream(DUCK_SQL);
  let n = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) n += chunk.rowCount;
  conn.closeSync();
  db.closeSync();
  return { ms: performance.now() - t0, rowsRead: n, maxRssMb: maxRssMb() };
}

/**
 * Not the target's reference, context for it: the rows as the DuckDB source asked for them before it read through
 * COPY (one JSON text a row), turned into JavaScript strings and dropped: what reading through the driver costs.
 */
async function duckStrings(): Promise<Record<string, number>> {
  const t0 = performance.now();
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '256MB' });
  const conn = await db.connect();
  const result = await conn.stream(`select to_json([${SEGMENT_HEADER.map((c) => `"${c}"::varchar`).join(', ')}]::varchar[])::varchar from (${DUCK_SQL})`);
  let n = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) n += chunk.getColumnValues(0).length;
  conn.closeSync();
  db.closeSync();
  return { ms: performance.now() - t0, rowsRead: n, maxRssMb: maxRssMb() };
}

async function phase(name: string, url?: string): Promise<Record<string, number>> {
  const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', process.argv[1]!, `--rows=${rows}`, `--changed=${changedRate}`, `--seed=${seed}`, `--phase=${name}`, ...(url ? [`--url=${url}`] : [])], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

async function withPostgres<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const given = process.env['ACSYNC_TEST_PG_URL'];
  if (given) return fn(given);
  const dir = path.join(tmpdir(), `acsync-bench-pg-${process.pid}`);
  const url = execFileSync('bash', [path.join(root, '.ci/postgres.sh'), 'start', dir], { encoding: 'utf8' }).trim();
  try {
    return await fn(url);
  } finally {
    execFileSync('bash', [path.join(root, '.ci/postgres.sh'), 'stop', dir]);
  }
}

/** psql's connection settings from the URL, through the environment (never on a command line). */
function psqlEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return { ...process.env, PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: u.pathname.slice(1) };
}

/** psql copying the rows to /dev/null: its time, from start to exit. */
async function psqlBare(env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  await execFileP('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (${PG_SQL}) to '/dev/null'`], { env });
  return performance.now() - t0;
}

if (args.phase === 'duck-bare') console.log(JSON.stringify(await duckBare()));
else if (args.phase === 'duck-strings') console.log(JSON.stringify(await duckStrings()));
else if (args.phase === 'duck-plan') {
  const bare = async (): Promise<number> => (await phase('duck-bare'))['ms']!;
  console.log(JSON.stringify(await plan(new DuckDbSource({ label: 'bench', site, sql: DUCK_SQL, kind: 'query', cwd: tmpdir(), statementTimeoutMs: 3_600_000, what: 'the query' }), bare)));
} else if (args.phase === 'pg-plan') {
  const bare = () => psqlBare(psqlEnv(args.url!));
  console.log(JSON.stringify(await plan(new PostgresSource({ label: 'bench', site, query: PG_SQL, database: 'bench', urlEnv: 'BENCH_URL', url: args.url!, statementTimeoutMs: 3_600_000 }), bare)));
} else {
  const fmt = (x: number) => x.toLocaleString('en-US');
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  if (!existsSync(csvFile)) await writeSegmentCsv(csvFile, { rows, seed });
  if (!existsSync(parquetFile)) {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`copy (select * from read_csv('${csvFile}', header = true, all_varchar = true)) to '${parquetFile}' (format parquet)`);
    conn.closeSync();
    db.closeSync();
  }
  console.log(`node ${process.version}, ${cpus().length} cores, ${fmt(rows)} rows against a ${fmt(rows)}-member list, ${changedRate * 100}% changed`);
  const repeat = Math.max(1, Number(args.repeat));
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const span = (xs: number[]): string => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');
  /** `repeat` plans, each in its own process between its two bare reads. */
  async function runs(planOnce: () => Promise<Record<string, number>>): Promise<{ bares: number[]; plans: number[]; ratios: number[]; last: Record<string, number>; maxRss: number }> {
    const bares: number[] = [];
    const plans: number[] = [];
    const ratios: number[] = [];
    let last: Record<string, number> = {};
    let maxRss = 0;
    for (let i = 0; i < repeat; i++) {
      last = await planOnce();
      const bare = (last['bareBefore']! + last['bareAfter']!) / 2;
      bares.push(last['bareBefore']!, last['bareAfter']!);
      plans.push(last['ms']!);
      ratios.push(last['ms']! / bare);
      maxRss = Math.max(maxRss, last['maxRssMb']!);
    }
    return { bares, plans, ratios, last, maxRss };
  }
  const ratioLine = (r: { ratios: number[] }): string =>
    `${median(r.ratios).toFixed(2)}x the bare reads just before and after it, median of ${r.ratios.length}${r.ratios.length > 1 ? ` (each: ${r.ratios.map((x) => x.toFixed(2)).join(', ')})` : ''}`;
  const strings = await phase('duck-strings');
  const duck = await runs(() => phase('duck-plan'));
  const duckBareMs = median(duck.bares);
  console.log(`DuckDB  bare read (query to nothing): ${s(duckBareMs)}${span(duck.bares)}`);
  console.log(`DuckDB  rows as JS strings, dropped:  ${s(strings['ms']!)} (${(strings['ms']! / duckBareMs).toFixed(2)}x the bare read: reading through the driver, as before COPY)`);
  console.log(`DuckDB  read+normalise+plan:          ${s(median(duck.plans))}${span(duck.plans)}, peak RSS ${duck.maxRss} MB (list alone ${duck.last['maxRssMbBeforePlan']} MB)`);
  console.log(`        plan / bare read:             ${ratioLine(duck)}`);
  console.log(`        with the list's index too:    index ${s(duck.last['indexMs']!)}, built as the list is read; ${((median(duck.plans) + duck.last['indexMs']!) / duckBareMs).toFixed(2)}x`);
  await withPostgres(async (url) => {
    const env = psqlEnv(url);
    await execFileP('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `drop table if exists ${TABLE}`, '-c', `create table ${TABLE} (${SEGMENT_HEADER.map((c) => `"${c}" text`).join(', ')})`, '-c', `\\copy ${TABLE} from '${csvFile}' with (format csv, header true)`], { env });
    const pgRuns = await runs(() => phase('pg-plan', url));
    const pg = pgRuns.last;
    const bareMs = median(pgRuns.bares);
    console.log(`Postgres bare read (psql \\copy to /dev/null): ${s(bareMs)}${span(pgRuns.bares)}`);
    console.log(`Postgres read+normalise+plan:               ${s(median(pgRuns.plans))}${span(pgRuns.plans)}, peak RSS ${pgRuns.maxRss} MB (list alone ${pg['maxRssMbBeforePlan']} MB)`);
    console.log(`         plan / bare read:                   ${ratioLine(pgRuns)}`);
    console.log(`         with the list's index too:          index ${s(pg['indexMs']!)}, built as the list is read; ${((median(pgRuns.plans) + pg['indexMs']!) / bareMs).toFixed(2)}x`);
    console.log(`plan counts (postgres): ${JSON.stringify(pg)}`);
    await execFileP('psql', ['-q', '-c', `drop table if exists ${TABLE}`], { env });
  });
  console.log(`plan counts (duckdb): ${JSON.stringify(duck.last)}`);
  console.log('targets: plan within 1.5x the bare read for each engine; peak RSS under 600 MB');
}
