import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('acsync entry point', () => {
  it('prints usage with --help and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['bin/acsync.js', '--help']);
    expect(stdout).toContain('Usage: acsync <command>');
    expect(stdout).toContain('validate');
  });

  it('rejects an unknown command with exit 1', async () => {
    await expect(run(process.execPath, ['bin/acsync.js', 'frobnicate'])).rejects.toMatchObject({ code: 1 });
  });
});
