/**
 * The DuckDB source's read alone (issue 14): the 1,000,000-row Parquet file that bench/sources-plan.ts makes,
 * streamed through DuckDbSource.records() to records and dropped, read as DuckDB writes its file and once the COPY
 * has answered ('file'), each in its own process so its peak RSS is its own. No list, no plan: what
 * reading costs before the planner's share.
 *   node --import tsx bench/duckdb-read.ts [--rows 1000000] [--seed 42] [--runs 3]
 * Run bench/sources-plan.ts once first: it writes the Parquet file.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DuckDbSource } from '../engine/segment/sources/duckdb.ts';
import { SEGMENT_HEADER } from './segment-generate.ts';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, runs: { type: 'string', default: '3' }, transport: { type: 'string' } },
});
const parquetFile = path.join(tmpdir(), `acsync-bench-segment-${args.rows}-${args.seed}.parquet`);
const sql = `select ${SEGMENT_HEADER.map((c) => `"${c}"`).join(', ')} from read_parquet('${parquetFile}')`;

async function read(transport: 'auto' | 'file'): Promise<Record<string, number>> {
  const site = { exportName: 'bench', configFile: 'bench.yaml', mappingLines: new Map() };
  const source = new DuckDbSource({ label: 'bench', site, sql, kind: 'query', cwd: tmpdir(), statementTimeoutMs: 3_600_000, what: 'the query', transport });
  await source.describe();
  const t0 = performance.now();
  let rows = 0;
  let batches = 0;
  for await (const batch of source.records(SEGMENT_HEADER)) {
    rows += batch.length;
    batches++;
  }
  const ms = performance.now() - t0;
  await source.close();
  return { ms, rows, batches, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

if (args.transport === 'auto' || args.transport === 'file') console.log(JSON.stringify(await read(args.transport)));
else {
  if (!existsSync(parquetFile)) throw new Error(`${parquetFile} is missing: run node --import tsx bench/sources-plan.ts once first`);
  const execFileP = promisify(execFile);
  for (const transport of ['auto', 'file']) {
    for (let i = 0; i < Number(args.runs); i++) {
      const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', process.argv[1]!, `--rows=${args.rows}`, `--seed=${args.seed}`, `--transport=${transport}`]);
      const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
      console.log(`${transport === 'auto' ? 'as written' : 'file      '}  ${(r['ms']! / 1000).toFixed(2)} s, ${r['rows']} rows in ${r['batches']} batches, peak RSS ${r['maxRssMb']} MB`);
    }
  }
}
