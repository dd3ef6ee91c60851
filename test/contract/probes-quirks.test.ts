/**
 * The open-question probes (probes.ts) against the emulator twice, in its reference profile and with the quirks
 * that play the other reading of each question (emulator/quirks.ts): the answers must differ where the readings
 * do, or the probes could not settle the questions on a real account (issue 15 item 12). Always the emulator, also
 * under `npm run contract` with a real account configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuirkName } from '../../emulator/quirks.ts';
import { ContractAccount, emulatorTarget, type ContractTarget } from './account.ts';
import { runProbes, type ProbeResult } from './probes.ts';

const OTHER_READINGS: QuirkName[] = ['failureReasonsOneBased', 'duplicateTagBody', 'bulkNoSuccess', 'normaliseValues', 'sdateOnEveryChange'];

async function answers(quirks: QuirkName[]): Promise<Map<string, string>> {
  const target: ContractTarget = await emulatorTarget(undefined, quirks);
  targets.push(target);
  target.emulator!.seed({ fields: [{ perstag: 'PROBE_DATE', type: 'date' }, { perstag: 'PROBE_NUMBER', type: 'number' }] });
  const account = new ContractAccount(target);
  const results: ProbeResult[] = await runProbes(account, await account.createList('probes'));
  expect(results.filter((r) => r.answer.startsWith('probe failed'))).toEqual([]);
  // Keyed by the start of the question, which names it.
  return new Map(results.map((r) => [r.question.split(':')[0]!, r.answer]));
}

const targets: ContractTarget[] = [];
let reference: Map<string, string>;
let quirky: Map<string, string>;
beforeAll(async () => {
  reference = await answers([]);
  quirky = await answers(OTHER_READINGS);
}, 120_000);
afterAll(async () => {
  for (const t of targets) await t.stop();
});

describe('the probes tell the readings apart', () => {
  it('failureReasons: 0-based and all listed, or 1-based and only the first few', () => {
    expect(reference.get('Bulk 400 `failureReasons[].contact`')).toContain('indexes answered: [1, 3, 4, 5]');
    expect(quirky.get('Bulk 400 `failureReasons[].contact`')).toContain('indexes answered: [2, 4, 5]');
  });

  it('a duplicate tag: a 422, or the "Duplicate entry" body', () => {
    expect(reference.get('`POST /tags` with an existing name (and another case)')).toMatch(/same name 422/);
    expect(quirky.get('`POST /tags` with an existing name (and another case)')).toMatch(/same name 400 .*Duplicate entry/);
  });

  it('a queued import: with `success`, or with a batchId only', () => {
    expect(reference.get('A queued bulk import')).toMatch(/keys: .*\bsuccess\b/);
    expect(quirky.get('A queued bulk import')).not.toMatch(/\bsuccess\b/i);
    expect(quirky.get('A queued bulk import')).toContain('batchId');
  });

  it('values as sent, or respelled', () => {
    expect(reference.get('Values round trip')).toBe("phone '+1 (555) 010-0000' → '+1 (555) 010-0000'; '2026-05-01' → '2026-05-01'; '1.50' → '1.50'");
    expect(quirky.get('Values round trip')).toBe("phone '+1 (555) 010-0000' → '+15550100000'; '2026-05-01' → '2026-05-01 00:00:00'; '1.50' → '1.5'");
  });

  it("a membership's sdate: unchanged by an unsubscribe, or moved", () => {
    expect(reference.get("Does a membership's `sdate` move on unsubscribe (not only on subscribe)?")).toMatch(/\(unchanged\)$/);
    expect(quirky.get("Does a membership's `sdate` move on unsubscribe (not only on subscribe)?")).toMatch(/\(moved\)$/);
  });
});
