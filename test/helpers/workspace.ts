/**
 * Test workspaces: a config and its segment files in a scratch folder, pointing at an emulator started over
 * loopback with scaled-up limits (so the suite stays fast), and a way to read what the list holds over the
 * emulator's real HTTP API, as a person would look in ActiveCampaign.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.ts';
import type { EmulatorOptions } from '../../emulator/types.ts';
import { loadConfig } from '../../engine/config/load.ts';
import type { Config } from '../../engine/config/model.ts';

/** Scaled-up limits: the same shape as ActiveCampaign's, 200x faster. */
export const FAST_LIMITS = { rateLimit: 1000, bulkPerMinute: 20_000, singleBulkPerMinute: 4_000, bulkDelayMs: 20 };
export const FAST_ENV_LIMITS = 'rps=1000,bulk=20000,single=4000';

export async function fastEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({ port: 0, apiKey: 'test-key-0123456789', seedLists: 3, seedFields: ['LOYALTY_TIER'], ...FAST_LIMITS, ...options });
}

/**
 * The usual test setup: one fast emulator for the file, reset before each test, and a fresh workspace pointing at
 * it for each test. Read `emulator` and `ws` inside tests (they are set by the hooks).
 */
export function withEmulatorWorkspace(options: EmulatorOptions = {}): { readonly emulator: EmulatorHandle; readonly ws: Workspace } {
  let emulator: EmulatorHandle | undefined;
  let ws: Workspace | undefined;
  beforeAll(async () => {
    emulator = await fastEmulator(options);
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    emulator!.reset();
    ws = await Workspace.create(emulator!);
  });
  afterEach(async () => {
    await ws?.dispose();
  });
  return {
    get emulator() {
      return emulator!;
    },
    get ws() {
      return ws!;
    },
  };
}

/**
 * A clock for the emulator that tests move on instead of sleeping: ActiveCampaign's dates have one-second
 * resolution, and what acsync may do (a re-subscribe, engine/consent.ts) depends on which came first.
 */
export class MovableClock {
  #offsetMs = 0;
  readonly now = (): number => Date.now() + this.#offsetMs;
  advance(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }
}

const execFileP = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/acsync.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The bin as a real subprocess with exactly `env` (nothing of this process's added), in `cwd`: for tests that need
 * a clean environment or one without a workspace. Resolves with the exit code instead of throwing; a run stopped by
 * `timeoutMs` throws, naming the command. `nodeArgs` go before the bin (e.g. `--import` of a module that plants a
 * fault).
 */
export async function runBin(args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number }): Promise<CliRun> {
  try {
    const r = await execFileP(process.execPath, [...(o.nodeArgs ?? []), BIN, ...args], {
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
      env: o.env,
      maxBuffer: 64 * 1024 * 1024,
      ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string; killed?: boolean };
    if (e.killed === true && o.timeoutMs !== undefined) throw new Error(`acsync ${args.join(' ')} did not finish within ${o.timeoutMs / 1000} s`);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The `result` of a CLI run with --json (one JSON object a line). */
export function jsonResult<T>(stdout: string): T | undefined {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; result?: T })
    .find((e) => e.type === 'result')?.result;
}

/** A run of the bin as a subprocess that may have been sent a signal (Workspace.cliWithSignal). */
export interface SignalledRun {
  /** null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the signal was sent before the process exited. */
  sent: boolean;
}

/** When to send the signal: this many ms after the start, or as soon as a condition holds. */
export type SignalAt = number | ((emulator: EmulatorHandle) => boolean);

export interface ExportSpec {
  name?: string;
  segment: string;
  listId?: number;
  onLeave?: 'keep' | 'unsubscribe';
  fields?: boolean;
  extra?: string;
}

export class Workspace {
  constructor(
    readonly dir: string,
    readonly emulator: EmulatorHandle,
  ) {}

  static async create(emulator: EmulatorHandle): Promise<Workspace> {
    return new Workspace(await mkdtemp(path.join(os.tmpdir(), 'acsync-test-')), emulator);
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, AC_API_KEY: this.emulator.apiKey, ACSYNC_RATE_LIMITS: FAST_ENV_LIMITS };
  }

  async write(rel: string, content: string): Promise<string> {
    const file = path.join(this.dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    return file;
  }

  /** Writes acsync.yaml with one connection to the emulator and the given exports. */
  async config(exports: ExportSpec[]): Promise<string> {
    const lines = [
      'version: 1',
      'roles:',
      '  admins: [ana@contoso.example]',
      'connections:',
      '  ac:',
      '    type: activecampaign',
      '    displayName: Test account',
      `    hostname: ${this.emulator.hostname}`,
      '    apiKey: ${AC_API_KEY}',
      '    dataPrivacyConsent: true',
      '    exportUser: ana@contoso.example',
      'exports:',
    ];
    for (const e of exports) {
      lines.push(
        `  ${e.name ?? 'customers'}:`,
        '    connection: ac',
        '    owner: ana@contoso.example',
        `    segment: ${e.segment}`,
        `    listId: ${e.listId ?? 1}`,
        `    onLeave: ${e.onLeave ?? 'keep'}`,
        '    mapping:',
        '      email: Email',
        '      firstName: First',
        '      lastName: Last',
        '      phone: Phone',
      );
      if (e.fields !== false) lines.push('      fields:', '        LOYALTY_TIER: Tier');
      if (e.extra !== undefined) lines.push(e.extra);
    }
    return this.write('acsync.yaml', lines.join('\n') + '\n');
  }

  async load(): Promise<Config> {
    const r = await loadConfig(path.join(this.dir, 'acsync.yaml'), { cwd: this.dir });
    if (r.config === undefined) throw new Error(`test config invalid: ${JSON.stringify(r.diagnostics)}`);
    return r.config;
  }

  /**
   * The real CLI in this workspace as a subprocess, as CI runs it (CI=true, no colour), `env` on top of the
   * workspace's. `nodeArgs` and `timeoutMs` as for runBin.
   */
  cli(args: string[], o: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<CliRun> {
    return runBin(args, { ...o, cwd: this.dir, env: { ...this.env, CI: 'true', NO_COLOR: '1', ...o.env } });
  }

  /**
   * The real CLI in this workspace as `cli` runs it, sent `signal` once at `at`: ms after the start, or as soon as
   * `at(emulator)` holds (asked every `pollMs`); without `at`, no signal. For what only a process of its own shows:
   * how it stops on SIGINT, what a SIGKILL leaves behind.
   */
  cliWithSignal(args: string[], o: { signal: 'SIGINT' | 'SIGKILL'; at?: SignalAt; env?: NodeJS.ProcessEnv; pollMs?: number }): Promise<SignalledRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: { ...this.env, CI: 'true', NO_COLOR: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let sent = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const send = (): void => {
        if (sent || !child.kill(o.signal)) return;
        sent = true;
        clearInterval(timer);
      };
      const at = o.at;
      const timer =
        at === undefined
          ? undefined
          : typeof at === 'number'
            ? setTimeout(send, at)
            : setInterval(() => {
                if (!sent && at(this.emulator)) send();
              }, o.pollMs ?? 2);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearInterval(timer);
        resolve({ code, signal, stdout, stderr, sent });
      });
    });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Plain output with the lines broken to fit 80 columns (cli/report/layout.ts: between words, continuation lines
 * indented) joined back, for assertions on a whole sentence.
 */
export function unwrapped(text: string): string {
  return text.replace(/\n +/g, ' ');
}

/** A CSV segment with the columns the test config maps. */
export function csv(rows: Array<[email: string, first?: string, last?: string, phone?: string, tier?: string]>): string {
  const quote = (v: string | undefined) => (v === undefined ? '' : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return ['Email,First,Last,Phone,Tier', ...rows.map((r) => [r[0], r[1], r[2], r[3], r[4]].map(quote).join(','))].join('\n') + '\n';
}

export interface Member {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  status: number;
  tags: string[];
  fields: Record<string, string>;
}

/** Every member of a list, read over the emulator's ActiveCampaign API. */
export async function listMembers(emulator: EmulatorHandle, listId: number | string): Promise<Member[]> {
  const headers = { 'Api-Token': emulator.apiKey };
  const tagsRes = (await (await fetch(`${emulator.url}/api/3/tags?limit=100`, { headers })).json()) as { tags: Array<{ id: string; tag: string }> };
  const tagName = new Map(tagsRes.tags.map((t) => [t.id, t.tag]));
  const fieldsRes = (await (await fetch(`${emulator.url}/api/3/fields?limit=100`, { headers })).json()) as { fields: Array<{ id: string; perstag: string }> };
  const perstag = new Map(fieldsRes.fields.map((f) => [f.id, f.perstag]));
  const out: Member[] = [];
  let after = '0';
  for (;;) {
    const url = `${emulator.url}/api/3/contacts?listid=${listId}&status=-1&orders[id]=ASC&id_greater=${after}&limit=100&include=contactLists,contactTags,fieldValues`;
    const page = (await (await fetch(url, { headers })).json()) as {
      contacts: Array<{ id: string; email: string; firstName: string; lastName: string; phone: string }>;
      contactLists?: Array<{ contact: string; list: string; status: string | number }>;
      contactTags?: Array<{ contact: string; tag: string }>;
      fieldValues?: Array<{ contact: string; field: string; value: string }>;
    };
    for (const c of page.contacts) {
      const cl = page.contactLists?.find((x) => x.contact === c.id && String(x.list) === String(listId));
      const fields: Record<string, string> = {};
      for (const fv of page.fieldValues ?? []) if (fv.contact === c.id) fields[perstag.get(fv.field) ?? fv.field] = fv.value;
      out.push({
        id: c.id,
        email: c.email,
        firstName: c.firstName,
        lastName: c.lastName,
        phone: c.phone,
        status: Number(cl?.status ?? -1),
        tags: (page.contactTags ?? []).filter((t) => t.contact === c.id).map((t) => tagName.get(t.tag) ?? t.tag),
        fields,
      });
    }
    if (page.contacts.length < 100) break;
    after = page.contacts[page.contacts.length - 1]!.id;
  }
  return out;
}
