/**
 * Sensitive custom fields (issue 16, item 16): `TAG: {column, sensitive: true}` shows `(sensitive)` instead of the
 * values in every output (plan lines, --json, the saved plan, the step summary and pull request comment), while
 * ActiveCampaign gets the real values. Through the CLI (CI=true, no TTY) against the emulator and a fake GitHub.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { inPty, plain } from '../helpers/pty.ts';
import { listMembers, unwrapped, withEmulatorWorkspace } from '../helpers/workspace.ts';

const t = withEmulatorWorkspace();
const TOKEN = 'ghs_fakeToken0123456789abcdefghijklmnopqr';
/** Bo's date in the account, Bo's and Cy's in the segment: none may appear in any output. */
const DATES = ['1980-02-03', '1981-04-05', '1990-01-20'];

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await FakeGitHub.start();
  gh.writeTokens.add(TOKEN);
});
afterAll(async () => {
  await gh.stop();
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // Plain output is laid out for 80 columns: sentences are matched with their wrapped lines rejoined.
  const r = await runCliInProcess(args, { cwd: t.ws.dir, env: { ...t.ws.env, CI: 'true', NO_COLOR: '1', ...env } });
  return { ...r, stdout: unwrapped(r.stdout), stderr: unwrapped(r.stderr) };
}

function expectNoDates(text: string): void {
  for (const d of DATES) expect(text).not.toContain(d);
}

/** Bo is in the account (list 2) with a birth date; the segment brings Bo with another date and Cy, new. */
async function setUp(): Promise<void> {
  t.emulator.seed({ fields: [{ perstag: 'BIRTH_DATE', type: 'date' }] });
  t.emulator.seed({ contacts: [{ email: 'bo@contoso.example', firstName: 'Bo', fields: { BIRTH_DATE: '1980-02-03' }, lists: { '2': 1 } }] });
  await t.ws.write('seg.csv', 'Email,First,Last,Phone,Tier,Birth\nbo@contoso.example,Bo,,,Gold,1981-04-05\ncy@contoso.example,Cy,,,,1990-01-20\n');
  await t.ws.config([{ segment: 'seg.csv', extra: '        BIRTH_DATE: { column: Birth, sensitive: true }' }]);
}

describe('sensitive custom fields', { timeout: 60_000 }, () => {
  it('are (sensitive) in the plan lines and --json, with the field names visible', async () => {
    await setUp();
    const p = await cli(['plan', '--no-mask-emails']);
    expect(p.code).toBe(0);
    expectNoDates(p.stdout + p.stderr);
    expect(p.stdout).toContain('Plan: 1 to create, 0 to update, 1 to subscribe');
    expect(p.stdout).toMatch(/BIRTH_DATE +\(sensitive\) → \(sensitive\)/);
    // Other custom fields stay readable.
    expect(p.stdout).toMatch(/LOYALTY_TIER +\(empty\) → "Gold"/);

    const j = await cli(['plan', '--json', '--no-mask-emails']);
    expectNoDates(j.stdout + j.stderr);
    const done = expectValidEvents(j.stdout).find((e) => e.type === 'plan:done') as unknown as {
      plan: { sensitive?: string[]; changes: Array<{ key: string; after?: { fields?: Record<string, string> } }> };
    };
    expect(done.plan.sensitive).toEqual(['BIRTH_DATE']);
    expect(done.plan.changes.find((c) => c.key === 'cy@contoso.example')?.after?.fields).toEqual({ BIRTH_DATE: '(sensitive)' });
  });

  it('are (sensitive) on the terminal screen too, where the subscribe shows its before → after', async () => {
    await setUp();
    const r = await inPty(['plan', '--no-mask-emails'], { cwd: t.ws.dir, env: t.ws.env, cols: 80, rows: 40 });
    expect(r.code).toBe(0);
    const screen = plain(r.output);
    expectNoDates(screen);
    expect(screen).toMatch(/bo@contoso\.example +already a contact in ActiveCampaign/);
    expect(screen).toMatch(/BIRTH_DATE +\(sensitive\) → \(sensitive\)/);
  });

  it('are absent from the saved plan, which still applies the real values and refuses once they change', async () => {
    await setUp();
    expect((await cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    const file = await readFile(path.join(t.ws.dir, 'plan.json'), 'utf8');
    expectNoDates(file);
    expect(file).toContain('(sensitive)');

    // Bo's date changes in the account (Bo is not on the list: only the sensitive fingerprint can see it).
    t.emulator.seed({ contacts: [{ email: 'bo@contoso.example', fields: { BIRTH_DATE: '1980-02-04' } }] });
    const stale = await cli(['apply', 'plan.json']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("the saved changes of export 'customers' differ");
    expect(stale.stderr).not.toContain('1980-02-04');

    t.emulator.seed({ contacts: [{ email: 'bo@contoso.example', fields: { BIRTH_DATE: '1980-02-03' } }] });
    const a = await cli(['apply', 'plan.json', '--json', '--no-mask-emails']);
    expect(a.code).toBe(0);
    expectNoDates(a.stdout + a.stderr);
    expect(expectValidEvents(a.stdout).filter((e) => e.type === 'change:applied')).toHaveLength(2);
    // ActiveCampaign received the real values.
    const members = await listMembers(t.emulator, 1);
    expect(Object.fromEntries(members.map((m) => [m.email, m.fields['BIRTH_DATE']]))).toEqual({
      'bo@contoso.example': '1981-04-05',
      'cy@contoso.example': '1990-01-20',
    });
  });

  it('are absent from the pull request comment and the step summary', async () => {
    await setUp();
    await writeFile(
      path.join(t.ws.dir, 'event.json'),
      JSON.stringify({ number: 7, pull_request: { number: 7, head: { sha: 'abcdef0123456789abcdef0123456789abcdef01' } } }),
    );
    await writeFile(path.join(t.ws.dir, 'summary.md'), '');
    const r = await t.ws.cli(['plan', '--pr-comment', '--no-mask-emails'], {
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: path.join(t.ws.dir, 'event.json'),
        GITHUB_REPOSITORY: 'contoso/segments',
        GITHUB_TOKEN: TOKEN,
        GITHUB_API_URL: gh.url,
        GITHUB_SERVER_URL: 'https://github.example',
        GITHUB_RUN_ID: '1',
        GITHUB_WORKSPACE: t.ws.dir,
        GITHUB_STEP_SUMMARY: path.join(t.ws.dir, 'summary.md'),
      },
    });
    expect(r.code).toBe(0);
    expectNoDates(r.stdout + r.stderr);
    const [comment] = gh.comments.get('contoso/segments#7') ?? [];
    expect(comment?.body).toContain('BIRTH_DATE');
    expectNoDates(comment?.body ?? '');
    const summary = await readFile(path.join(t.ws.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('BIRTH_DATE');
    expectNoDates(summary);
  });

  it('are scrubbed from the reason ActiveCampaign gives for refusing one', async () => {
    await setUp();
    await t.ws.write('seg.csv', 'Email,First,Last,Phone,Tier,Birth\ncy@contoso.example,Cy,,,,20th of Jan 1990\n');
    const a = await cli(['apply', '--auto-approve', '--json', '--no-mask-emails']);
    expect(a.code).not.toBe(0);
    const failed = expectValidEvents(a.stdout).find((e) => e.type === 'change:failed') as { reason: string } | undefined;
    expect(failed?.reason).toContain('The custom field value `(sensitive)` could not be saved');
    expect(a.stdout + a.stderr).not.toContain('20th of Jan 1990');
  });

  it('keeps the short form of a mapping entry working', async () => {
    await setUp();
    await t.ws.config([{ segment: 'seg.csv', extra: '        BIRTH_DATE: Birth' }]);
    const p = await cli(['plan', '--no-mask-emails']);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('"1980-02-03" → "1981-04-05"');
  });
});
