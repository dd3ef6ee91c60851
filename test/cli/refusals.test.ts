/**
 * Issue 15 items 7 and 8 through the CLI against the emulator: contacts ActiveCampaign refuses (an address it will
 * not store, a failure entry of the batch) or drops without a word (its exclusion list) are remembered, so the next
 * plan skips them with the reason and the date until their row changes or --retry-rejected; and the number of
 * batches sent again after ActiveCampaign failed one reaches the result, the JSON and the lines.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { inPty, plain } from '../helpers/pty.ts';
import { csv, fastEmulator, jsonResult, listMembers, unwrapped, Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const t = withEmulatorWorkspace({ quirks: ['exclusionList'] });
// The emulator's reset() keeps fault settings: each test starts without.
beforeEach(() => t.emulator.setFaults(undefined));

/** The CLI as CI runs it, emails shown (the test compares them), wrapped lines of its 80 columns rejoined. */
async function cliIn(ws: Workspace, args: string[]) {
  const r = await runCliInProcess([...args, '--no-mask-emails'], { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });
  return { ...r, stdout: unwrapped(r.stdout), stderr: unwrapped(r.stderr) };
}
const cli = (args: string[]) => cliIn(t.ws, args);

const GOOD: Array<[string, string]> = Array.from({ length: 6 }, (_, i) => [`p${i}@contoso.example`, `P${i}`]);
/** Passes acsync's address check, but the emulator (as AC) will not store an apostrophe: a failure entry of the batch. */
const BAD_ADDRESS = "o'hara@contoso.example";
/** On the exclusion list (emulator/quirks.ts): skipped by the import without a word. */
const EXCLUDED = 'excluded.bo@contoso.example';
/** Failed by the emulator's fault injection in the first apply, accepted once that is off. */
const FLAKY = 'cy@contoso.example';

const rows = (cyName: string): Array<[string, string]> => [...GOOD, [BAD_ADDRESS, 'Maureen'], [EXCLUDED, 'Bo'], [FLAKY, cyName]];
const memoryFile = () => path.join(t.ws.dir, '.acsync', 'refusals', 'customers.json');
const memoryKeys = async () => Object.keys((JSON.parse(await readFile(memoryFile(), 'utf8')) as { contacts: object }).contacts).sort();
/** The skips of the plan a `--json` stream carried (its plan:done line: the result carries counts only). */
const planOf = (stdout: string): ExportPlan | undefined =>
  (expectValidEvents(stdout).find((e) => e.type === 'plan:done') as { plan: ExportPlan } | undefined)?.plan;
const skips = (stdout: string) =>
  planOf(stdout)
    ?.changes.filter((c) => c.action === 'skip')
    .map((c) => [c.key, c.reasonCode]);

describe('item 8: refusals are remembered', { timeout: 90_000 }, () => {
  it('skips them with reason and date until the row changes or --retry-rejected; an accepted one is forgotten', async () => {
    const { ws, emulator } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv(rows('Cy')));
    emulator.setFaults({ failEmails: [FLAKY] });

    const first = await cli(['apply', '--auto-approve', '--json']);
    expect(first.code).toBe(1);
    expectValidEvents(first.stdout);
    const failures = jsonResult<RunResult>(first.stdout)?.exports[0]?.failures ?? [];
    expect(failures.map((f) => f.email).sort()).toEqual([FLAKY, EXCLUDED, BAD_ADDRESS].sort());
    expect(failures.find((f) => f.email === EXCLUDED)?.reason).toMatch(/^not on the list after import: .*exclusion list/);

    // The memory: the keys, mode 0600, nothing but what the rule needs (no names, no key).
    expect(await memoryKeys()).toEqual([FLAKY, EXCLUDED, BAD_ADDRESS].sort());
    expect((await stat(memoryFile())).mode & 0o777).toBe(0o600);
    const text = await readFile(memoryFile(), 'utf8');
    expect(text).not.toMatch(/Maureen|"Bo"|P0/);
    expect(text).not.toContain(emulator.apiKey);
    expect(await readFile(path.join(ws.dir, '.acsync', 'refusals', '.gitignore'), 'utf8')).toMatch(/^\*$/m);

    // The next plan skips all three with reason and date: nothing pending, exit 0.
    const today = new Date().toISOString().slice(0, 10);
    const again = await cli(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout.replace(/ +/g, ' ')).toContain(
      `row 8 ${BAD_ADDRESS} refused by ActiveCampaign on ${today}: failed in its bulk import batch; --retry-rejected sends it again`,
    );
    expect(again.stdout).toContain(`not on the list after import on ${today}; ActiveCampaign may hold it on its exclusion list`);
    const planned = await cli(['plan', '--json']);
    expect(skips(planned.stdout)?.sort()).toEqual(
      [
        [BAD_ADDRESS, 'refused-by-activecampaign'],
        [EXCLUDED, 'not-on-list-after-import'],
        [FLAKY, 'refused-by-activecampaign'],
      ].sort(),
    );

    // --retry-rejected plans them all again.
    const retry = await cli(['plan', '--retry-rejected', '--detailed-exitcode', '--json']);
    expect(retry.code).toBe(2);
    expect(planOf(retry.stdout)?.counts).toMatchObject({ create: 3, skip: 0 });

    // A changed row is sent again; through a saved plan, which still matches the fresh one.
    await ws.write('seg.csv', csv(rows('Cyd')));
    emulator.setFaults(undefined);
    const changed = await cli(['plan', '--detailed-exitcode', '--out', 'plan.json', '--json']);
    expect(changed.code).toBe(2);
    const changedPlan = planOf(changed.stdout);
    expect(changedPlan?.counts).toMatchObject({ create: 1, skip: 2 });
    expect(changedPlan?.changes.find((c) => c.action === 'create')?.key).toBe(FLAKY);
    const applied = await cli(['apply', 'plan.json']);
    expect(applied.stderr + applied.stdout).not.toContain('stale');
    expect(applied.code).toBe(0);
    expect((await listMembers(emulator, 1)).map((m) => m.email)).toContain(FLAKY);

    // Accepted: forgotten. The other two stay remembered, and the plan is clean.
    expect(await memoryKeys()).toEqual([EXCLUDED, BAD_ADDRESS].sort());
    expect((await cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a saved plan made with --retry-rejected is applied that way; the flag cannot be added to a plan made without it', async () => {
    const { ws } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv([...GOOD, [EXCLUDED, 'Bo']]));
    expect((await cli(['apply', '--auto-approve'])).code).toBe(1);
    expect(await memoryKeys()).toEqual([EXCLUDED]);

    expect((await cli(['plan', '--out', 'plain.json', '--detailed-exitcode'])).code).toBe(0);
    const refused = await cli(['apply', 'plain.json', '--retry-rejected']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('planned without --retry-rejected');

    // Five newcomers besides: the excluded contact goes by bulk import again (the exclusion list is the importer's).
    await ws.write('seg.csv', csv([...GOOD, [EXCLUDED, 'Bo'], ...GOOD.slice(1).map(([e, n]): [string, string] => [`new.${e}`, n])]));
    expect((await cli(['plan', '--retry-rejected', '--out', 'retry.json'])).code).toBe(0);
    const r = await cli(['apply', 'retry.json', '--json']);
    expectValidEvents(r.stdout);
    const result = jsonResult<RunResult>(r.stdout);
    // Sent again, skipped again by the exclusion list: remembered again.
    expect(result?.exports[0]?.failures?.map((f) => f.email)).toEqual([EXCLUDED]);
    expect(await memoryKeys()).toEqual([EXCLUDED]);
  });

  it('an unreadable memory file is reported and ignored: its contacts are planned again', async () => {
    const { ws } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv(GOOD));
    await ws.write('.acsync/refusals/customers.json', '{"format":"acsync-refusals",');
    const r = await cli(['plan', '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("the refusals remembered for export 'customers' are ignored: not valid JSON");
    expect(r.stdout).toContain('Plan: 6 to create');
  });

  it('a mistyped --retry-rejected gets a did-you-mean, in plan and in watch', async () => {
    const plan = await cli(['plan', '--retry-rejectd']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('did you mean --retry-rejected?');
    const watch = await cli(['watch', '--retry-reject']);
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain('did you mean --retry-rejected?');
  });
});

describe('item 8: a refusal of the contacts API (a handful of changes go one by one)', { timeout: 60_000 }, () => {
  it('a value ActiveCampaign answers 422 to is remembered, and a corrected row lands and is forgotten', async () => {
    const emulator = await fastEmulator({ seedFields: [] });
    emulator.seed({ fields: [{ perstag: 'LOYALTY_TIER', type: 'date' }] });
    const ws = await Workspace.create(emulator);
    const run = (args: string[]) => cliIn(ws, args);
    try {
      await ws.config([{ segment: 'seg.csv' }]);
      await ws.write('seg.csv', csv([['dee@contoso.example', 'Dee', '', '', 'soon']]));
      const first = await run(['apply', '--auto-approve', '--json']);
      expect(first.code).toBe(1);
      expect(jsonResult<RunResult>(first.stdout)?.exports[0]?.failures?.[0]?.reason).toMatch(/422/);
      const plan = await run(['plan', '--detailed-exitcode']);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain(
        `refused by ActiveCampaign on ${new Date().toISOString().slice(0, 10)}: it answered 422 to contact/sync: The custom field value \`soon\` could not be saved to the custom field of type \`date\`.; --retry-rejected sends it again`,
      );

      await ws.write('seg.csv', csv([['dee@contoso.example', 'Dee', '', '', '2026-05-01']]));
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await expect(stat(path.join(ws.dir, '.acsync', 'refusals', 'customers.json'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await run(['plan', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await ws.dispose();
      await emulator.stop();
    }
  });
});

describe('item 7: resends are counted', { timeout: 60_000 }, () => {
  it('a batch ActiveCampaign ended failed is sent again once, and the result, the JSON and the lines say so', async () => {
    const { ws, emulator } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv(GOOD));
    // Seed 1 at this rate fails the first batch and completes the second (emulator/faults.ts is deterministic).
    emulator.setFaults({ seed: 1, bulkFailRate: 0.5 });
    const r = await cli(['apply', '--auto-approve', '--json']);
    expect(r.code).toBe(0);
    const events = expectValidEvents(r.stdout);
    expect(events.find((e) => e.type === 'apply:summary')).toMatchObject({ batchesResent: 1, applied: 6, failed: 0 });
    expect(jsonResult<RunResult>(r.stdout)?.exports[0]).toMatchObject({ batchesResent: 1, applied: 6 });
    expect(emulator.stats().byEndpoint['POST /api/3/import/bulk_import']).toBe(2);

    // In lines: the export's summary line and the closing table.
    await ws.write(
      'seg.csv',
      csv([
        ...GOOD,
        ['q@contoso.example', 'Q'],
        ['r@contoso.example', 'R'],
        ['s@contoso.example', 'S'],
        ['u@contoso.example', 'U'],
        ['v@contoso.example', 'V'],
        ['w@contoso.example', 'W'],
      ]),
    );
    emulator.setFaults({ seed: 1, bulkFailRate: 0.5 });
    const lines = await cli(['apply', '--auto-approve']);
    expect(lines.code).toBe(0);
    expect(lines.stderr).toMatch(/✓ customers: 6 applied, 0 failed, 1 batch resent \(ActiveCampaign failed, interrupted or timed out\); applying took /);
    expect(lines.stdout).toContain('customers: 1 batch resent (ActiveCampaign failed, interrupted or timed out)');
  });

  it('in a terminal (Ink), the closing summary says so too', async () => {
    const { ws, emulator } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv(GOOD));
    emulator.setFaults({ seed: 1, bulkFailRate: 0.5 });
    const r = await inPty(['apply', '--auto-approve', '--no-mask-emails'], { cwd: ws.dir, env: ws.env, cols: 80 });
    // Ink wraps at the terminal's width: compare the words.
    const screen = plain(r.output).replace(/\s+/g, ' ');
    expect(r.code).toBe(0);
    expect(screen).toContain('customers: 1 batch resent (ActiveCampaign failed, interrupted or timed out)');
    expect(screen).toContain('Apply complete: 6 applied, 0 failed');
  });

  it('says nothing of resends when there were none', async () => {
    const { ws } = t;
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv(GOOD));
    const r = await cli(['apply', '--auto-approve', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('batchesResent');
    await ws.write('seg.csv', csv(GOOD.map(([e, n]) => [`new.${e}`, n])));
    const lines = await cli(['apply', '--auto-approve']);
    expect(lines.code).toBe(0);
    expect(lines.stderr).toMatch(/✓ customers: 6 applied, 0 failed; applying took /);
    expect(lines.stdout + lines.stderr).not.toContain('resent');
  });
});
