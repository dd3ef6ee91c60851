/**
 * What a plan keeps alive: plans a first export (an empty list) of a generated segment in this process and prints
 * the live heap after a full GC, while planning is still referenced and once only the plan is. A script, not a test:
 *   node --expose-gc --import tsx bench/plan-memory.ts [--rows 1000000] [--seed 42]
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Planner } from '../engine/plan.ts';
import { readDesiredContacts } from '../engine/segment/desired.ts';
import { FileSegmentSource } from '../engine/segment/file-source.ts';
import { GENERATED_MAPPING, writeSegmentCsv } from './segment-generate.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' } } });
const rows = Number(args.rows);
const file = join(tmpdir(), `acsync-bench-segment-${rows}-${Number(args.seed)}.csv`);
if (!existsSync(file)) await writeSegmentCsv(file, { rows, seed: Number(args.seed) });
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const mb = (x: number) => `${Math.round(x / 1024 / 1024)} MB`;
const live = () => {
  gc();
  gc();
  return process.memoryUsage();
};

const base = live().heapUsed;
let planner: Planner | undefined = new Planner([], { export: 'bench', connection: 'bench', listId: '1', onLeave: 'unsubscribe' });
const t0 = performance.now();
for await (const batch of readDesiredContacts(new FileSegmentSource(file), GENERATED_MAPPING)) for (const d of batch) planner.add(d);
const plan = planner.finish();
const ms = performance.now() - t0;
const withPlanner = live();
planner = undefined;
const planOnly = live();
console.log(`${rows.toLocaleString('en-US')} rows planned in ${(ms / 1000).toFixed(2)} s: ${plan.changes.length.toLocaleString('en-US')} changes`);
console.log(`live heap with the planner: ${mb(withPlanner.heapUsed - base)}; plan alone: ${mb(planOnly.heapUsed - base)} (${Math.round((planOnly.heapUsed - base) / plan.changes.length)} bytes a change)`);
console.log(`peak RSS of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB; rss now ${mb(planOnly.rss)}`);
