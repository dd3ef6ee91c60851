/**
 * Ctrl-C while a batch is still running at ActiveCampaign when the grace period ends (issue 13, item 13): a
 * summary is always printed, naming the batches whose fate is unknown, and the exit code is 130. The grace is
 * shortened with ACSYNC_STOP_GRACE (seconds) and the emulator holds every batch far longer than it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, unwrapped, Workspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator({ bulkDelayMs: 120_000 });
});
afterAll(async () => {
  await emulator.stop();
});

const bulkImports = (): number => emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0;

describe('SIGINT when the grace period ends before the batches', { timeout: 60_000 }, () => {
  it('prints a summary naming the batches of unknown fate, and exits 130', async () => {
    const ws = await Workspace.create(emulator);
    try {
      await ws.write('seg.csv', csv(Array.from({ length: 600 }, (_, i) => [`grace${i}@acsync-sigint.example`, `G${i}`])));
      await ws.config([{ segment: 'seg.csv' }]);
      const started = Date.now();
      const r = await ws.cliWithSignal(['apply', '--auto-approve'], { env: { ACSYNC_STOP_GRACE: '2' }, signal: 'SIGINT', at: () => bulkImports() >= 3, pollMs: 20 });
      const { code } = r;
      const out = r.stdout + r.stderr;
      expect(code).toBe(130);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(out).toContain('waiting up to 2 s for those already sent');
      expect(unwrapped(out)).toMatch(/stopped waiting after 2 s: 3 batches \(600 changes\) still running at ActiveCampaign for customers, their fate unknown/);
      expect(out).toContain('0 applied, 0 failed, 0 not sent, 600 unknown.');
      expect(out).toContain('run apply again');
    } finally {
      await ws.dispose();
    }
  });
});
