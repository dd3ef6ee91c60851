/**
 * The screen a person is left with (issue 16, items 3, 11, 12): the real CLI in a real pseudo-terminal of 80
 * columns, its output replayed through a terminal emulator (xterm.js) to get what the terminal finally shows.
 * Stale frames, a wiped "Apply complete", a frozen "reading list" line, words broken at the edge, two times without
 * labels, `1750` beside `1,750` and a repeated hint are all checked on that final screen. Steps wait for text, not
 * for time, so a loaded machine only makes them slower.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { finalScreen, inPty, plain } from '../helpers/pty.ts';
import { csv, FAST_LIMITS, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
  emulator.setLimits(FAST_LIMITS);
});
afterEach(() => {
  emulator.setLimits(FAST_LIMITS);
});

const PROMPT = "Only 'yes' will be accepted:";
/** What only a live frame draws: spinners and bar cells. */
const LIVE_GLYPHS = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏█░]/;

const people = (n: number): Array<[string, string, string]> => Array.from({ length: n }, (_, i) => [`person${i}@contoso.example`, 'Person', `Number${i}`]);

/**
 * ActiveCampaign's own limits (5 requests a second, imports that take 2 s), and at most `bulkPerMinute` bulk
 * imports a minute: slow enough to press Ctrl-C in with work still to send.
 */
function realLimits(bulkPerMinute = 100): NodeJS.ProcessEnv {
  emulator.setLimits({ rateLimit: 5, bulkPerMinute, singleBulkPerMinute: 20, bulkDelayMs: 2_000 });
  const env = { ...ws.env };
  delete env['ACSYNC_RATE_LIMITS'];
  return env;
}

/** Lines that hold the words of `sentence` in order (it may be wrapped over several). */
function joined(screen: string[]): string {
  return screen.join(' ').replace(/\s+/g, ' ');
}

describe('the final screen in a terminal of 80 columns', { timeout: 120_000 }, () => {
  it('apply answered "yes": the plan and its totals, the question, the answer, the outcome; no frame left behind', async () => {
    await ws.write('seg.csv', csv(people(47)));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await inPty(['apply'], { cwd: ws.dir, env: ws.env, script: [{ expect: PROMPT, send: 'yes\r' }] });
    expect(r.pending).toEqual([]);
    expect(r.code, plain(r.output)).toBe(0);
    const screen = await finalScreen(r.output);
    const text = screen.join('\n');
    expect(text).not.toMatch(LIVE_GLYPHS);
    expect(text).not.toContain('0/47');
    // Laid out for 80 columns: the counts row breaks between two counts, never before a lone "·" or in a word.
    expect(screen).toContain('  create 47 · update 0 · subscribe 0 · resubscribe 0 · unsubscribe 0 · skip 0');
    expect(screen).toContain('  unchanged 0');
    expect(screen.filter((l) => /^\s*·/.test(l))).toEqual([]);
    // The totals come before the question they are about (they used to come after the answer), each line once.
    const plan = screen.findIndex((l) => l.startsWith('Plan: 47 to create'));
    const asked = screen.indexOf('Apply these changes to ActiveCampaign? yes');
    const done = screen.findIndex((l) => l.startsWith('✓ customers  47 applied, 0 failed; applying took '));
    expect(plan, text).toBeGreaterThan(0);
    expect(asked).toBeGreaterThan(plan);
    expect(done).toBeGreaterThan(asked);
    expect(screen.filter((l) => l.startsWith('Apply these changes'))).toHaveLength(1);
    expect(screen.at(-1)).toMatch(/^Apply complete: 47 applied, 0 failed in \d/);
    // Two times, each labelled: applying alone on the export's line, planning included in the table.
    expect(text).toMatch(/export +list +applied +failed +total time/);
    expect(await listMembers(emulator, 1)).toHaveLength(47);
  });

  it('`apply | tee log`: the screen keeps the plan, the prompt and "Apply complete", and the log is plain text', async () => {
    await ws.write('seg.csv', csv(people(30)));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const log = path.join(ws.dir, 'apply.log');
    const r = await inPty(['apply'], { cwd: ws.dir, env: ws.env, tee: log, script: [{ expect: PROMPT, send: 'yes\r' }] });
    expect(r.pending).toEqual([]);
    expect(r.code, plain(r.output)).toBe(0);
    const screen = await finalScreen(r.output);
    const text = screen.join('\n');
    // With stdout a pipe, nothing redraws once the prompt is answered: what tee prints late can no longer be
    // erased by a frame.
    const afterPrompt = r.output.slice(r.output.indexOf('applying customers'));
    expect(afterPrompt.length).toBeGreaterThan(0);
    expect(afterPrompt).not.toMatch(/\u001b\[1A/);
    expect(text).not.toMatch(LIVE_GLYPHS);
    expect(screen.at(-1)).toBe(screen.find((l) => l.startsWith('Apply complete: 30 applied, 0 failed')));
    expect(screen.findIndex((l) => l.startsWith('Plan: 30 to create'))).toBeLessThan(screen.findIndex((l) => l.includes(PROMPT)));
    const saved = await readFile(log, 'utf8');
    expect(saved).toContain('Plan: 30 to create');
    expect(saved).toMatch(/Apply complete: 30 applied, 0 failed/);
    expect(saved).not.toContain('\u001b');
    for (const line of saved.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('Ctrl-C during apply: one stopping sentence in whole words above the outcome, no ETA left running, no frame left', async () => {
    await ws.write('seg.csv', csv(people(3_000)));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    // 12 batches of 250; 6 imports a minute: half of them wait for the next minute when Ctrl-C comes.
    const env = realLimits(6);
    const r = await inPty(['apply'], {
      cwd: ws.dir,
      env,
      script: [
        { expect: PROMPT, send: 'yes\r' },
        // Once the first batches landed there is an ETA: stopping must end it (it used to run on).
        { expect: 'ETA', send: '\u0003', delay: 0.3 },
      ],
    });
    expect(r.pending).toEqual([]);
    expect(r.code, plain(r.output)).toBe(130);
    const screen = await finalScreen(r.output);
    const text = screen.join('\n');
    expect(text).not.toMatch(LIVE_GLYPHS);
    expect(text).not.toContain('ETA');
    const afterStop = plain(r.output.slice(r.output.indexOf('acsync apply: stopping')));
    expect(afterStop).toContain('stopping');
    expect(afterStop).not.toContain('ETA');
    const words = joined(screen);
    // Once, in whole words (the terminal's own wrap made "(Ctrl-C a" / "gain to quit now)").
    expect(words.match(/Ctrl-C again to quit now/g)).toHaveLength(1);
    expect(words).toContain('acsync apply: stopping: no new batches; waiting up to 30 s for those already sent (Ctrl-C again to quit now)');
    for (const line of screen) expect(line.length, line).toBeLessThanOrEqual(80);
    // The export's line left behind wraps under its words, not at the screen's edge.
    const finished = screen.findIndex((l) => l.startsWith('■ customers'));
    expect(finished).toBeGreaterThan(-1);
    expect(screen[finished + 1]).toMatch(/^ {2}\S/);
    // The run's outcome: counts with separators, the hint to run again once.
    expect(words).toMatch(/Apply stopped: [\d,]+ applied, 0 failed, [\d,]+ not sent in /);
    // (A config value to type, `lookupLimit: 3000`, is written as YAML takes it.)
    expect(words.replace(/lookupLimit: \d+/g, '')).not.toMatch(/\b\d{4,}\b/);
    expect(words.match(/run apply again/g)).toHaveLength(1);
    const stop = screen.findIndex((l) => l.startsWith('acsync apply: stopping'));
    expect(stop).toBeGreaterThan(screen.indexOf('Apply these changes to ActiveCampaign? yes'));
    expect(stop).toBeLessThan(screen.findIndex((l) => l.startsWith('Apply stopped')));
  });

  it('Ctrl-C during plan: the screen is closed, no "reading list" line frozen, exit 130', async () => {
    await ws.write('seg.csv', csv(people(10)));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const contacts = Array.from({ length: 3_000 }, (_, i) => ({ email: `member${i}@contoso.example`, lists: { '1': 1 as const } }));
    emulator.seed({ contacts });
    const env = realLimits();
    const r = await inPty(['plan', '--refresh', 'full'], { cwd: ws.dir, env, script: [{ expect: 'reading list', send: '\u0003', delay: 0.3 }] });
    expect(r.pending).toEqual([]);
    expect(r.code, plain(r.output)).toBe(130);
    const screen = await finalScreen(r.output);
    const text = screen.join('\n');
    expect(text).not.toMatch(LIVE_GLYPHS);
    expect(text).not.toContain('reading list');
    expect(screen.at(-1)).toBe('acsync plan: interrupted; no plan was made.');
    // The cursor Ink hid is shown again.
    expect(r.output.lastIndexOf('\u001b[?25h')).toBeGreaterThan(r.output.lastIndexOf('\u001b[?25l'));
  });

  it('plain CI output at 80 columns: no line wider, the table in symbols with a legend, words whole', async () => {
    await ws.write('seg.csv', csv([...people(12), ['not-an-email', 'Bad'], ['', 'Nobody']]));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await inPty(['plan'], { cwd: ws.dir, env: { ...ws.env, CI: 'true' }, ci: true });
    expect(r.code, plain(r.output)).toBe(0);
    const out = plain(r.output);
    expect(out).not.toMatch(LIVE_GLYPHS);
    const lines = out.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(out).toMatch(/ {2}export +list +connection +\+ +~ +> +» +- +! +=\n/);
    expect(out).toContain('  + create  ~ update  > subscribe  » resubscribe  - unsubscribe  ! skip\n  = unchanged');
    expect(joined(lines)).toContain('Plan: 12 to create, 0 to update, 0 to subscribe, 0 to resubscribe, 0 to unsubscribe (2 skipped, 0 unchanged).');
  });
});
