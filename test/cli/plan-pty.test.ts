/**
 * `acsync plan` on the quickstart, in a real pseudo-terminal of 80 columns, as a newcomer first sees it: the Ink
 * plan says where the segment came from (as the plan in a log does), and a reason or a note too long for the line
 * goes on under its own start, not at the left edge of the terminal.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalScreen, inPty, plain } from '../helpers/pty.ts';
import { withEmulatorWorkspace } from '../helpers/workspace.ts';

const setup = withEmulatorWorkspace();

describe('acsync plan in a terminal of 80 columns', () => {
  it('names the segment it read and wraps long notes under themselves', { timeout: 120_000 }, async () => {
    const { ws, emulator } = setup;
    await cp(path.resolve('examples/quickstart'), ws.dir, { recursive: true });
    const file = path.join(ws.dir, 'acsync.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('hostname: 127.0.0.1:4010', `hostname: ${emulator.hostname}`));
    const r = await inPty(['plan'], { cwd: ws.dir, env: ws.env, cols: 80 });
    expect(r.code, plain(r.output).slice(-2000)).toBe(0);
    const screen = await finalScreen(r.output);
    const text = screen.join('\n');
    expect(
      screen.some((l) => /^ {2}segment: file, 52 rows read in \d+\.\d s$/.test(l)),
      text,
    ).toBe(true);
    // Row 46's reason does not fit beside the emails: its last word goes on under the reasons.
    const row46 = screen.findIndex((l) => l.includes('row 46  (no email)'));
    expect(row46, text).toBeGreaterThan(0);
    const reasonColumn = screen[row46]!.indexOf('no email (column');
    expect(screen[row46 + 1], text).toBe(`${' '.repeat(reasonColumn)}empty)`);
  });

  it('breaks an error and its hint between words, continuations indented under them', { timeout: 60_000 }, async () => {
    const { ws, emulator } = setup;
    await cp(path.resolve('examples/quickstart'), ws.dir, { recursive: true });
    const file = path.join(ws.dir, 'acsync.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('hostname: 127.0.0.1:4010', `hostname: ${emulator.hostname}`));
    const env = { ...ws.env };
    delete env['AC_API_KEY'];
    const r = await inPty(['plan'], { cwd: ws.dir, env, cols: 80 });
    expect(r.code).toBe(1);
    const written = plain(r.output).split('\n');
    for (const line of written) expect(line.length, line).toBeLessThanOrEqual(80);
    const error = written.findIndex((l) => l.startsWith('✗ customers: environment variable AC_API_KEY is not set'));
    expect(error, written.join('\n')).toBeGreaterThanOrEqual(0);
    expect(written[error + 1]).toMatch(/^ {2}\S/);
  });
});
