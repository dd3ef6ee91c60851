/**
 * Latency of watch mode: from a row appended to a segment file to the contact being visible in the list over
 * the ActiveCampaign API. Starts the bundled emulator and a watch session (real chokidar, real engine, real
 * HTTP over loopback), makes N edits one after another, and prints the median. A script, not a test:
 *   node --import tsx bench/watch-latency.ts [--edits 20] [--realistic] [--cli]
 * --realistic runs the emulator with ActiveCampaign's own limits (5 requests/s, bulk imports taking 2 s) instead
 * of the scaled-up ones the tests use; --cli runs the real `acsync watch` as a subprocess instead of in-process.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/index.ts';
import { loadConfig } from '../engine/config/load.ts';
import { runExports } from '../engine/pipeline/run.ts';
import { startWatch } from '../engine/watch/session.ts';

const { values: args } = parseArgs({
  options: {
    edits: { type: 'string', default: '20' },
    realistic: { type: 'boolean', default: false },
    cli: { type: 'boolean', default: false },
  },
});
const edits = Number(args.edits);
/** The limits the brief gives for benchmarks: ActiveCampaign's shape, scaled up so that the watch loop is measured. */
const FAST = { rateLimit: 1000, bulkPerMinute: 100_000, bulkDelayMs: 20 };
const API_KEY = 'bench-key-0123456789';
/** How often the bench looks for the contact: fine enough for a median in the hundreds of ms. */
const POLL_MS = 10;
/** An edit that takes longer than this counts as lost (it would fail the 2 s bar many times over). */
const EDIT_TIMEOUT_MS = 30_000;

const emulator = await startEmulator({ port: 0, apiKey: API_KEY, seedLists: 1, ...(args.realistic ? {} : FAST) });
const dir = await mkdtemp(path.join(tmpdir(), 'acsync-watch-bench-'));
const segment = path.join(dir, 'segments', 'customers.csv');
await mkdir(path.dirname(segment), { recursive: true });
await writeFile(segment, 'Email,First\n' + Array.from({ length: 50 }, (_, i) => `base${i}@contoso.example,Base${i}\n`).join(''));
await writeFile(
  path.join(dir, 'acsync.yaml'),
  [
    'version: 1',
    'roles:',
    '  admins: [ana@contoso.example]',
    'connections:',
    '  ac:',
    '    type: activecampaign',
    '    displayName: Bench',
    `    hostname: ${emulator.hostname}`,
    '    apiKey: ${AC_API_KEY}',
    '    dataPrivacyConsent: true',
    '    exportUser: ana@contoso.example',
    'exports:',
    '  customers:',
    '    connection: ac',
    '    owner: ana@contoso.example',
    '    segment: segments/customers.csv',
    '    listId: 1',
    '    mapping:',
    '      email: Email',
    '      firstName: First',
    '',
  ].join('\n'),
);
const env: NodeJS.ProcessEnv = { ...process.env, AC_API_KEY: API_KEY, ...(args.realistic ? {} : { ACSYNC_RATE_LIMITS: `rps=${FAST.rateLimit},bulk=${FAST.bulkPerMinute}` }) };

interface EmulatorState {
  contacts: Array<{ email: string; lists: Record<string, number> }>;
}

/**
 * Active on list 1, read from the emulator's store rather than over its API: polling the API every 10 ms would
 * eat the account's rate budget that the watch run needs (5 requests/s with --realistic) and slow what it measures.
 */
async function visible(email: string): Promise<boolean> {
  const state = emulator.state() as EmulatorState;
  return state.contacts.some((c) => c.email === email && c.lists['1'] === 1);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + EDIT_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

// The watcher: in-process, or the real CLI.
let runsDone = 0;
let stop: () => Promise<void>;
if (args.cli) {
  const bin = fileURLToPath(new URL('../bin/acsync.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'watch', '--json'], { cwd: dir, env: { ...env, CI: 'true' } });
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    runsDone = (buf.match(/"type":"watch:run-done"/g) ?? []).length;
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  stop = async () => {
    child.kill('SIGINT');
    await exited;
  };
} else {
  const started = await startWatch({
    configFile: path.join(dir, 'acsync.yaml'),
    mode: 'apply',
    env,
    sink: (e) => {
      if (e.type === 'watch:run-done') {
        runsDone++;
        if (!e.ok) {
          console.error(`run failed: ${e.error?.message ?? JSON.stringify(e.result?.failures?.[0])}`);
          process.exit(1);
        }
      }
    },
    deps: { loadConfig: (file) => loadConfig(file, { cwd: dir }), runExports },
  });
  if (started.session === undefined) throw new Error(started.message);
  const session = started.session;
  stop = async () => {
    await session.stop();
  };
}

await until(async () => runsDone >= 1, 'the initial sync');
const latencies: number[] = [];
for (let i = 0; i < edits; i++) {
  const email = `edit${i}@contoso.example`;
  const before = runsDone;
  const t0 = performance.now();
  await appendFile(segment, `${email},Edit${i}\n`);
  await until(() => visible(email), email);
  latencies.push(performance.now() - t0);
  // Let the run end before the next edit, so that each edit is measured on its own, not queued behind another.
  await until(async () => runsDone > before, `the run for ${email}`);
}
await stop();
await emulator.stop();
await rm(dir, { recursive: true, force: true });

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
const ms = (x: number) => `${Math.round(x)} ms`;
console.log(
  `watch latency, file write → contact visible, ${edits} edits (${args.cli ? 'acsync watch subprocess' : 'in-process session'}, emulator ${args.realistic ? 'with ActiveCampaign limits' : 'scaled-up limits'}):`,
);
console.log(`  median ${ms(median)}   p90 ${ms(pct(0.9))}   min ${ms(sorted[0]!)}   max ${ms(sorted[sorted.length - 1]!)}`);
