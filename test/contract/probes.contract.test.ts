/**
 * The open questions about ActiveCampaign (docs/activecampaign-api.md), asked of the contract target: a real
 * account when ACSYNC_TEST_HOSTNAME/ACSYNC_TEST_API_KEY are set (see account.ts), the emulator otherwise. Against
 * a real account the answers are written to docs/contract-results.md (or ACSYNC_CONTRACT_RESULTS); against the
 * emulator to a temporary file unless ACSYNC_CONTRACT_RESULTS names one, so `npm test` leaves the checkout alone.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractAccount, contractTarget, realAccountSkipReason, type ContractTarget } from './account.ts';
import { resultsTable, runProbes } from './probes.ts';

let target: ContractTarget;
let account: ContractAccount;
let tmp: string | undefined;

beforeAll(async () => {
  target = await contractTarget();
  account = new ContractAccount(target);
});
afterAll(async () => {
  await account.cleanup().catch(() => []);
  await target.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe(`open questions (${realAccountSkipReason() === undefined ? 'real ActiveCampaign account' : 'emulator'})`, { timeout: 300_000 }, () => {
  it('asks each one and writes the answers to a table, without the key', async () => {
    const listId = await account.createList('probes');
    const results = await runProbes(account, listId);
    expect(results.length).toBeGreaterThanOrEqual(11);
    const real = target.kind === 'activecampaign';
    let file = process.env['ACSYNC_CONTRACT_RESULTS'];
    if (file === undefined || file === '') {
      if (real) file = path.resolve('docs/contract-results.md');
      else {
        tmp = await mkdtemp(path.join(os.tmpdir(), 'acsync-probes-'));
        file = path.join(tmp, 'contract-results.md');
      }
    }
    await writeFile(file, resultsTable(results, real ? 'a real ActiveCampaign account' : 'the emulator (reference profile)', new Date()));
    const table = await readFile(file, 'utf8');
    expect(table).not.toContain(target.apiKey);
    expect(table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| question') && !l.startsWith('| ---'))).toHaveLength(results.length);
    // The emulator answers every probe; a real account may refuse some, which is an answer too.
    if (!real) expect(results.filter((r) => r.answer.startsWith('probe failed'))).toEqual([]);
  });
});
