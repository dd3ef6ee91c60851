/**
 * Crash and resume, many times: `acsync apply --auto-approve` (a real subprocess) killed with SIGKILL at a random
 * moment, rerun until it succeeds, and the list checked against the segment contact by contact.
 *   node --import tsx bench/crash.ts [--trials 25] [--seed 1] [--max-ms 1200]
 * The emulator runs in this process (it outlives every kill, as ActiveCampaign would). Each kill comes a random
 * time (uniform in [0, --max-ms], from a seeded PRNG) after the apply's FIRST request reached the emulator: starting
 * node and tsx takes about 1.4 s, varies with the machine's load, and a kill during it proves nothing. The apply
 * itself lasts about 1.2 s on an idle 2-core machine (planning, three bulk batches, polls, unsubscribes). Exit 1
 * when any trial lost, duplicated or re-subscribed someone.
 */
import { parseArgs } from 'node:util';
import { fastEmulator } from '../test/helpers/workspace.ts';
import { crashTrial, type CrashOutcome } from '../test/reliability/crash-trial.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '25' }, seed: { type: 'string', default: '1' }, 'max-ms': { type: 'string', default: '1200' } } });
const trials = Number(values.trials);
const maxMs = Number(values['max-ms']);
let a = Number(values.seed) >>> 0;
const rand = (): number => {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const emulator = await fastEmulator();
const outcomes: CrashOutcome[] = [];
const started = Date.now();
try {
  for (let i = 0; i < trials; i++) {
    const delay = Math.round(rand() * maxMs);
    let firstRequestAt: number | undefined;
    const killAt = (e: typeof emulator): boolean => {
      if (firstRequestAt === undefined && e.stats().requests > 0) firstRequestAt = Date.now();
      return firstRequestAt !== undefined && Date.now() - firstRequestAt >= delay;
    };
    const o = await crashTrial(emulator, i, killAt, `${delay} ms after the first request`);
    outcomes.push(o);
    process.stdout.write(
      `trial ${String(i + 1).padStart(2)}: kill ${String(delay).padStart(4)} ms after the first request, ${o.killedWhileRunning ? 'killed while running' : 'had finished'}, ` +
        `${o.bulkImportsBeforeKill} bulk imports before the kill, reruns exited ${o.rerunExitCodes.join(',')}, ` +
        `${o.contactsChecked} contacts checked${o.safeSideLosses.length > 0 ? `, ${o.safeSideLosses.length} left unsubscribed (safe side)` : ''}` +
        `${o.problems.length > 0 ? `\n  PROBLEMS:\n${o.problems.map((p) => `  - ${p}`).join('\n')}` : ''}\n`,
    );
  }
} finally {
  await emulator.stop();
}
const sum = (f: (o: CrashOutcome) => number): number => outcomes.reduce((s, o) => s + f(o), 0);
const broken = outcomes.filter((o) => o.problems.length > 0).length;
process.stdout.write(
  [
    `trials:               ${outcomes.length}`,
    `killed mid-run:       ${outcomes.filter((o) => o.killedWhileRunning).length} (during planning: ${outcomes.filter((o) => o.killedWhileRunning && o.bulkImportsBeforeKill === 0).length}, after bulk imports were sent: ${outcomes.filter((o) => o.killedWhileRunning && o.bulkImportsBeforeKill > 0).length})`,
    `crashes survived:     ${outcomes.filter((o) => o.killedWhileRunning && o.problems.length === 0).length}`,
    `contacts checked:     ${sum((o) => o.contactsChecked)}`,
    `left unsubscribed:    ${sum((o) => o.safeSideLosses.length)} (kill between detaching acsync's tag and re-subscribing: treated as an opt-out)`,
    `trials with problems: ${broken}`,
    `time:                 ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ].join('\n') + '\n',
);
process.exit(broken > 0 ? 1 : 0);
