/**
 * The CLI's entry never ends a command with exit 0 unless the command said 0. Node exits when its event loop is
 * empty, even while the command's promise is pending; cli/main.ts's runAsProcess turns that into an internal
 * error and exit 1. No acsync command is known to leave its promise pending (that would be a bug to fix), so the
 * guard is tested directly: in a real node process (tsx, as bin/acsync.js runs a checkout), given a promise that
 * never settles, one that resolves and one that rejects.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileP = promisify(execFile);

/** Runs `runAsProcess(['plan'], <promise>)` as the whole of a fresh node process. */
async function entry(promise: string): Promise<{ code: number; stderr: string }> {
  const script = `const { runAsProcess } = await import('./cli/main.ts');\nrunAsProcess(['plan'], ${promise});`;
  try {
    const r = await execFileP(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('runAsProcess (the CLI entry)', { timeout: 30_000 }, () => {
  it('a command whose promise never settles ends as an internal error, exit 1, with the bug-report line', async () => {
    const r = await entry('new Promise(() => {})');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^acsync: internal error: acsync plan stopped before it finished: it was left waiting for something that can no longer happen/);
    expect(r.stderr).toMatch(/This is a bug in acsync: please report it/);
    // Said once, though writing it gives Node's loop one more turn.
    expect(r.stderr.match(/internal error/g)).toHaveLength(1);
  });

  it('one that settles after a wait is not mistaken for it', async () => {
    expect(await entry('new Promise((resolve) => setTimeout(() => resolve(2), 200))')).toEqual({ code: 2, stderr: '' });
    expect(await entry('Promise.resolve(0)')).toEqual({ code: 0, stderr: '' });
  });

  it('one that rejects is an internal error with its stack', async () => {
    const r = await entry("Promise.reject(new TypeError('boom'))");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^acsync: internal error: TypeError: boom\n\s+at /);
    expect(r.stderr).toMatch(/This is a bug in acsync: please report it/);
  });
});
