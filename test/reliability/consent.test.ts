/**
 * Consent: acsync re-subscribes a contact only when the latest unsubscribe from the list was its own. Its
 * "unsubscribed" tag says acsync unsubscribed them once; a person who re-subscribed through a form and then
 * unsubscribed themselves still carries that tag (issue 13, item 1). The real CLI, against the emulator over
 * loopback, with the emulator's clock moved on as days would pass; and the executor's re-check at apply time.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { acTime, unsubscribedByAcsync } from '../../engine/consent.ts';
import { applyRun, planRun } from '../../engine/pipeline/run.ts';
import { unsubscribedTag } from '../../engine/tags.ts';
import { csv, listMembers, MovableClock, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

const HOUR = 3600;

let emulator: EmulatorHandle;
let ws: Workspace;
const clock = new MovableClock();

const setup = withEmulatorWorkspace({ now: clock.now });
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
});

const PEOPLE: Array<[string, string, string]> = [
  ['ana@contoso.example', 'Ana', 'Silva'],
  ['ben@contoso.example', 'Ben', 'Okafor'],
  ['dan@contoso.example', 'Dan', 'Müller'],
];
const DAN = 'dan@contoso.example';

/** The CLI in-process through cli/main.ts (as the bin runs it); CI=true, no TTY. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(args, { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });
}

interface JsonChange {
  action: string;
  email: string;
  reason?: string;
}

async function planChanges(): Promise<JsonChange[]> {
  const r = await cli(['plan', '--json', '--no-mask-emails']);
  expect(r.code, r.stderr).toBe(0);
  const done = (expectValidEvents(r.stdout) as Array<{ type: string; plan?: { changes: JsonChange[] } }>).find((e) => e.type === 'plan:done');
  return done!.plan!.changes;
}

async function danStatus(): Promise<{ status: number; tags: string[] }> {
  const dan = (await listMembers(emulator, 1)).find((m) => m.email === DAN)!;
  return { status: dan.status, tags: dan.tags };
}

/** acsync subscribes everyone, then Dan leaves the segment and acsync unsubscribes him (and tags him). */
async function acsyncUnsubscribesDan(): Promise<void> {
  await ws.write('seg.csv', csv(PEOPLE));
  expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
  clock.advance(24 * HOUR);
  await ws.write('seg.csv', csv(PEOPLE.filter((p) => p[0] !== DAN)));
  expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
  expect(await danStatus()).toEqual({ status: 2, tags: expect.arrayContaining([unsubscribedTag('1')]) });
}

describe('an opt-out is never re-subscribed', { timeout: 90_000 }, () => {
  it('after acsync unsubscribed them, a person who re-subscribed through a form and then unsubscribed themselves stays unsubscribed', async () => {
    await acsyncUnsubscribesDan();
    clock.advance(24 * HOUR);
    emulator.marketer.subscribe({ email: DAN }, 1); // a form: Dan subscribes again
    clock.advance(24 * HOUR);
    emulator.marketer.unsubscribe({ email: DAN }, 1); // and then unsubscribes himself

    clock.advance(HOUR);
    await ws.write('seg.csv', csv(PEOPLE)); // Dan is back in the segment
    const dan = (await planChanges()).find((c) => c.email === DAN);
    expect(dan).toMatchObject({ action: 'skip', reason: expect.stringContaining('treated as their own opt-out') });

    const applied = await cli(['apply', '--auto-approve']);
    expect(applied.code).toBe(0);
    expect((await danStatus()).status).toBe(2);
    expect((await cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('also when it all happens within the same second as acsync’s unsubscribe (dates have one-second resolution)', async () => {
    await acsyncUnsubscribesDan();
    emulator.marketer.subscribe({ email: DAN }, 1);
    emulator.marketer.unsubscribe({ email: DAN }, 1);
    await ws.write('seg.csv', csv(PEOPLE));
    expect((await planChanges()).find((c) => c.email === DAN)).toMatchObject({ action: 'skip' });
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    expect((await danStatus()).status).toBe(2);
  });

  it('still re-subscribes a contact whose latest unsubscribe was acsync’s own', async () => {
    await acsyncUnsubscribesDan();
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE));
    expect((await planChanges()).find((c) => c.email === DAN)).toMatchObject({ action: 'resubscribe' });
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    expect(await danStatus()).toEqual({ status: 1, tags: expect.not.arrayContaining([unsubscribedTag('1')]) });
  });

  it('with excludeAutomations: true, the plan says the contacts to resubscribe may start automations all the same', async () => {
    const plainPlan = async () => {
      const r = await cli(['plan', '--no-mask-emails']);
      return unwrapped(r.stdout);
    };
    const note = /the 1 contact to resubscribe may start the list's automations although excludeAutomations is true/;
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5\n    excludeAutomations: true' }]);
    await acsyncUnsubscribesDan();
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE.filter((p) => p[0] !== DAN)));
    expect(await plainPlan()).not.toMatch(note);
    await ws.write('seg.csv', csv(PEOPLE));
    expect(await plainPlan()).toMatch(note);
    const r = await cli(['plan', '--json']);
    const done = expectValidEvents(r.stdout).find((e) => e.type === 'plan:done') as { plan: { mayStartAutomations?: number } } | undefined;
    expect(done?.plan.mayStartAutomations).toBe(1);
    // Without the option nothing is promised, so there is nothing to take back.
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
    expect(await plainPlan()).not.toMatch(/may start the list's automations/);
  });

  it('a tag left over from an earlier round is replaced when acsync unsubscribes again, so its own latest unsubscribe counts', async () => {
    await acsyncUnsubscribesDan();
    clock.advance(24 * HOUR);
    emulator.marketer.subscribe({ email: DAN }, 1); // re-subscribed by a form: acsync's tag is now stale
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE));
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE.filter((p) => p[0] !== DAN)));
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0); // acsync unsubscribes Dan again
    expect((await danStatus()).status).toBe(2);
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE));
    expect((await planChanges()).find((c) => c.email === DAN)).toMatchObject({ action: 'resubscribe' });
  });

  it('apply re-checks from what it reads at apply time, not from the plan: an opt-out between plan and apply is kept', async () => {
    await acsyncUnsubscribesDan();
    clock.advance(24 * HOUR);
    await ws.write('seg.csv', csv(PEOPLE));
    const config = await ws.load();
    const options = { mode: 'apply' as const, sink: () => {}, env: ws.env };
    const planned = await planRun(config, options);
    expect(planned.outcomes[0]!.planned!.plan.counts.resubscribe).toBe(1);

    // Between the plan and the apply, Dan re-subscribes through a form and unsubscribes himself.
    clock.advance(HOUR);
    emulator.marketer.subscribe({ email: DAN }, 1);
    clock.advance(HOUR);
    emulator.marketer.unsubscribe({ email: DAN }, 1);

    const result = await applyRun(planned, options);
    expect(result.exports[0]!.failures).toEqual([
      { email: DAN, action: 'resubscribe', reason: expect.stringContaining("not re-subscribed: ActiveCampaign now shows a subscribe or unsubscribe after acsync's own unsubscribe") },
    ]);
    expect((await danStatus()).status).toBe(2);
  });
});

describe('whose unsubscribe was the last (engine/consent.ts)', () => {
  const tag = (createdAt?: string) => ({ id: '9', tagId: '2', ...(createdAt !== undefined ? { createdAt } : {}) });
  const at = (subscribedAt?: string, changedAt?: string) => ({
    ...(subscribedAt !== undefined ? { subscribedAt } : {}),
    ...(changedAt !== undefined ? { changedAt } : {}),
  });
  it.each([
    ['acsync unsubscribed, nothing since', 2, at('2026-01-01T10:00:00-05:00', '2026-02-01T10:00:00-05:00'), tag('2026-02-01T10:00:01-05:00'), true],
    ['bulk import: tag a moment before the unsubscribe', 2, at('2026-01-01T10:00:00Z', '2026-02-01T10:00:30Z'), tag('2026-02-01T10:00:00Z'), true],
    ['same instant in another offset', 2, at('2026-01-01T15:00:00Z', '2026-02-01T15:00:00Z'), tag('2026-02-01T10:00:00-05:00'), true],
    ['re-subscribed after the tag', 2, at('2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z'), tag('2026-02-01T10:00:00Z'), false],
    ['subscribed in the same second as the tag', 2, at('2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z'), tag('2026-02-01T10:00:00Z'), false],
    ['unsubscribed again long after the tag (sdate not moved)', 2, at('2026-01-01T10:00:00Z', '2026-03-01T10:00:00Z'), tag('2026-02-01T10:00:00Z'), false],
    ['no tag', 2, at('2026-01-01T10:00:00Z', '2026-02-01T10:00:00Z'), undefined, false],
    ['tag without a date', 2, at('2026-01-01T10:00:00Z', '2026-02-01T10:00:00Z'), tag(), false],
    ['no membership dates', 2, at(), tag('2026-02-01T10:00:00Z'), false],
    ['a zero udate', 2, at('2026-01-01 10:00:00', '0000-00-00 00:00:00'), tag('2026-02-01 10:00:00'), false],
    ['naive dates (one server clock)', 2, at('2026-01-01 10:00:00', '2026-02-01 10:00:00'), tag('2026-02-01 10:00:00'), true],
    ['naive and zoned dates cannot be ordered', 2, at('2026-01-01 10:00:00', '2026-02-01T10:00:00Z'), tag('2026-02-01T10:00:00Z'), false],
    ['not unsubscribed', 1, at('2026-01-01T10:00:00Z', '2026-02-01T10:00:00Z'), tag('2026-02-01T10:00:00Z'), false],
  ] as const)('%s', (_name, listStatus, dates, t, expected) => {
    expect(unsubscribedByAcsync({ listStatus, dates, tag: t })).toBe(expected);
  });

  it('reads ActiveCampaign date forms to whole seconds', () => {
    expect(acTime('2018-09-12T16:53:50-05:00')).toEqual({ s: Date.parse('2018-09-12T21:53:50Z') / 1000, zoned: true });
    expect(acTime('2018-09-12T21:53:50.123Z')).toEqual({ s: Date.parse('2018-09-12T21:53:50Z') / 1000, zoned: true });
    expect(acTime('2018-01-23 11:22:39')?.zoned).toBe(false);
    expect(acTime('')).toBeUndefined();
    expect(acTime('yesterday')).toBeUndefined();
  });
});
