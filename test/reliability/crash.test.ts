/**
 * Crash and resume: `acsync apply` (a real subprocess) killed with SIGKILL at telling moments, then rerun; the list
 * must end up exactly the segment. bench/crash.ts kills at many random moments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { fastEmulator } from '../helpers/workspace.ts';
import { CRASH_MOMENTS as MOMENTS, crashTrial } from './crash-trial.ts';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

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
