/** The real `acsync watch` as a subprocess (CI=true): help, startup errors, signals and exit codes. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WATCH_USAGE } from '../../cli/commands/watch.ts';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

const BIN = fileURLToPath(new URL('../../bin/acsync.js', import.meta.url));

let emulator: EmulatorHandle;
let ws: Workspace;
const children: ChildProcessWithoutNullStreams[] = [];

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  emulator.setLimits({ bulkDelayMs: 20 });
  emulator.setFaults(undefined);
});

interface Proc {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  waitFor: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
}

function watch(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (text: string | RegExp, timeoutMs = 8_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(typeof text === 'string' ? (out + err).includes(text) : text.test(out + err))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${String(text)} in output:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, out: () => out, err: () => err, exited, waitFor };
}

describe('acsync watch (subprocess)', () => {
  it('--help says that watch applies without asking, and how to avoid it', () => {
    expect(WATCH_USAGE).toContain('apply --auto-approve');
    expect(WATCH_USAGE).toContain('--plan-only');
    expect(WATCH_USAGE).toContain('--no-initial');
  });

  it('refuses to start on an invalid config, naming file and line', async () => {
    await ws.write('acsync.yaml', 'version: 1\nroles: [\n');
    const p = watch([]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toMatch(/acsync\.yaml:\d+:\d+ error/);
    expect(p.err()).toContain('fix them and start watch again');
  });

  it('SIGINT stops it: JSON events, a summary, exit 0, and the API key is never printed', async () => {
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const p = watch(['--json']);
    await p.waitFor('"type":"watch:run-done"');
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    const events = expectValidEvents(p.out()) as Array<{ type: string; ok?: boolean }>;
    expect(events[0]?.type).toBe('watch:ready');
    expect(events.find((e) => e.type === 'watch:run-done')?.ok).toBe(true);
    expect(events.at(-1)?.type).toBe('watch:stopped');
    expect(p.out() + p.err()).not.toContain(emulator.apiKey);
    // CI is set: emails are masked in the JSON as in every other output.
    expect(p.out()).toContain('a***@contoso.example');
    expect(p.out()).not.toContain('ana@contoso.example');
  });

  it('in CI, plain lines: a segment edit syncs again; results and the summary go to stdout, progress to stderr', async () => {
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const p = watch([]);
    await p.waitFor('run 1 done');
    await appendFile(path.join(ws.dir, 'seg.csv'), 'ben@contoso.example,Ben,,,\n');
    await p.waitFor(/run 2 done in \S+: 1 create; 1 applied/);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.err()).toMatch(/changed: \S*seg\.csv → customers/);
    expect(p.out()).toMatch(/acsync watch stopped after \S+\n {2}customers: 2 runs, 2 changes applied\n$/);
    expect(p.out()).not.toContain('started');
  });

  it('a second SIGINT while a run is in flight quits at once with 130', async () => {
    // Slow writes keep the first run's apply in flight long enough to be interrupted twice.
    emulator.setFaults({ latencyMs: 5_000, only: ['POST /api/3/contact/sync', 'POST /api/3/import/bulk_import'] });
    await ws.write(
      'seg.csv',
      csv([
        ['ana@contoso.example', 'Ana'],
        ['ben@contoso.example', 'Ben'],
      ]),
    );
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const p = watch([]);
    await p.waitFor('run 1 started');
    expect(p.out()).not.toContain('run 1 started'); // progress goes to stderr, results to stdout
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGINT');
    await p.waitFor('stopping');
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(p.err()).toContain('quitting without waiting');
  });
});
