/**
 * Where a segment may be read from (issue 13, items 8 and 11): inside the config file's folder after following
 * symbolic links (or a folder named in ACSYNC_SEGMENT_ROOTS), and only a regular file: a FIFO or /dev/zero is
 * refused before anything reads it, and before any request is sent. A header is quoted only as column names, so
 * a `.env` read as a segment never shows its values. The real CLI against the emulator over loopback.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { quoteColumn } from '../../engine/segment/csv.ts';
import { csv, listMembers, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const SECRET = 'sk-live-0123456789abcdef-topsecret';

let emulator: EmulatorHandle;
let ws: Workspace;
let outside: string;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  outside = await mkdtemp(path.join(os.tmpdir(), 'acsync-outside-'));
  await writeFile(path.join(outside, 'seg.csv'), csv([['ana@contoso.example', 'Ana']]));
  await writeFile(path.join(outside, '.env'), `AC_API_KEY=${SECRET}\nOTHER=1\n`);
});
afterEach(async () => {
  await rm(outside, { recursive: true, force: true });
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  const r = await ws.cli(args, { env, timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const requests = (): number => Object.values(emulator.stats().byEndpoint).reduce((a, b) => a + b, 0);

describe('segment location', { timeout: 60_000 }, () => {
  it('refuses a path outside the config folder, and a link pointing out of it, before any request', async () => {
    await ws.config([{ segment: path.relative(ws.dir, path.join(outside, 'seg.csv')), fields: false }]);
    const up = await cli(['plan']);
    expect(up.code).toBe(1);
    expect(unwrapped(up.out)).toContain('the segment file is outside the folder of the config file');
    expect(up.out).toContain('ACSYNC_SEGMENT_ROOTS');

    await symlink(path.join(outside, '.env'), path.join(ws.dir, 'seg.csv'));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const linked = await cli(['apply', '--auto-approve', '--json']);
    expect(linked.code).toBe(1);
    expect(linked.out).toContain('outside the folder of the config file');
    expect(linked.out).not.toContain(SECRET);
    expect(requests()).toBe(0);

    const validate = await cli(['validate']);
    expect(validate.code).toBe(1);
    expect(validate.out).toMatch(/acsync\.yaml:\d+:\d+ error exports\.customers\.segment: segment seg\.csv: the segment file is outside/);
  });

  it('ACSYNC_SEGMENT_ROOTS allows another folder', async () => {
    await ws.config([{ segment: path.join(outside, 'seg.csv'), fields: false }]);
    await writeFile(path.join(outside, 'seg.csv'), 'Email,First,Last,Phone\nana@contoso.example,Ana,,\n');
    const r = await cli(['apply', '--auto-approve'], { ACSYNC_SEGMENT_ROOTS: outside });
    expect(r.code, r.out).toBe(0);
    expect((await listMembers(emulator, 1)).map((m) => m.email)).toEqual(['ana@contoso.example']);
  });

  it('a .env inside the folder read as a segment never shows its values', async () => {
    await writeFile(path.join(ws.dir, '.env'), `AC_API_KEY=${SECRET}\n`);
    await symlink('.env', path.join(ws.dir, 'seg.csv'));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await cli(['plan', '--json']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("the header has one column 'AC_API_KEY=…'");
    expect(r.out).not.toContain(SECRET);
  });

  it('a FIFO is refused at once, never opened (it would block forever); so is a device', async () => {
    execFileSync('mkfifo', [path.join(ws.dir, 'seg.csv')]);
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await cli(['plan']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('the segment is a named pipe (FIFO), not a regular file');
    expect(requests()).toBe(0);
    const v = await cli(['validate']);
    expect(v.code).toBe(1);
    expect(v.out).toContain('named pipe (FIFO)');

    await symlink('/dev/zero', path.join(ws.dir, 'zero.csv'));
    await ws.config([{ segment: 'zero.csv', fields: false }]);
    const dev = await cli(['plan'], { ACSYNC_SEGMENT_ROOTS: '/dev' });
    expect(dev.code).toBe(1);
    expect(dev.out).toContain('the segment is a device, not a regular file');
  });

  it('a missing segment is found before the list is read', async () => {
    await ws.config([{ segment: 'nope.csv', fields: false }]);
    const r = await cli(['plan']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('segment file not found');
    expect(requests()).toBe(0);
  });
});

describe('quoting a header', () => {
  it.each([
    ['Email', "'Email'"],
    ['AC_API_KEY=abc', "'AC_API_KEY=…'"],
    ['url: postgres://u:p@h/db', "'url:…'"],
    ['x'.repeat(60), `'${'x'.repeat(40)}…'`],
    ['a\u001b[2Jb', "'a\\u001b[2Jb'"],
  ])('%j', (name, shown) => {
    expect(quoteColumn(name)).toBe(shown);
  });
});
