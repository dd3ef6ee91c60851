/**
 * Benchmark of acsync's own work on a big segment: (a) csv-parse alone on the file, (b) read + normalise + plan
 * against an observed list of the same size with a fraction changed. Each phase runs in its own process so its
 * peak RSS is its own. A script, not a test:
 *   node --import tsx bench/segment-plan.ts [--rows 1000000] [--changed 0.01] [--seed 42] [--repeat 3] [--list-order shuffled]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { Planner } from '../engine/plan.ts';
import type { ObservedContact } from '../engine/model.ts';
import { planRows } from '../engine/pipeline/plan-export.ts';
import { readSegmentRows } from '../engine/segment/desired.ts';
import { FileSegmentSource } from '../engine/segment/file-source.ts';
import { GENERATED_MAPPING, generateObserved, indexList, writeSegmentCsv } from './segment-generate.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    changed: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '42' },
    phase: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    /** `shuffled`: the list in an order unrelated to the segment's (the planner's next-member guess then misses). */
    'list-order': { type: 'string', default: 'segment' },
  },
});
const rows = Number(args.rows);
const changedRate = Number(args.changed);
const seed = Number(args.seed);
const file = join(tmpdir(), `acsync-bench-segment-${rows}-${seed}.csv`);
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** CPU time (user + system) of this process: steadier than wall time when other work shares the cores. */
const cpuMs = (since?: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

async function bareParse(): Promise<Record<string, number>> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let records = 0;
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .pipe(parse())
      .on('data', () => records++)
      .on('end', resolve)
      .on('error', reject);
  });
  return { ms: performance.now() - t0, cpuMs: cpuMs(c0), records, maxRssMb: maxRssMb() };
}

async function planPhase(): Promise<Record<string, number>> {
  const { observed, indexMs } = indexList(listInOrder(generateObserved({ rows, seed, changedRate })));
  const rssBefore = maxRssMb();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const planner = new Planner(observed, { export: 'bench', connection: 'bench', listId: '1', onLeave: 'unsubscribe' });
  await planRows(planner, readSegmentRows(new FileSegmentSource(file), GENERATED_MAPPING), GENERATED_MAPPING);
  const plan = planner.finish();
  const ms = performance.now() - t0;
  return { ms, indexMs, cpuMs: cpuMs(c0), observed: observed.size, ...plan.counts, maxRssMbBeforePlan: rssBefore, maxRssMb: maxRssMb() };
}

function listInOrder(members: ObservedContact[]): ObservedContact[] {
  if (args['list-order'] === 'shuffled') shuffle(members, seed);
  return members;
}

/** Fisher-Yates with a seeded LCG: the same order on every run. */
function shuffle<T>(xs: T[], seed: number): void {
  let a = seed >>> 0;
  for (let i = xs.length - 1; i > 0; i--) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const j = a % (i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

if (args.phase === 'parse') console.log(JSON.stringify(await bareParse()));
else if (args.phase === 'plan') console.log(JSON.stringify(await planPhase()));
else {
  if (!existsSync(file)) {
    const t0 = performance.now();
    await writeSegmentCsv(file, { rows, seed });
    console.log(`generated ${file} in ${Math.round(performance.now() - t0)} ms`);
  }
  const run = (phase: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', process.argv[1]!, `--rows=${rows}`, `--changed=${changedRate}`, `--seed=${seed}`, `--list-order=${args['list-order']}`, `--phase=${phase}`], {
        encoding: 'utf8',
      }),
    ) as Record<string, number>;
  // Interleaved repeats, best of each: the machine is shared, and the best run is the one least disturbed.
  const best = (xs: Array<Record<string, number>>) => xs.reduce((m, x) => (x['cpuMs']! < m['cpuMs']! ? x : m));
  const as: Array<Record<string, number>> = [];
  const bs: Array<Record<string, number>> = [];
  for (let i = 0; i < Number(args.repeat); i++) {
    as.push(run('parse'));
    bs.push(run('plan'));
  }
  const a = best(as);
  const b = best(bs);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`node ${process.version}, ${cpus().length} cores, ${rows.toLocaleString('en-US')} rows, ${changedRate * 100}% changed, list in ${args['list-order']} order, best of ${as.length}`);
  console.log(`(a) csv-parse alone:      wall ${s(a['ms']!)}, cpu ${s(a['cpuMs']!)}, peak RSS ${a['maxRssMb']} MB`);
  console.log(`(b) read+normalise+plan:  wall ${s(b['ms']!)}, cpu ${s(b['cpuMs']!)}, peak RSS ${b['maxRssMb']} MB (${b['maxRssMbBeforePlan']} MB with the observed list alone)`);
  console.log(`ratio (b)/(a):            wall ${(b['ms']! / a['ms']!).toFixed(2)}x, cpu ${(b['cpuMs']! / a['cpuMs']!).toFixed(2)}x  (targets: (b) < 10 s, < 3x, RSS < 700 MB)`);
  console.log(`plan counts: ${JSON.stringify(b)}`);
}
