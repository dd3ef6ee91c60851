/**
 * `acsync demo` (`npm run demo`): the main job end to end on the bundled emulator, as a new user would run it:
 * start the emulator, then `plan`, `apply --auto-approve`, and `plan --detailed-exitcode` (which must say: no changes).
 * The quickstart example is copied to a scratch folder with the emulator's address, so nothing in the repo changes.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../../emulator/index.ts';
import { PACKAGE_ROOT } from '../../engine/package-root.ts';
import type { CliIo } from '../io.ts';
import { PLAIN_WIDTH, wrapText } from '../report/layout.ts';

const HELP = `Usage: acsync demo [--keep]

Starts the bundled ActiveCampaign emulator (real rate limits), copies
examples/quickstart to a scratch folder pointing at it, and runs: acsync plan;
acsync apply --auto-approve; acsync plan --detailed-exitcode.
Exit 0 when the last plan shows no changes.

Options:
      --keep   keep the scratch folder (its path is printed) to look around or
               run more commands
  -h, --help   this help
`;

const ROOT = fileURLToPath(PACKAGE_ROOT);
const BIN = path.join(ROOT, 'bin/acsync.js');

const parse = (argv: string[]) =>
  parseArgs({ args: argv, options: { keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true });

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    io.stderr.write(`acsync demo: ${(err as Error).message}\n`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  // Laid out as the commands' own lines are: a terminal's wrap broke "100" into "10" / "0".
  const say = (text: string): void => void io.stderr.write(wrapText(text, io.columns || PLAIN_WIDTH) + '\n');
  const apiKey = `demo-${Math.random().toString(36).slice(2, 10)}`;
  const emulator = await startEmulator({ port: 0, apiKey, seedLists: 1, seedFields: ['LOYALTY_TIER'] });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-demo-'));
  try {
    await cp(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true });
    const configFile = path.join(dir, 'acsync.yaml');
    const config = await readFile(configFile, 'utf8');
    await writeFile(configFile, config.replace(/hostname: 127\.0\.0\.1:4010/, `hostname: ${emulator.hostname}`));
    say(`ActiveCampaign emulator on ${emulator.url} (real limits: 5 requests/s, 100 bulk imports/min)`);
    say(`quickstart copied to ${dir}`);
    const env = { ...io.env, AC_API_KEY: apiKey };
    const steps: Array<{ title: string; args: string[]; ok: (code: number) => boolean }> = [
      { title: 'acsync plan', args: ['plan'], ok: (c) => c === 0 },
      { title: 'acsync apply --auto-approve', args: ['apply', '--auto-approve'], ok: (c) => c === 0 },
      { title: 'acsync plan --detailed-exitcode   (0 = the list matches the segment)', args: ['plan', '--detailed-exitcode'], ok: (c) => c === 0 },
    ];
    for (const step of steps) {
      say(`\n$ ${step.title}`);
      const code = await runCli(step.args, dir, env);
      if (!step.ok(code)) {
        say(`\ndemo: \`${step.title}\` exited ${code}; stopping.`);
        return 1;
      }
    }
    say('\ndemo: done: the list now matches the segment, and a second plan shows no changes.');
    if (values.keep) say(`demo: the scratch folder is kept: ${dir} (the emulator stops now; run \`acsync emulator\` for one that stays)`);
    return 0;
  } finally {
    await emulator.stop();
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
