/**
 * Help and flags as users type them (issue 16, item 9): Terraform's single-dash spellings, "did you mean" for a
 * mistyped command or option (never node's raw parser text), `acsync help plan`. In-process through the CLI's
 * own entry, against the emulator.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { closest } from '../../cli/suggest.ts';
import { terraformSpellings } from '../../cli/exec.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
  await ws.config([{ segment: 'seg.csv', fields: false }]);
});

const cli = (argv: string[]) => runCliInProcess(argv, { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });

describe('flags as users type them', { timeout: 60_000 }, () => {
  it("takes Terraform's spellings: -out=FILE, -detailed-exitcode, -auto-approve", async () => {
    const plan = await cli(['plan', '-detailed-exitcode', '-out=plan.json']);
    expect(plan.code, plan.stderr).toBe(2);
    const apply = await cli(['apply', 'plan.json']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(await listMembers(emulator, 1)).toHaveLength(1);
    const again = await cli(['apply', '-auto-approve']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('a mistyped option gets "did you mean", not the parser\'s own text', async () => {
    const r = await cli(['apply', '--auto-aprove']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('acsync apply: unknown option --auto-aprove; did you mean --auto-approve?');
    expect(r.stderr).not.toContain('To specify a positional argument');
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });

  it('a mistyped command gets "did you mean"; `acsync help plan` is the help of plan', async () => {
    const r = await cli(['pln']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("acsync: unknown command 'pln'; did you mean 'plan'?");
    const help = await cli(['help', 'plan']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: acsync plan/);
  });
});

describe('spellings and suggestions', () => {
  it('rewrites single-dash words, keeps single letters and what follows --', () => {
    expect(terraformSpellings(['-auto-approve', '-out=p.json', '-c', 'a.yaml', '--', '-keep'])).toEqual([
      '--auto-approve',
      '--out=p.json',
      '-c',
      'a.yaml',
      '--',
      '-keep',
    ]);
  });
  it.each([
    ['auto-aprove', 'auto-approve'],
    ['detailed-exitcod', 'detailed-exitcode'],
    ['aply', 'apply'],
    ['zzz', undefined],
    ['val', 'validate'],
  ])('%s → %s', (typed, meant) => {
    expect(closest(typed, ['auto-approve', 'detailed-exitcode', 'apply', 'plan', 'validate', 'watch'])).toBe(meant);
  });
});
