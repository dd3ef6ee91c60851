/** `acsync demo` (what `npm run demo` runs) as a real subprocess with CI=true: the quickstart end to end at real limits. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/acsync.js', import.meta.url));
const exec = promisify(execFile);

describe('acsync demo (subprocess, CI=true)', () => {
  it('plans, applies and plans again to no changes, exit 0, emails masked in CI', { timeout: 120_000 }, async () => {
    const r = await exec(process.execPath, [BIN, 'demo'], { env: { PATH: process.env.PATH ?? '', CI: 'true', NO_COLOR: '1' } });
    expect(r.stderr).toContain('demo: done: the list now matches the segment');
    expect(r.stdout).toContain('Plan: 47 to create');
    expect(r.stdout).toContain('Apply complete: 47 applied, 0 failed');
    expect(r.stdout).toContain('No changes: the list matches its segment');
    expect(r.stdout).not.toContain('ana.souza@contoso.example');
    expect(r.stdout + r.stderr).not.toMatch(/\u001b\[/);
    // A log is laid out for 80 columns, the demo's own lines too (they broke "100" across two lines).
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
