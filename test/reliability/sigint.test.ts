/**
 * SIGINT during `acsync apply` (a real subprocess): no new batches after it, batches already sent are awaited,
 * a summary of what was and was not applied, exit code 130; a rerun then finishes the job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, listMembers, Workspace } from '../helpers/workspace.ts';

/**
 * Slow enough (3 requests/s) that most of the 8 bulk batches still wait for the budget at SIGINT. The budget may
 * have granted up to RPS requests that are on their way when the signal comes: those may arrive, no more.
 */
const RPS = 3;
const LIMITS = { rateLimit: RPS, bulkPerMinute: 600, singleBulkPerMinute: 600, bulkDelayMs: 300 };
const ENV_LIMITS = `rps=${RPS},bulk=600,single=600`;
const CONTACTS = 2000;

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator(LIMITS);
});
afterAll(async () => {
  await emulator.stop();
});

const bulkImports = (): number => emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0;

describe('SIGINT during apply', { timeout: 60_000 }, () => {
  it('sends no new batch, awaits those in flight, says what was and was not applied, exits 130', async () => {
    const ws = await Workspace.create(emulator);
    try {
      await ws.write('seg.csv', csv(Array.from({ length: CONTACTS }, (_, i) => [`int${i}@acsync-sigint.example`, `I${i}`])));
      await ws.config([{ segment: 'seg.csv' }]);
      let sentAtSigint = -1;
      let sigintAt = 0;
      const { code, stdout, stderr } = await ws.cliWithSignal(['apply', '--auto-approve'], {
        env: { ACSYNC_RATE_LIMITS: ENV_LIMITS },
        signal: 'SIGINT',
        at: () => {
          if (sentAtSigint >= 0 || bulkImports() < 1) return false;
          sentAtSigint = bulkImports();
          sigintAt = Date.now();
          return true;
        },
      });
      const stopMs = Date.now() - sigintAt;
      const sentAtExit = bulkImports();
      await new Promise((r) => setTimeout(r, 500));

      expect(sentAtSigint).toBeGreaterThanOrEqual(1);
      expect(code).toBe(130);
      expect(stderr).toContain('stopping: no new batches');
      // Imports on the wire may land; none is started after the signal, and none after the exit.
      expect(sentAtExit).toBeLessThanOrEqual(sentAtSigint + RPS);
      expect(bulkImports()).toBe(sentAtExit);
      expect(stopMs).toBeLessThan(15_000);
      // The summary names both sides.
      const summary = /Apply stopped: ([\d,]+) applied, ([\d,]+) failed, ([\d,]+) not sent/.exec(stdout);
      expect(summary, stdout).not.toBeNull();
      const [applied, failed, notSent] = [summary![1]!, summary![2]!, summary![3]!].map((n) => Number(n.replace(/,/g, '')));
      expect(applied).toBeGreaterThan(0);
      // Nothing failed: the contacts not sent are not reported as failures.
      expect(failed).toBe(0);
      expect(notSent).toBeGreaterThan(0);
      expect(applied! + notSent!).toBe(CONTACTS);
      // Said once, by the table's `not sent` column and the closing sentence (no repeated error line).
      expect(stdout).toMatch(/ not sent +total time/);
      expect(stdout.match(/run apply again/g)).toHaveLength(1);
      // What was reported applied is on the list; the rest is not.
      emulator.setLimits({ rateLimit: 1000 });
      expect((await listMembers(emulator, 1)).length).toBe(Number(applied));
      emulator.setLimits(LIMITS);

      // A rerun sends only what is missing and converges.
      const before = bulkImports();
      const rerun = ws.cli(['apply', '--auto-approve'], { env: { ACSYNC_RATE_LIMITS: 'rps=1000,bulk=20000,single=4000' } });
      emulator.setLimits({ rateLimit: 1000 });
      expect((await rerun).code).toBe(0);
      expect(bulkImports() - before).toBe(Math.ceil((CONTACTS - Number(applied)) / 250));
      expect(await listMembers(emulator, 1)).toHaveLength(CONTACTS);
    } finally {
      emulator.setLimits(LIMITS);
      await ws.dispose();
    }
  });
});
