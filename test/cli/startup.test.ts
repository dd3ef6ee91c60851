/**
 * Start-up: `--help`, `--version` and `validate` load only what they use. Every module a real `acsync` process
 * loads is recorded (test/helpers/record-modules.mjs), and the heavy dependencies of the other commands must not be
 * among them. `plan` is the control: it does load the HTTP client, so the recorder is seen to work.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { fastEmulator, Workspace } from '../helpers/workspace.ts';

const exec = promisify(execFile);
const HEAVY = ['ink', 'react', 'react-reconciler', 'undici', 'pg', '@duckdb/node-api', '@duckdb/node-bindings', 'better-sqlite3', 'chokidar'];
let dir: string;
let emulator: EmulatorHandle;
let ws: Workspace;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-startup-'));
  emulator = await fastEmulator();
  ws = await Workspace.create(emulator);
});
afterAll(async () => {
  await ws.dispose();
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The packages (node_modules/<name>) a run of `acsync ...args` loaded. */
async function loadedPackages(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Set<string>> {
  const log = path.join(dir, `${name}.log`);
  await exec(process.execPath, ['--import', './test/helpers/record-modules.mjs', 'bin/acsync.js', ...args], { env: { ...env, ACSYNC_MODULE_LOG: log } });
  const urls = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  const packages = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m?.[1] !== undefined) packages.add(m[1]);
  }
  return packages;
}

describe('what each command loads', () => {
  it.each([
    ['help', ['--help']],
    ['version', ['--version']],
    ['validate', ['validate', '-c', 'examples/quickstart/acsync.yaml']],
  ])('acsync %s loads none of the heavy dependencies', async (name, args) => {
    const loaded = await loadedPackages(name, args);
    expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
    if (name === 'validate') expect(loaded.has('yaml') && loaded.has('ajv')).toBe(true);
  });

  it('acsync --version prints the version of package.json', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const { stdout } = await exec(process.execPath, ['bin/acsync.js', '--version']);
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it('acsync plan does load the HTTP client (the recorder sees what is loaded)', async () => {
    await ws.write('segment.csv', 'Email,First,Last,Phone,Tier\nanna@contoso.example,Anna,,,gold\n');
    const config = await ws.config([{ segment: 'segment.csv' }]);
    const loaded = await loadedPackages('plan', ['plan', '-c', config], ws.env);
    expect(loaded.has('undici')).toBe(true);
  });
});
