/**
 * The API key never leaves through output: the whole CLI surface is run with a recognisable key (validate, plan,
 * plan --out, show, apply, --json, retries, 403, a refused connection, an unknown host, a certificate that fails)
 * and every byte of stdout, stderr and every file written is searched for the key and its encoded forms.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import pMap from 'p-map';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, Workspace } from '../helpers/workspace.ts';
import { BIN } from './crash-trial.ts';
import { haveOpenssl, startSelfSignedServer, type TlsServer } from './tls-server.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

/** Recognisable, and with characters that base64 and URL encoding change. */
const KEY = 'acsyncLEAK+test/KEY=7f3a9c1e5b8d2f4a6c0e9b7d5f3a1c8e';
/** A second key, the wrong one, for the 403 runs. */
const WRONG = 'acsyncWRONG+key/9e8d7c6b5a4f3e2d1c0b';

/** Every form in which a key could leak: raw, base64 (both alphabets), URL-encoded, hex, reversed. */
function forms(key: string): string[] {
  const b64 = Buffer.from(key).toString('base64');
  return [key, b64, b64.replace(/=+$/, ''), Buffer.from(key).toString('base64url'), encodeURIComponent(key), Buffer.from(key).toString('hex'), [...key].reverse().join(''), key.slice(0, 24)];
}

interface Output {
  what: string;
  code: number | null;
  text: string;
}

let emulator: EmulatorHandle;
let ws: Workspace;
let tls: TlsServer | undefined;
let closedPort = 0;
const outputs: Output[] = [];

beforeAll(async () => {
  emulator = await fastEmulator({ apiKey: KEY });
  ws = await Workspace.create(emulator);
  if (haveOpenssl()) tls = await startSelfSignedServer();
  // A port that was free a moment ago and has nothing listening: a refused connection.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  await tls?.close();
  await ws.dispose();
  await emulator.stop();
});

/** Runs the CLI in `dir` with the key in the environment; stdout and stderr are kept whole. */
function cli(what: string, args: string[], env: NodeJS.ProcessEnv = {}, dir = ws.dir, stopAfterMs?: number): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...ws.env, AC_API_KEY: KEY, CI: 'true', NO_COLOR: '1', NODE_TLS_REJECT_UNAUTHORIZED: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    const stdout: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      stdout.push(d);
    });
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const timer = stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), stopAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (timer !== undefined) clearTimeout(timer);
      const out = { what, code, text: Buffer.concat(chunks).toString('latin1') };
      // Whatever else happens, --json output is events of the published schema.
      if (args.includes('--json')) expectValidEvents(Buffer.concat(stdout).toString('utf8'));
      outputs.push(out);
      resolve(out);
    });
  });
}

/** Every file under dir, recursively (config, segments, saved plans, the snapshot cache). */
async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

async function configWith(hostname: string, file = 'acsync.yaml'): Promise<void> {
  const text = await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8');
  await writeFile(path.join(ws.dir, file), text.replace(/hostname: .*/, `hostname: ${hostname}`));
}

describe('the API key never appears in output or files', { timeout: 90_000 }, () => {
  it('runs the whole CLI surface', async () => {
    await ws.write('seg.csv', csv(Array.from({ length: 12 }, (_, i) => [`s${i}@acsync-secret.example`, `S${i}`, 'Lee', '', 'Gold'])));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
    await configWith('127.0.0.1:' + String(closedPort), 'refused.yaml');
    await configWith('acsync-unreachable.invalid', 'unknown-host.yaml');
    if (tls !== undefined) await configWith(tls.hostname, 'bad-cert.yaml');
    // A config with the key pasted in: the diagnostic must not quote it back.
    const pasted = (await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8')).replace('${AC_API_KEY}', `"${KEY}"`);
    await ws.write('pasted.yaml', pasted);

    // Sequence matters for these: plan, save, show, apply the saved plan, change, apply again.
    await cli('validate', ['validate']);
    await cli('validate --json', ['validate', '--json']);
    await cli('validate pasted key', ['validate', '-c', 'pasted.yaml']);
    await cli('validate pasted key --json', ['validate', '-c', 'pasted.yaml', '--json']);
    await cli('plan', ['plan', '--no-mask-emails']);
    await cli('plan --out', ['plan', '--out', 'plan.json']);
    await cli('show', ['show', 'plan.json', '--no-mask-emails']);
    await cli('show --json', ['show', 'plan.json', '--json']);
    expect((await cli('apply plan.json', ['apply', 'plan.json'])).code).toBe(0);
    await ws.write('seg.csv', csv(Array.from({ length: 10 }, (_, i) => [`s${i}@acsync-secret.example`, `S${i}`, 'Kim', '', 'Silver'])));
    emulator.setFaults({ seed: 3, errorRate: 0.3, resetRate: 0.1, storm: { probability: 0.1, length: 2, retryAfterSeconds: 0 } });
    await cli('apply --json under faults', ['apply', '--auto-approve', '--json', '--no-mask-emails']);
    await cli('apply under faults', ['apply', '--auto-approve', '--no-mask-emails']);
    emulator.setFaults(undefined);
    await cli('watch --plan-only --json', ['watch', '--plan-only', '--json'], {}, ws.dir, 4_000);

    // Failures, several at once (each waits out its retries).
    const failing: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['plan with a wrong key (403)', ['plan'], { AC_API_KEY: WRONG }],
      ['apply --json with a wrong key (403)', ['apply', '--auto-approve', '--json'], { AC_API_KEY: WRONG }],
      ['plan, connection refused', ['plan', '-c', 'refused.yaml'], {}],
      ['apply --json, unknown host over HTTPS', ['apply', '--auto-approve', '--json', '-c', 'unknown-host.yaml'], {}],
      ...(tls !== undefined ? ([['plan, self-signed certificate', ['plan', '-c', 'bad-cert.yaml'], {}]] as Array<[string, string[], NodeJS.ProcessEnv]>) : []),
    ];
    const results = await pMap(failing, ([what, args, env]) => cli(what, args, env), { concurrency: 3 });
    for (const r of results) expect(r.code, `${r.what}: ${r.text.slice(-400)}`).toBe(1);
    expect(results[0]!.text).toMatch(/rejected the API key of connection 'ac' \(403\)/);
    expect(results[2]!.text).toMatch(/connection refused/);
    if (tls !== undefined) {
      expect(results[4]!.text).toMatch(/certificate could not be verified/);
      // Even with NODE_TLS_REJECT_UNAUTHORIZED=0 the handshake failed: no request (and no key) reached the server.
      expect(tls.requests).toBe(0);
    }

    // Every byte written: outputs, and every file in the workspace (saved plan, snapshot cache, configs).
    const leaks: string[] = [];
    for (const o of outputs) {
      for (const f of forms(KEY)) if (o.text.includes(f)) leaks.push(`${o.what}: output contains ${JSON.stringify(f)}`);
      for (const f of forms(WRONG)) if (o.text.includes(f)) leaks.push(`${o.what}: output contains the wrong key ${JSON.stringify(f)}`);
    }
    const files = await allFiles(ws.dir);
    for (const file of files) {
      if (path.basename(file) === 'pasted.yaml') continue;
      const bytes = (await readFile(file)).toString('latin1');
      for (const f of [...forms(KEY), ...forms(WRONG)]) if (bytes.includes(f)) leaks.push(`${path.relative(ws.dir, file)} contains ${JSON.stringify(f)}`);
    }
    if (process.env['ACSYNC_SECRETS_DEBUG']) for (const o of outputs) console.log(`== ${o.what} (exit ${String(o.code)})\n${o.text.slice(0, 1500)}`);
    expect(leaks).toEqual([]);
    // The search would have found it: the pasted config holds the key, and only that file.
    expect(await readFile(path.join(ws.dir, 'pasted.yaml'), 'latin1')).toContain(KEY);
    // The search is real: the commands ran and wrote what they should.
    expect(files.map((f) => path.relative(ws.dir, f))).toEqual(expect.arrayContaining(['plan.json']));
    expect(files.some((f) => f.includes(`${path.sep}.acsync${path.sep}cache${path.sep}`))).toBe(true);
    expect(outputs.length).toBeGreaterThanOrEqual(15);
    expect(outputs.find((o) => o.what === 'apply --json under faults')!.text).toContain('request:retry');
  });
});
