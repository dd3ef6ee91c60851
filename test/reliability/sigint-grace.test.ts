/**
 * Ctrl-C while a batch is still running at ActiveCampaign when the grace period ends (issue 13, item 13): a
 * summary is always printed, naming the batches whose fate is unknown, and the exit code is 130. The grace is
 * shortened with ACSYNC_STOP_GRACE (seconds) and the emulator holds every batch far longer than it.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, unwrapped, Workspace } from '../helpers/workspace.ts';
import { BIN } from './crash-trial.ts';

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
      const child = spawn(process.execPath, [BIN, 'apply', '--auto-approve'], {
        cwd: ws.dir,
        env: { ...ws.env, CI: 'true', NO_COLOR: '1', ACSYNC_STOP_GRACE: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const poll = setInterval(() => {
        if (bulkImports() >= 3) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      const started = Date.now();
      const code = await exited;
      clearInterval(poll);
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
