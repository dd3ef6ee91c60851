/** Our own bugs are reported as such through the real CLI: internal, with the stack and where to report it. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { ExportRunResult } from '../../engine/model.ts';
import { csv, fastEmulator, jsonResult, unwrapped, Workspace, type CliRun } from '../helpers/workspace.ts';

const BUG = pathToFileURL(path.resolve('test/helpers/bug-in-planner.ts')).href;
/** tsx's loader, by absolute URL: the CLI runs in a scratch folder with no node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

let emulator: EmulatorHandle;
let ws: Workspace;

beforeAll(async () => {
  emulator = await fastEmulator();
  ws = await Workspace.create(emulator);
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
  await ws.config([{ segment: 'seg.csv', fields: false }]);
});
afterAll(async () => {
  await ws.dispose();
  await emulator.stop();
});

function plan(args: string[]): Promise<CliRun> {
  return ws.cli(['plan', ...args], { nodeArgs: ['--import', TSX, '--import', BUG] });
}

describe('an internal error (a TypeError inside the plan stage)', () => {
  it('is shown with its stack and a "please report" line, not as the user\'s mistake', async () => {
    const r = await plan([]);
    expect(r.code).toBe(1);
    // Laid out for 80 columns: a long path of the checkout goes to a line of its own.
    const out = unwrapped(r.stdout + r.stderr);
    expect(out).toMatch(/customers: Cannot read properties of undefined \(reading 'changes'\)/);
    // A frame wraps at 80 columns when the checkout's path is long: any space between name and place.
    expect(out).toMatch(/at Planner\.finish\s+.*bug-in-planner\.ts/);
    expect(out).toMatch(/at planExportChanges\s+.*engine\/pipeline\/plan-export\.ts/);
    expect(out).toMatch(/This is a bug in acsync: please report it/);
  });

  it('is marked internal, with its stack, in the JSON result', async () => {
    const r = await plan(['--json']);
    const result = jsonResult<{ exports: ExportRunResult[] }>(r.stdout);
    expect(result?.exports[0]?.error).toMatchObject({ kind: 'internal', stack: expect.stringMatching(/^TypeError: .*\n\s+at /) });
  });
});
