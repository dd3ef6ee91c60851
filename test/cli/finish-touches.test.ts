/**
 * Small things a first-time user trips on (issue 16, item 14), through the real CLI: a refused connection to this
 * machine says to start the emulator; a run the schedule starts is listed on the watch screen like a file change.
 * (The stale saved plan and `show`'s connection names are checked in plan-apply.test.ts.)
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { finalScreen, inPty, plain } from '../helpers/pty.ts';
import { csv, withEmulatorWorkspace } from '../helpers/workspace.ts';

const setup = withEmulatorWorkspace();

describe('a connection to this machine that nothing answers', () => {
  it('says to start the bundled emulator on that port, in words that fit 80 columns', { timeout: 120_000 }, async () => {
    const { ws, emulator } = setup;
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    const file = await ws.config([{ segment: 'seg.csv', fields: false }]);
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await ws.write('acsync.yaml', (await readFile(file, 'utf8')).replace(emulator.hostname, '127.0.0.1:1'));
    const r = await ws.cli(['plan']);
    expect(r.code).toBe(1);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('connection refused (ECONNREFUSED)');
    expect(text).toContain('hint: nothing listens at 127.0.0.1:1: start the bundled emulator there with `acsync emulator --port 1`');
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe('acsync watch in a terminal', () => {
  it('lists a run the schedule started among its notices', { timeout: 180_000 }, async () => {
    const { ws } = setup;
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    // Every minute: the first scheduled run comes within 60 s of the start.
    await ws.config([{ segment: 'seg.csv', fields: false, extra: '    schedule: "* * * * *"' }]);
    const r = await inPty(['watch'], {
      cwd: ws.dir,
      env: ws.env,
      cols: 80,
      script: [{ expect: 'started (schedule)', send: '\u0003', delay: 0.5 }],
    });
    expect(r.pending, plain(r.output).slice(-2000)).toEqual([]);
    const screen = await finalScreen(r.output);
    expect(
      screen.some((l) => /^\d\d:\d\d:\d\d customers: run \d+ started \(schedule\)$/.test(l)),
      screen.join('\n'),
    ).toBe(true);
  });
});
