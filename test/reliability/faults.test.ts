/**
 * The fault suite: many seeds, each a small export applied while about 10% of requests fail in every way the
 * emulator can make them fail. See fault-scenario.ts for the invariants.
 */
import { describe, expect, it } from 'vitest';
import { noFaults, runFaultScenario, type ScenarioOutcome } from './fault-scenario.ts';

/** Enough seeds to meet every fault kind several times over; the soak script (bench/soak.ts) runs hundreds. */
const SEEDS = Array.from({ length: 24 }, (_, i) => 101 + i);
const outcomes: ScenarioOutcome[] = [];

describe('apply under injected faults', { timeout: 60_000 }, () => {
  it.concurrent.each(SEEDS)('seed %i: converges or names exactly what did not make it; a rerun converges', async (seed) => {
    const r = await runFaultScenario(seed);
    outcomes.push(r);
    expect(r.problems).toEqual([]);
    expect(r.contactsChecked).toBeGreaterThanOrEqual(40);
  });
});

describe('the suite as a whole', () => {
  it('met every kind of fault, and some contacts were reported failed and then converged', () => {
    expect(outcomes).toHaveLength(SEEDS.length);
    const total = noFaults();
    for (const o of outcomes) for (const [k, n] of Object.entries(o.faultsByKind)) total[k as keyof typeof total] += n;
    for (const [kind, n] of Object.entries(total)) expect(n, `fault kind ${kind}`).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.reported > 0).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.appliesToConverge > 1).length).toBeGreaterThan(0);
  });
});
