/**
 * The plan says what apply will do (issue 16, item 7): contacts that left the segment and are kept say so instead
 * of "the list matches the segment"; a plan that a safety guard will stop shows the guard and how to pass it. The
 * real CLI (in-process, CI mode) against the emulator.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

const cli = (argv: string[]) => runCliInProcess(argv, { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });
const PEOPLE: Array<[string, string]> = [
  ['ana@contoso.example', 'Ana'],
  ['ben@contoso.example', 'Ben'],
  ['eva@contoso.example', 'Eva'],
];

describe('the plan says what apply will do', { timeout: 60_000 }, () => {
  it('onLeave keep: an emptied segment says the contacts stay, not that the list matches', async () => {
    await ws.write('seg.csv', csv(PEOPLE));
    await ws.config([{ segment: 'seg.csv', fields: false, onLeave: 'keep' }]);
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    await ws.write('seg.csv', csv([]));
    const r = await cli(['plan', '--detailed-exitcode']);
    expect(r.code).toBe(0);
    // Laid out for 80 columns, a sentence may wrap between words.
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('no changes: 3 contacts acsync subscribed left the segment and stay on the list (onLeave: keep)');
    expect(r.stdout).not.toContain('the list matches the segment');
  });

  it('onLeave unsubscribe: a plan that the mass-unsubscribe guard will stop shows the guard and how to pass it', async () => {
    await ws.write('seg.csv', csv(PEOPLE));
    await ws.config([{ segment: 'seg.csv', fields: false, onLeave: 'unsubscribe' }]);
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    await ws.write('seg.csv', csv([]));
    const plan = await cli(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout.replace(/\s+/g, ' ')).toContain(
      "apply will refuse this export: export 'customers' would unsubscribe 3 of 3 managed contacts (100%), more than maxUnsubscribe 10%",
    );
    expect(plan.stdout).toContain('run apply with --allow-mass-unsubscribe');
    const json = await cli(['plan', '--json']);
    expect(json.stdout).toContain('"blockedBy":[');
    // And apply does refuse it, as the plan said.
    const apply = await cli(['apply', '--auto-approve']);
    expect(apply.code).toBe(1);
    expect((await listMembers(emulator, 1)).every((m) => m.status === 1)).toBe(true);
  });
});
