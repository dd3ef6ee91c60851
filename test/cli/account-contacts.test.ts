/**
 * Contacts the account already has but the list does not (issue 16, item 8): the plan looks each newcomer up by
 * email and shows `subscribe` with the before → after of what changes of theirs; above the export's lookupLimit it
 * looks none up and says so. Through the CLI (CI=true, no TTY) against the emulator over loopback.
 */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { csv, listMembers, unwrapped, withEmulatorWorkspace } from '../helpers/workspace.ts';

const t = withEmulatorWorkspace();

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Plain output is laid out for 80 columns: sentences are matched with their wrapped lines rejoined.
  const r = await runCliInProcess(args, { cwd: t.ws.dir, env: { ...t.ws.env, CI: 'true', NO_COLOR: '1' } });
  return { ...r, stdout: unwrapped(r.stdout), stderr: unwrapped(r.stderr) };
}

/** Bo is a contact of the account (on list 2, with a tier), not on list 1; Cy is nobody's yet. */
async function setUp(extra?: string): Promise<void> {
  t.emulator.seed({ contacts: [{ email: 'Bo@contoso.example', firstName: 'Bob', lastName: 'Olsen', fields: { LOYALTY_TIER: 'Silver' }, lists: { '2': 1 } }] });
  await t.ws.write(
    'seg.csv',
    csv([
      ['bo@contoso.example', 'Bo', 'Olsen', '+351 912 000 111', 'Gold'],
      ['cy@contoso.example', 'Cy', 'Ng'],
    ]),
  );
  await t.ws.config([{ segment: 'seg.csv', ...(extra !== undefined ? { extra } : {}) }]);
}

describe('newcomers the account already has', { timeout: 60_000 }, () => {
  it('plans them as subscribe with before → after, applies without a duplicate, then plans no changes', async () => {
    await setUp();
    const p = await cli(['plan', '--no-mask-emails']);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('Plan: 1 to create, 0 to update, 1 to subscribe');
    expect(p.stdout).toMatch(/bo@contoso\.example +already a contact in ActiveCampaign, not on this list/);
    expect(p.stdout).toMatch(/firstName +"Bob" → "Bo"/);
    expect(p.stdout).toMatch(/phone +\(empty\) → "\+351 912 000 111"/);
    expect(p.stdout).toMatch(/LOYALTY_TIER +"Silver" → "Gold"/);
    // The last name is the same: not a change.
    expect(p.stdout).not.toMatch(/lastName/);

    const json = await cli(['plan', '--json', '--no-mask-emails']);
    const done = expectValidEvents(json.stdout).find((e) => e.type === 'plan:done') as { plan: { changes: Array<Record<string, unknown>> } } | undefined;
    const bo = done?.plan.changes.find((c) => c.key === 'bo@contoso.example');
    expect(bo).toMatchObject({ action: 'subscribe', contactId: expect.any(String) });
    expect(bo?.fieldChanges).toEqual([
      { field: 'firstName', before: 'Bob', after: 'Bo' },
      { field: 'phone', after: '+351 912 000 111' },
      { field: 'LOYALTY_TIER', before: 'Silver', after: 'Gold' },
    ]);

    const a = await cli(['apply', '--auto-approve']);
    expect(a.code).toBe(0);
    const members = await listMembers(t.emulator, 1);
    expect(members.map((m) => m.email).sort()).toEqual(['Bo@contoso.example', 'cy@contoso.example']);
    expect(members.find((m) => m.email === 'Bo@contoso.example')).toMatchObject({
      id: String(bo?.contactId),
      firstName: 'Bo',
      status: 1,
      fields: { LOYALTY_TIER: 'Gold' },
    });
    // Still one contact for Bo in the account, still on list 2.
    expect((await listMembers(t.emulator, 2)).map((m) => m.email)).toEqual(['Bo@contoso.example']);

    const again = await cli(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
  });

  it('subscribes account contacts through the bulk import too (more than the contacts API is advised for)', async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `p${i}@contoso.example`);
    t.emulator.seed({ contacts: emails.map((email) => ({ email, firstName: 'Old', lists: { '2': 1 } })) });
    await t.ws.write('seg.csv', csv(emails.map((e) => [e, 'New'])));
    await t.ws.config([{ segment: 'seg.csv' }]);
    const p = await cli(['plan']);
    expect(p.stdout).toContain('Plan: 0 to create, 0 to update, 12 to subscribe');
    expect(p.stdout).toMatch(/firstName +"O\*\*\*" → "N\*\*\*"/);
    const before = t.emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0;
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    expect((t.emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0) - before).toBeGreaterThan(0);
    const members = await listMembers(t.emulator, 1);
    expect(members).toHaveLength(12);
    expect(new Set(members.map((m) => m.firstName))).toEqual(new Set(['New']));
    expect(await listMembers(t.emulator, 2)).toHaveLength(12);
    expect((await cli(['plan'])).stdout).toContain('No changes');
  });

  it('looks none up above lookupLimit, and says what the plan cannot show and how to see it', async () => {
    await setUp('    lookupLimit: 1');
    const before = t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0;
    const p = await cli(['plan']);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('Plan: 2 to create, 0 to update, 0 to subscribe');
    expect(p.stdout).toContain(
      "2 contacts to create were not looked up in ActiveCampaign (more than lookupLimit 1): any the account already has will be subscribed and its mapped fields overwritten, which this plan cannot show. To see them, set lookupLimit: 2 on export 'customers' (one request each)",
    );
    // One list read (an empty list: one page), no lookup.
    expect((t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0) - before).toBe(1);

    const json = await cli(['plan', '--json']);
    const done = expectValidEvents(json.stdout).find((e) => e.type === 'plan:done') as { plan: { notLookedUp?: unknown } } | undefined;
    expect(done?.plan.notLookedUp).toEqual({ contacts: 2, lookupLimit: 1 });
  });

  it('lookupLimit: 0 turns lookups off', async () => {
    await setUp('    lookupLimit: 0');
    const p = await cli(['plan']);
    expect(p.stdout).toContain('Plan: 2 to create');
    expect(p.stdout).toContain('(lookupLimit is 0)');
  });

  it('looks up every newcomer within the limit, one request each', async () => {
    await setUp('    lookupLimit: 2');
    const before = t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0;
    const p = await cli(['plan']);
    expect(p.stdout).toContain('1 to create, 0 to update, 1 to subscribe');
    expect(p.stdout).not.toContain('not looked up');
    // One list page, one count of the account's contacts, two lookups.
    expect((t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0) - before).toBe(4);
  });

  it('looks none up when the account has no contact beyond the list: one count instead', async () => {
    t.emulator.seed({ contacts: [{ email: 'al@contoso.example', firstName: 'Al', lists: { '1': 1 } }] });
    await t.ws.write(
      'seg.csv',
      csv([
        ['al@contoso.example', 'Al'],
        ['bo@contoso.example', 'Bo'],
        ['cy@contoso.example', 'Cy'],
      ]),
    );
    await t.ws.config([{ segment: 'seg.csv' }]);
    const before = t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0;
    const json = await cli(['plan', '--json']);
    const events = expectValidEvents(json.stdout);
    const kinds = events.filter((e) => e.type === 'request:sent').map((e) => String(e.kind));
    expect(kinds).toContain('GET /contacts?count');
    expect(kinds).not.toContain('GET /contacts?email');
    // One list page and the count.
    expect((t.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0) - before).toBe(2);
    const done = events.find((e) => e.type === 'plan:done') as { plan: { counts: Record<string, number> } } | undefined;
    expect(done?.plan.counts).toMatchObject({ create: 2, subscribe: 0, noop: 1 });
  });
});
