/**
 * `acsync watch` in a small terminal (issue 16, item 3: "watch repeats its header frame"): the real CLI in a real
 * pseudo-terminal of 80 columns and 12 rows, with the config edited while the screen is live so that its warnings
 * (the placeholder emails `acsync init` writes) arrive as a reload notice. A live frame as tall as the terminal
 * makes Ink clear the whole terminal on every redraw (`ESC[2J ESC[3J`): the scrollback (the command line, the
 * warnings printed before the screen) is wiped, and a terminal that ignores ESC[3J keeps one copy of the frame,
 * header first, per redraw, once a second. So the frame has to stay shorter than the terminal.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { finalScreen, inPty, plain } from '../helpers/pty.ts';
import { csv, withEmulatorWorkspace } from '../helpers/workspace.ts';

const setup = withEmulatorWorkspace();

/** The sequences a terminal wipes itself with: erase the display, erase the scrollback. */
const CLEAR_TERMINAL = /\u001b\[2J|\u001b\[3J/;

describe('acsync watch in a terminal of 80 columns and 12 rows', () => {
  it('keeps its frame under the terminal height while config warnings pile up: one header, nothing wiped', { timeout: 180_000 }, async () => {
    const { ws } = setup;
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    const file = await ws.config([{ segment: 'seg.csv', fields: false }]);
    // What `acsync init` writes: placeholder people, each one a validate warning.
    const config = (await readFile(file, 'utf8')).replaceAll('ana@contoso.example', 'admin@example.com');
    await writeFile(file, config);
    const watching = inPty(['watch'], {
      cwd: ws.dir,
      env: ws.env,
      cols: 80,
      rows: 12,
      script: [
        { expect: 'Ctrl-C to stop' },
        { expect: 'reloaded' },
        // A few redraws (one a second) after the notice, then stop.
        { expect: 'Ctrl-C to stop', send: '\u0003', delay: 2.5 },
      ],
    });
    // Edit the config while the screen is live (a new placeholder contributor: one more warning), until the
    // watch has seen an edit and stopped; writes come a second apart, each one a reload.
    let done = false;
    void watching.finally(() => {
      done = true;
    });
    for (let i = 0; !done && i < 60; i++) {
      await sleep(1000);
      if (done) break;
      // Saved as editors save (a new file renamed over the old one): watch, still starting on a loaded machine,
      // could otherwise read the file between its truncation and its write, find it empty and stop (seen in CI).
      await writeFile(`${file}.new`, config.replace('roles:\n', `roles:\n  contributors: [someone${i}@example.com]\n`));
      await rename(`${file}.new`, file);
    }
    const r = await watching;
    expect(r.pending, plain(r.output).slice(-2000)).toEqual([]);
    expect(CLEAR_TERMINAL.test(r.output), 'the screen cleared the whole terminal').toBe(false);
    const screen = await finalScreen(r.output, 80, 12);
    const text = screen.join('\n');
    expect(screen.filter((l) => l.startsWith('acsync watch · ')).length, text).toBe(1);
    // The warnings printed before the screen started are still there, and so is the reload with its own.
    expect(text).toContain('admin@example.com is the placeholder');
    expect(text).toMatch(/acsync\.yaml reloaded: no export changed/);
    expect(text).toMatch(/someone\d+@example\.com is the\s+placeholder/);
    for (const line of screen) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('narrowed while live (80 → 50 columns): the reflowed frame is erased whole, one header left', { timeout: 120_000 }, async () => {
    const { ws } = setup;
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await inPty(['watch'], {
      cwd: ws.dir,
      env: ws.env,
      cols: 80,
      rows: 12,
      // After the first run its "last" line is wider than 50 columns: the narrower terminal reflows it.
      script: [{ expect: ' applied in ' }, { resize: [50, 12], delay: 0.5 }, { expect: 'Ctrl-C to stop', send: '\u0003', delay: 2 }],
    });
    expect(r.pending, plain(r.output).slice(-2000)).toEqual([]);
    expect(r.resizes).toHaveLength(1);
    const screen = await finalScreen(r.output, 80, 12, r.resizes);
    expect(screen.filter((l) => l.startsWith('acsync watch · ')).length, screen.join('\n')).toBe(1);
  });
});
