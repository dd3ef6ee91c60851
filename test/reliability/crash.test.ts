/**
 * Crash and resume: `acsync apply` (a real subprocess) killed with SIGKILL at telling moments, then rerun; the list
 * must end up exactly the segment. bench/crash.ts kills at many random moments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { fastEmulator } from '../helpers/workspace.ts';
import { crashTrial, type KillAt } from './crash-trial.ts';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

const bulkImports = (e: EmulatorHandle): number => e.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0;
const MOMENTS: Array<[string, KillAt]> = [
  ['while planning (the list was being read)', (e) => (e.stats().byEndpoint['GET /api/3/contacts'] ?? 0) > 0],
  ['right after a re-subscribe detached acsync\'s tag', (e) => (e.stats().byEndpoint['DELETE /api/3/contactTags/{id}'] ?? 0) > 0],
  ['as soon as the first bulk import arrived', (e) => bulkImports(e) >= 1],
];

describe('SIGKILL during apply, then rerun', { timeout: 60_000 }, () => {
  it.each(MOMENTS)('killed %s: the rerun converges, nothing lost or duplicated', async (name, killAt) => {
    const r = await crashTrial(emulator, MOMENTS.findIndex((m) => m[0] === name), killAt, name);
    expect(r.problems).toEqual([]);
    expect(r.killedWhileRunning).toBe(true);
    expect(r.rerunExitCodes.at(-1)).toBe(0);
    expect(r.contactsChecked).toBeGreaterThan(600);
    // At most the one contact whose re-subscribe the kill cut in half stays unsubscribed (the safe side).
    expect(r.safeSideLosses.length).toBeLessThanOrEqual(1);
  });
});
