/**
 * One CI rule for every command (cli/report/output-policy.ts): CI set to anything but '0'/'false', an empty CI=
 * included, or (without CI) Jenkins' BUILD_NUMBER and the like, means CI, and CI masks personal data by default.
 * Regression (issue 16 item 15): with `CI=` or only BUILD_NUMBER, plan and apply printed full emails while watch
 * masked them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { colorAllowed, isCI, maskEmails, colorFor } from '../../cli/report/output-policy.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { csv, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ ws } = setup);
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva', '', 'Gold']]));
  await ws.config([{ segment: 'seg.csv' }]);
});

/** The workspace's env without any CI variable of the machine running the tests, plus `ci`. */
function envWith(ci: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ws.env, NO_COLOR: '1' };
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'GITHUB_ACTIONS']) delete env[k];
  return { ...env, ...ci };
}

const CI_VARIANTS: Array<[string, NodeJS.ProcessEnv]> = [
  ['CI= (empty)', { CI: '' }],
  ['only BUILD_NUMBER (Jenkins)', { BUILD_NUMBER: '41' }],
  ['CI=true', { CI: 'true' }],
];

describe.each(CI_VARIANTS)('in CI by %s, every command masks emails by default', { timeout: 60_000 }, (_name, ci) => {
  it('plan (lines)', async () => {
    const r = await runCliInProcess(['plan'], { cwd: ws.dir, env: envWith(ci) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('a***@contoso.example');
    expect(r.stdout + r.stderr).not.toContain('ana@contoso.example');
  });

  it('apply (lines)', async () => {
    const r = await runCliInProcess(['apply', '--auto-approve'], { cwd: ws.dir, env: envWith(ci) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('a***@contoso.example');
    expect(r.stdout + r.stderr).not.toContain('ana@contoso.example');
  });

  it('watch (JSON)', async () => {
    const r = await runCliInProcess(['watch', '--plan-only', '--json'], {
      cwd: ws.dir,
      env: envWith(ci),
      interruptWhen: (out) => out.includes('"watch:run-done"'),
    });
    expect(r.code).toBe(0);
    expectValidEvents(r.stdout);
    expect(r.stdout).toContain('a***@contoso.example');
    expect(r.stdout).not.toContain('ana@contoso.example');
  });

  it('--no-mask-emails still shows them in full', async () => {
    const r = await runCliInProcess(['plan', '--no-mask-emails'], { cwd: ws.dir, env: envWith(ci) });
    expect(r.stdout).toContain('ana@contoso.example');
  });
});

describe('outside CI (CI=false, CI=0, nothing set), emails are shown in full', { timeout: 60_000 }, () => {
  it.each([[{ CI: 'false' }], [{ CI: '0' }], [{}]])('%j: plan and watch agree', async (ci) => {
    const plan = await runCliInProcess(['plan'], { cwd: ws.dir, env: envWith(ci) });
    expect(plan.stdout).toContain('ana@contoso.example');
    const watch = await runCliInProcess(['watch', '--plan-only', '--json'], {
      cwd: ws.dir,
      env: envWith(ci),
      interruptWhen: (out) => out.includes('"watch:run-done"'),
    });
    expect(watch.stdout).toContain('ana@contoso.example');
  });
});

describe('output-policy: the rules themselves', () => {
  it.each([
    [{ CI: 'true' }, true],
    [{ CI: '' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ BUILD_NUMBER: '3' }, true],
    [{ CONTINUOUS_INTEGRATION: 'yes' }, true],
    [{ RUN_ID: 'x' }, true],
    // CI=false wins over BUILD_NUMBER: an explicit no.
    [{ CI: 'false', BUILD_NUMBER: '3' }, false],
    [{}, false],
  ] as const)('isCI(%j) is %s', (env, expected) => {
    expect(isCI({ ...env })).toBe(expected);
    expect(maskEmails({}, { ...env })).toBe(expected);
  });

  it('masking flags beat the CI default', () => {
    expect(maskEmails({ noMask: true }, { CI: 'true' })).toBe(false);
    expect(maskEmails({ mask: true }, {})).toBe(true);
  });

  it.each([
    [false, {}, true, true],
    [false, {}, false, false],
    [true, {}, true, false],
    [false, { NO_COLOR: '1' }, true, false],
    [false, { NO_COLOR: '' }, true, true],
    [false, { FORCE_COLOR: '1' }, false, true],
    [false, { FORCE_COLOR: '0' }, true, false],
    [false, { FORCE_COLOR: 'false' }, true, false],
    // An explicit opt-out wins over forcing.
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true, false],
    [true, { FORCE_COLOR: '1' }, true, false],
    [false, { TERM: 'dumb' }, true, false],
  ] as const)('colorFor(--no-color=%s, %j, tty=%s) is %s', (flag, env, tty, expected) => {
    expect(colorFor(flag, { ...env }, tty)).toBe(expected);
  });

  it('colorAllowed: only --no-color and a non-empty NO_COLOR forbid colour', () => {
    expect(colorAllowed(false, {})).toBe(true);
    expect(colorAllowed(true, {})).toBe(false);
    expect(colorAllowed(false, { NO_COLOR: '1' })).toBe(false);
  });
});
