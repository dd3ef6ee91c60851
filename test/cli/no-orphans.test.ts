/**
 * `apply` and `watch` run in the process the user started (bin/acsync.js starts no second one for V8's
 * collector: engine/heap.ts reaches it in-process), so a SIGKILL to that process leaves nothing running that
 * could keep sending to ActiveCampaign. The real bin, killed mid-run.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csv, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { runCli } from '../reliability/crash-trial.ts';

const ctx = withEmulatorWorkspace({ rateLimit: 20, bulkPerMinute: 600, singleBulkPerMinute: 600, bulkDelayMs: 300 });
/** Slow enough that the run is still going when it is killed. */
const ENV = { ACSYNC_RATE_LIMITS: 'rps=20,bulk=600,single=600' };

/** Processes whose working folder is `dir` (Linux /proc): what a run started there left behind. */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to look at.
    }
  }
  return found;
}

const requests = (): number => ctx.emulator.stats().requests;

describe.runIf(process.platform === 'linux')('SIGKILL to the acsync process', { timeout: 60_000 }, () => {
  it.each([['apply', '--auto-approve'], ['watch']])('%s: nothing is left running, nothing more is sent', async (...args) => {
    const { ws } = ctx;
    await ws.write('seg.csv', csv(Array.from({ length: 3000 }, (_, i) => [`k${i}@acsync-kill.example`, `K${i}`] as [string, string])));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    let seenWhileRunning: number[] | undefined;
    const r = await runCli(ws, args, {
      env: ENV,
      killAt: () => {
        if (requests() < 3) return false;
        // Asked again until the exit is seen: the first look is the one while it ran.
        seenWhileRunning ??= processesIn(ws.dir);
        return true;
      },
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    // While it ran, one process worked in the folder: the one that was killed.
    expect(seenWhileRunning, `${r.stderr}\n${JSON.stringify(seenWhileRunning)}`).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processesIn(ws.dir)).toEqual([]);
    const after = requests();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(requests()).toBe(after);
  });
});
