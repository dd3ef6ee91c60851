/**
 * The fault soak: the scenario of test/reliability/faults.test.ts over many more seeds, a few at a time.
 *   node --import tsx bench/soak.ts [--seeds 300] [--from 1000] [--concurrency 4] [--quirks]
 * --quirks runs every seed against an emulator with the quirks profile of test/reliability/quirks.test.ts
 * (FAULT_QUIRKS in fault-scenario.ts: real-account behaviour on top of the injected faults).
 * Prints one line per seed with problems, then the totals: seeds, faults injected by kind, contacts checked,
 * failures reported (and over-reported), applies needed to converge. Exit 1 when any seed broke an invariant.
 */
import { parseArgs } from 'node:util';
import pMap from 'p-map';
import { QUIRK_NAMES } from '../emulator/quirks.ts';
import { fastEmulator } from '../test/helpers/workspace.ts';
import { FAULT_QUIRKS, FAULT_QUIRKS_OFF, noFaults, runFaultScenario, type ScenarioOutcome } from '../test/reliability/fault-scenario.ts';

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '300' }, from: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '4' }, quirks: { type: 'boolean', default: false } },
});
const count = Number(values.seeds);
const from = Number(values.from);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(from) || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('usage: node --import tsx bench/soak.ts [--seeds 300] [--from 1000] [--concurrency 4] [--quirks]\n');
  process.exit(1);
}

const started = Date.now();
const outcomes: ScenarioOutcome[] = [];
await pMap(
  Array.from({ length: count }, (_, i) => from + i),
  async (seed) => {
    let o: ScenarioOutcome;
    if (values.quirks) {
      const emulator = await fastEmulator({ quirks: FAULT_QUIRKS });
      try {
        o = await runFaultScenario(seed, emulator);
      } finally {
        await emulator.stop();
      }
    } else o = await runFaultScenario(seed);
    outcomes.push(o);
    if (o.problems.length > 0) process.stdout.write(`seed ${seed}: ${o.problems.length} problem(s)\n${o.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    if (outcomes.length % 50 === 0) process.stderr.write(`${outcomes.length}/${count} seeds\n`);
  },
  { concurrency },
);

const faults = noFaults();
for (const o of outcomes) for (const [k, n] of Object.entries(o.faultsByKind)) faults[k as keyof typeof faults] += n;
const sum = (f: (o: ScenarioOutcome) => number): number => outcomes.reduce((a, o) => a + f(o), 0);
const applies = new Map<number, number>();
for (const o of outcomes) applies.set(o.appliesToConverge, (applies.get(o.appliesToConverge) ?? 0) + 1);
const broken = outcomes.filter((o) => o.problems.length > 0);
process.stdout.write(
  [
    `seeds run:            ${outcomes.length} (${from}..${from + count - 1})`,
    `emulator profile:     ${values.quirks ? `quirks (all but ${FAULT_QUIRKS_OFF.join(', ')}: ${QUIRK_NAMES.length - FAULT_QUIRKS_OFF.length} of ${QUIRK_NAMES.length})` : 'reference'}`,
    `faults injected:      ${sum((o) => o.faultsInjected)} (${Object.entries(faults).map(([k, n]) => `${k} ${n}`).join(', ')})`,
    `requests under faults: ${sum((o) => o.requests)} (${((100 * (faults['5xx'] + faults.reset + faults['429'])) / Math.max(1, sum((o) => o.requests))).toFixed(1)}% of them answered 5xx, reset or 429; requests while faults were on)`,
    `contacts checked:     ${sum((o) => o.contactsChecked)}`,
    `failures reported:    ${sum((o) => o.reported)} in ${outcomes.filter((o) => o.reported > 0).length} seeds (over-reported, i.e. had landed after all: ${sum((o) => o.overReported)})`,
    `applies to converge:  ${[...applies].sort((a, b) => a[0] - b[0]).map(([n, s]) => `${n}: ${s} seeds`).join(', ')}`,
    `seeds with problems:  ${broken.length}${broken.length > 0 ? ` (${broken.map((o) => o.seed).join(', ')})` : ''}`,
    `time:                 ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ].join('\n') + '\n',
);
process.exit(broken.length > 0 ? 1 : 0);
