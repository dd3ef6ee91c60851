/**
 * action.yml, run step by step the way a GitHub runner runs a composite action: each `run:` script with bash
 * (`--noprofile --norc -eo pipefail`, as the runner does for `shell: bash`), the runner's variables
 * (GITHUB_ACTIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_EVENT_*…), the `${{ }}` expressions the
 * action uses, step outputs passed on through GITHUB_OUTPUT, and each step's `if:`. The two `uses:` steps
 * (actions/upload-artifact and actions/download-artifact) are played by an artifact store in this file. Against
 * the emulator and the fake GitHub API over loopback; acsync is the repository's own, installed in the workspace's
 * node_modules/.bin as `npm ci` would.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const exec = promisify(execFile);
const ROOT = path.resolve('.');
const TOKEN = 'ghs_actionToken0123456789abcdefghijklmno';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface ActionYaml {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

interface StepLog {
  name: string;
  ran: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

/** Where one job runs: its workspace, temp folder, event; artifacts live across jobs of one workflow run. */
/** Each job's runner.temp, removed once the file's tests are done. */
const runnerTemps: string[] = [];
afterAll(async () => {
  for (const dir of runnerTemps) await rm(dir, { recursive: true, force: true });
});

class Runner {
  readonly artifacts = new Map<string, { name: string; content: Buffer }>();
  constructor(
    readonly action: ActionYaml,
    readonly gh: FakeGitHub,
  ) {}

  async job(opts: { workspace: string; inputs: Record<string, string>; event: 'pull_request' | 'push'; env: NodeJS.ProcessEnv }) {
    const temp = await mkdtemp(path.join(os.tmpdir(), 'acsync-runner-'));
    runnerTemps.push(temp);
    const eventPath = path.join(temp, 'event.json');
    await writeFile(eventPath, JSON.stringify(opts.event === 'pull_request' ? { number: 7, pull_request: { number: 7, head: { sha: '1234567890abcdef1234567890abcdef12345678' } } } : { ref: 'refs/heads/main' }));
    const summary = path.join(temp, 'step-summary.md');
    await writeFile(summary, '');
    const steps: Record<string, Record<string, string>> = {};
    const github = { action_path: ROOT, token: TOKEN, event_name: opts.event, workspace: opts.workspace };
    // Input defaults may be expressions themselves (github-token: ${{ github.token }}): the runner evaluates them.
    const inputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.action.inputs)) inputs[k] = (v.default ?? '').replace(/\$\{\{\s*github\.(\w+)\s*\}\}/g, (_, n: string) => github[n as keyof typeof github]);
    Object.assign(inputs, opts.inputs);
    const ctx = (expr: string): string => {
      const e = expr.trim();
      const input = /^inputs\.([\w-]+)$/.exec(e);
      if (input) return inputs[input[1]!] ?? '';
      const gh = /^github\.(\w+)$/.exec(e);
      if (gh && gh[1]! in github) return github[gh[1] as keyof typeof github];
      if (e === 'runner.temp') return temp;
      const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e);
      if (output) return steps[output[1]!]?.[output[2]!] ?? '';
      throw new Error(`the test runner does not know the expression \${{ ${e} }}`);
    };
    const subst = (s: string) => s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => ctx(e));
    const cond = (s: string | undefined): boolean => {
      if (s === undefined) return true;
      return s.split('&&').every((part) => {
        const m = /^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$/.exec(part);
        if (m === null) throw new Error(`the test runner cannot evaluate if: ${s}`);
        return (ctx(m[1]!) === m[3]) === (m[2] === '==');
      });
    };
    const log: StepLog[] = [];
    const runnerEnv: NodeJS.ProcessEnv = {
      ...opts.env,
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: opts.workspace,
      GITHUB_ACTION_PATH: ROOT,
      GITHUB_EVENT_NAME: opts.event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'contoso/segments',
      GITHUB_API_URL: this.gh.url,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '555',
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: temp,
    };
    for (const [i, step] of this.action.runs.steps.entries()) {
      const name = subst(step.name ?? step.uses ?? `step ${i}`);
      if (!cond(step.if)) {
        log.push({ name, ran: false, code: 0, stdout: '', stderr: '' });
        continue;
      }
      const withs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, subst(String(v))]));
      if (step.uses?.startsWith('actions/upload-artifact@')) {
        this.artifacts.set(withs['name']!, { name: path.basename(withs['path']!), content: await readFile(withs['path']!) });
        log.push({ name, ran: true, code: 0, stdout: '', stderr: '' });
        continue;
      }
      if (step.uses?.startsWith('actions/download-artifact@')) {
        const a = this.artifacts.get(withs['name']!);
        if (a === undefined) throw new Error(`no artifact ${withs['name']}`);
        await mkdir(withs['path']!, { recursive: true });
        await writeFile(path.join(withs['path']!, a.name), a.content);
        log.push({ name, ran: true, code: 0, stdout: '', stderr: '' });
        continue;
      }
      if (step.run === undefined || step.shell !== 'bash') throw new Error(`step ${name}: only bash run steps and the artifact actions are expected`);
      const script = path.join(temp, `step-${i}.sh`);
      await writeFile(script, step.run);
      const output = path.join(temp, `output-${i}`);
      await writeFile(output, '');
      const env = { ...runnerEnv, GITHUB_OUTPUT: output, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, subst(String(v))])) };
      let r: StepLog;
      try {
        const x = await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: opts.workspace, env, maxBuffer: 32 * 1024 * 1024 });
        r = { name, ran: true, code: 0, stdout: x.stdout, stderr: x.stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        r = { name, ran: true, code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
      log.push(r);
      if (step.id !== undefined) {
        steps[step.id] = Object.fromEntries((await readFile(output, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      }
      if (r.code !== 0) break; // a failed step ends the job
    }
    const outputs = Object.fromEntries(Object.entries(this.action.outputs).map(([k, v]) => [k, subst(v.value)]));
    const result = { log, outputs, summary: await readFile(summary, 'utf8'), failed: log.some((s) => s.code !== 0) };
    return { ...result, dispose: () => rm(temp, { recursive: true, force: true }) };
  }
}

let emulator: EmulatorHandle;
let gh: FakeGitHub;
let ws: Workspace;
let runner: Runner;

const setup = withEmulatorWorkspace();
beforeAll(async () => {
  gh = await FakeGitHub.start();
  gh.writeTokens.add(TOKEN);
});
afterAll(async () => {
  await gh.stop();
});
beforeEach(async () => {
  ({ emulator, ws } = setup);
  gh.comments.clear();
  gh.requests.length = 0;
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva', '', 'Gold'], ['ben@contoso.example', 'Ben', 'Okafor']]));
  await ws.config([{ segment: 'seg.csv' }]);
  // `npm ci` in the config repository installs acsync's bin here.
  await mkdir(path.join(ws.dir, 'node_modules', '.bin'), { recursive: true });
  await symlink(path.join(ROOT, 'bin', 'acsync.js'), path.join(ws.dir, 'node_modules', '.bin', 'acsync'));
  runner = new Runner(parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYaml, gh);
});

const secrets = () => ({ AC_API_KEY: ws.env['AC_API_KEY'], ACSYNC_RATE_LIMITS: ws.env['ACSYNC_RATE_LIMITS'] });

describe('action.yml (composite), its steps run as a runner runs them', { timeout: 120_000 }, () => {
  it('is a composite action with the inputs a workflow passes', () => {
    expect(runner.action.runs.using).toBe('composite');
    expect(Object.keys(runner.action.inputs)).toEqual(expect.arrayContaining(['command', 'config', 'working-directory', 'args']));
  });

  it('plan on a pull request: step summary, the PR comment, the saved plan uploaded; apply in the next job applies exactly that plan', async () => {
    const plan = await runner.job({ workspace: ws.dir, inputs: { command: 'plan', args: '--full' }, event: 'pull_request', env: secrets() });
    expect(plan.failed).toBe(false);
    expect(plan.outputs).toMatchObject({ 'exit-code': '2', changes: 'true' });
    expect(plan.log.find((s) => s.name === 'acsync plan')!.stderr).toContain('commented the plan on pull request #7');
    expect(plan.log.find((s) => s.name === 'Upload the plan for the apply job')!.ran).toBe(true);
    expect(runner.artifacts.get('acsync-plan')?.name).toBe('plan.json');
    expect(plan.summary).toContain('## 📝 acsync plan');
    expect(gh.list('contoso/segments', 7)).toHaveLength(1);
    expect(gh.list('contoso/segments', 7)[0]!.body).toContain('a***@contoso.example');
    const run = plan.log.find((s) => s.name === 'acsync plan')!;
    expect(run.stdout).toContain('+ acsync plan --config acsync.yaml --detailed-exitcode --out ');
    expect(run.stdout).toContain('--pr-comment --full');
    await plan.dispose();

    const apply = await runner.job({ workspace: ws.dir, inputs: { command: 'apply' }, event: 'push', env: secrets() });
    expect(apply.log.find((s) => s.name === 'Download the plan to apply')!.ran).toBe(true);
    expect(apply.failed).toBe(false);
    expect(apply.outputs['exit-code']).toBe('0');
    expect(apply.log.find((s) => s.name === 'acsync apply')!.stdout).toMatch(/\+ acsync apply \S+acsync-plan-in\/plan\.json --config acsync\.yaml/);
    expect(apply.summary).toContain('acsync apply');
    expect((await listMembers(emulator, 1)).map((m) => m.email).sort()).toEqual(['ana@contoso.example', 'ben@contoso.example']);
    await apply.dispose();
  });

  it('plan on a push writes no PR comment; no changes gives changes=false', async () => {
    expect((await ws.cli(['apply', '--auto-approve'])).code).toBe(0);
    const plan = await runner.job({ workspace: ws.dir, inputs: { command: 'plan', 'plan-artifact': '' }, event: 'push', env: secrets() });
    expect(plan.failed).toBe(false);
    expect(plan.outputs).toMatchObject({ 'exit-code': '0', changes: 'false', 'plan-file': '' });
    expect(plan.log.find((s) => s.name === 'Upload the plan for the apply job')!.ran).toBe(false);
    expect(gh.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    await plan.dispose();
  });

  it('validate in a working directory: problems become annotations and fail the step', async () => {
    await ws.write('sub/acsync.yaml', 'version: 2\nroles: {}\n');
    const job = await runner.job({ workspace: ws.dir, inputs: { command: 'validate', 'working-directory': 'sub' }, event: 'pull_request', env: {} });
    expect(job.failed).toBe(true);
    const run = job.log.find((s) => s.name === 'acsync validate')!;
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error file=acsync\.yaml,line=1,col=\d+,title=acsync%3A version::/m);
  });

  it('apply without plan-artifact plans and applies in one step (--auto-approve)', async () => {
    const job = await runner.job({ workspace: ws.dir, inputs: { command: 'apply', 'plan-artifact': '' }, event: 'push', env: secrets() });
    expect(job.log.find((s) => s.name === 'Download the plan to apply')!.ran).toBe(false);
    expect(job.failed, JSON.stringify(job.log, null, 1)).toBe(false);
    expect(job.log.find((s) => s.name === 'acsync apply')!.stdout).toContain('+ acsync apply --config acsync.yaml --auto-approve');
    expect(await listMembers(emulator, 1)).toHaveLength(2);
    await job.dispose();
  });

  it('refuses an unknown command with an error annotation', async () => {
    const job = await runner.job({ workspace: ws.dir, inputs: { command: 'destroy' }, event: 'push', env: {} });
    expect(job.failed).toBe(true);
    expect(job.log[0]!.stdout).toContain("::error title=acsync action::input command must be validate, plan or apply (got 'destroy')");
    await job.dispose();
  });
});

