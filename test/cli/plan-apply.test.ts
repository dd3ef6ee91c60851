/**
 * The CLI with CI=true and no TTY, against the emulator over loopback: in-process through cli/main.ts (the bin's
 * entry), and as a real subprocess for one test of each command (`sub`).
 */
import { readdir, stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.write(
    'seg.csv',
    csv([
      ['ana@contoso.example', 'Ana', 'Silva', '', 'Gold'],
      ['ben@contoso.example', 'Ben', 'Okafor'],
      ['oops', 'Bad'],
    ]),
  );
  await ws.config([{ segment: 'seg.csv' }]);
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(args, { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1', ...env } });
}

/** The real bin as a subprocess. */
const sub = (args: string[]) => ws.cli(args);

describe('acsync plan / apply / show in CI', { timeout: 90_000 }, () => {
  it('plans in plain lines, and --detailed-exitcode says changes are pending', async () => {
    const r = await sub(['plan', '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Plan: 2 to create');
    expect(r.stdout).toMatch(/row 4 +o\*\*\* +invalid email/);
    // CI masks emails by default; no cursor movement or colour in CI output.
    expect(r.stdout).not.toContain('ana@contoso.example');
    expect(r.stdout + r.stderr).not.toMatch(/\u001b\[/);
  });

  it('refuses to apply without a terminal or --auto-approve, and writes nothing', async () => {
    const before = JSON.stringify(emulator.stats().byEndpoint);
    const r = await sub(['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--auto-approve');
    // Refused before planning: not one request (a large list would otherwise be read in full first).
    expect(JSON.stringify(emulator.stats().byEndpoint)).toBe(before);
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });

  it('applies with --auto-approve, then plan shows no changes (exit 0)', async () => {
    const a = await cli(['apply', '--auto-approve']);
    expect(a).toMatchObject({ code: 0, stderr: expect.not.stringContaining('error') });
    expect(a.stdout).toMatch(/2 applied, 0 failed/);
    expect(await listMembers(emulator, 1)).toHaveLength(2);
    const p = await cli(['plan', '--detailed-exitcode']);
    expect(p).toEqual({ code: 0, stdout: expect.any(String), stderr: expect.any(String) });
    expect(p.stdout).toContain('No changes');
  });

  it('speaks one JSON object per line with --json', async () => {
    const r = await cli(['apply', '--auto-approve', '--json', '--no-mask-emails']);
    expect(r.code).toBe(0);
    const events = expectValidEvents(r.stdout);
    const types = new Set(events.map((e) => e.type));
    expect(types).toContain('plan:done');
    expect(types).toContain('batch:done');
    expect(events.at(-1)!.type).toBe('result');
    expect(r.stdout).toContain('ana@contoso.example');
  });

  it('saves a plan (mode 0600), shows it, applies it exactly, and refuses a stale one', async () => {
    const p = await cli(['plan', '--out', 'plan.json']);
    expect(p).toMatchObject({ code: 0 });
    const mode = (await stat(path.join(ws.dir, 'plan.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
    const saved = JSON.parse(await readFile(path.join(ws.dir, 'plan.json'), 'utf8')) as { version: number };
    expect(saved.version).toBe(2); // 2: the changes carry a checksum (issue 13, item 2)

    const shown = await sub(['show', 'plan.json', '--no-mask-emails']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('ana@contoso.example');
    expect(shown.stdout).toContain('Plan: 2 to create');
    // The connection by its display name, as plan names it (issue 16, item 14).
    expect(shown.stdout).toContain('customers → list 1 on Test account (ac)');
    expect(shown.stdout).toMatch(/customers +1 +Test account /);

    // A marketer changes the list after the plan was made: the saved plan is stale.
    emulator.seed({ contacts: [{ email: 'zoe@contoso.example', lists: { '1': 1 } }] });
    const stale = await cli(['apply', 'plan.json']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('stale');
    expect(stale.stderr).toMatch(/list 1 .*changed/);
    // The fresh plan made only to check the saved one is not shown as if it were to be applied.
    expect(stale.stdout).toBe('');
    expect(await listMembers(emulator, 1)).toHaveLength(1);

    await cli(['plan', '--out', 'plan.json']);
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Changed']]));
    const segStale = await cli(['apply', 'plan.json']);
    expect(segStale.code).toBe(1);
    expect(segStale.stderr).toMatch(/segment file .* changed/);

    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva']]));
    await cli(['plan', '--out', 'plan.json']);
    const configBefore = await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8');
    await ws.write('acsync.yaml', configBefore.replace('onLeave: keep', 'onLeave: unsubscribe'));
    const configStale = await cli(['apply', 'plan.json']);
    expect(configStale.code).toBe(1);
    expect(configStale.stderr).toMatch(/config file .* changed/);
    await ws.write('acsync.yaml', configBefore);

    const ok = await cli(['apply', 'plan.json']);
    expect(ok.code).toBe(0);
    expect((await listMembers(emulator, 1)).map((m) => m.email).sort()).toEqual(['ana@contoso.example', 'zoe@contoso.example']);
  });

  it('refuses an unknown export name with the names that exist', async () => {
    const r = await cli(['plan', '--export', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no export named 'nope'");
    expect(r.stderr).toContain('customers');
  });

  it('--refresh chooses how the list is read, and each plan says how it was read', async () => {
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    const auto = await cli(['plan']);
    expect(auto.code).toBe(0);
    expect(auto.stderr).toMatch(/list 1 through the local snapshot: \d+ of 2 members fetched/);
    const full = await cli(['plan', '--refresh=full']);
    expect(full.stderr).toContain('list 1 in full: 2 members (forced (--refresh=full))');
    const cache = path.join(ws.dir, '.acsync', 'cache');
    const [snapshot] = (await readdir(cache, { recursive: true })).filter((f) => f.endsWith('list-1.ndjson'));
    expect(snapshot).toBeDefined();
    // Customer data: owner-only, and ignored by Git wherever the config's repository is.
    expect((await stat(path.join(cache, snapshot!))).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(cache, '.gitignore'), 'utf8')).split('\n')).toContain('*');
    const written = (await stat(path.join(cache, snapshot!))).mtimeMs;
    const off = await cli(['plan', '--refresh', 'off', '--json']);
    const read = expectValidEvents(off.stdout).find((e) => e.type === 'plan:list-read');
    expect(read).toMatchObject({ mode: 'off', fetched: 2, members: 2 });
    // off neither reads nor writes the snapshot.
    expect((await stat(path.join(cache, snapshot!))).mtimeMs).toBe(written);
    const bad = await cli(['apply', '--refresh=sometimes', '--auto-approve']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--refresh must be one of auto, full, off');
  });

  it('plan --json and apply --json on an invalid config: the diagnostics, then a result line (ok: false)', async () => {
    await ws.write('acsync.yaml', (await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8')).replace('listId: 1', 'listId: [1]'));
    for (const args of [
      ['plan', '--json'],
      ['apply', '--auto-approve', '--json'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      const events = expectValidEvents(r.stdout);
      expect(events[0]).toMatchObject({ type: 'diagnostic', diagnostic: { severity: 'error', file: 'acsync.yaml', path: 'exports.customers.listId' } });
      expect(events.at(-1)).toEqual({ type: 'result', result: { mode: args[0], ok: false, changesPending: false, exports: [] } });
    }
  });

  it('never says "No changes" when an export could not be planned', async () => {
    await ws.config([{ segment: 'seg.csv', listId: 99 }]);
    const r = await cli(['plan', '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('No plan: 1 export could not be planned');
    expect(r.stdout).not.toContain('No changes');
    await ws.config([{ segment: 'seg.csv' }, { name: 'other', segment: 'seg.csv', listId: 99 }]);
    const some = await cli(['plan']);
    expect(some.code).toBe(1);
    // Laid out for 80 columns, the sentence may wrap between words.
    expect(some.stdout.replace(/\s+/g, ' ')).toMatch(/Plan: 2 to create.*; 1 export could not be planned\./);
  });
});
