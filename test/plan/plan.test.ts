import { describe, expect, it } from 'vitest';
import type { OnLeave } from '../../engine/config/model.ts';
import type { Change, DesiredContact, ListStatus, ObservedContact } from '../../engine/model.ts';
import { Planner, REASONS, checkLimits, computePlan, subscribeAccountContacts, type AccountContact } from '../../engine/plan.ts';
import type { SkippedRow } from '../../engine/segment/normalize.ts';
import { managedTag, unsubscribedTag } from '../../engine/tags.ts';

// Small builders: a contact is its email plus whatever the case is about.
let nextRow = 2;
function want(email: string, extra: Partial<DesiredContact> = {}): DesiredContact {
  return { email, key: email.toLowerCase(), row: nextRow++, ...extra };
}
function have(id: string, email: string, listStatus: ListStatus, extra: Partial<ObservedContact> = {}): ObservedContact {
  return { id, email, key: email.toLowerCase(), listStatus, managed: true, unsubscribedByAcsync: false, ...extra };
}
function plan(desired: Array<DesiredContact | SkippedRow>, observed: ObservedContact[], onLeave: OnLeave = 'keep', accountContacts?: Map<string, AccountContact>) {
  return computePlan(desired, observed, {
    export: 'vip',
    connection: 'main',
    listId: '7',
    onLeave,
    ...(accountContacts ? { accountContacts } : {}),
  });
}
/** The part of a change a rule is about. */
const gist = (c: Change) => ({
  action: c.action,
  email: c.email,
  ...(c.reasonCode ? { reasonCode: c.reasonCode } : {}),
  ...(c.fieldChanges ? { fieldChanges: c.fieldChanges } : {}),
});

describe('contacts in the segment', () => {
  const cases: Array<{ rule: string; desired: DesiredContact; observed?: ObservedContact; account?: AccountContact; expected: ReturnType<typeof gist> | 'noop' }> = [
    { rule: 'not in the account → create', desired: want('new@x.com', { firstName: 'N' }), expected: { action: 'create', email: 'new@x.com' } },
    {
      rule: 'in the account, not on the list → subscribe (with its field changes)',
      desired: want('acc@x.com', { firstName: 'Ann' }),
      account: { id: '50', fields: { email: 'acc@x.com', firstName: 'An' } },
      expected: { action: 'subscribe', email: 'acc@x.com', fieldChanges: [{ field: 'firstName', before: 'An', after: 'Ann' }] },
    },
    { rule: 'active and equal → noop', desired: want('a@x.com', { firstName: 'A' }), observed: have('1', 'a@x.com', 1, { firstName: 'A' }), expected: 'noop' },
    { rule: 'unconfirmed and equal → noop', desired: want('u@x.com'), observed: have('1', 'u@x.com', 0), expected: 'noop' },
    { rule: 'email differing only in case is no change', desired: want('Ana@X.com'), observed: have('1', 'ana@x.com', 1), expected: 'noop' },
    {
      rule: 'active with a changed field → update with before/after',
      desired: want('a@x.com', { firstName: 'Ana', lastName: 'Lopez', fields: { TIER: 'gold', CITY: 'Lyon' } }),
      observed: have('1', 'a@x.com', 1, { firstName: 'Ana', lastName: 'López', fields: { TIER: 'gold' } }),
      expected: {
        action: 'update',
        email: 'a@x.com',
        fieldChanges: [
          { field: 'lastName', before: 'López', after: 'Lopez' },
          { field: 'CITY', after: 'Lyon' },
        ],
      },
    },
    {
      rule: 'a value the segment leaves empty never erases one ActiveCampaign has',
      desired: want('a@x.com', { firstName: 'Ana' }),
      observed: have('1', 'a@x.com', 1, { firstName: 'Ana', lastName: 'Kept', phone: '+1', fields: { TIER: 'gold' } }),
      expected: 'noop',
    },
    {
      rule: 'an empty value in ActiveCampaign counts as none',
      desired: want('a@x.com', { phone: '+33 1' }),
      observed: have('1', 'a@x.com', 0, { phone: '' }),
      expected: { action: 'update', email: 'a@x.com', fieldChanges: [{ field: 'phone', after: '+33 1' }] },
    },
    {
      rule: 'unsubscribed by the person → skip, never re-subscribed',
      desired: want('opt@x.com'),
      observed: have('1', 'opt@x.com', 2, { unsubscribedByAcsync: false }),
      expected: { action: 'skip', email: 'opt@x.com', reasonCode: 'unsubscribed-in-activecampaign' },
    },
    {
      rule: 'unsubscribed by acsync and back → resubscribe with field changes',
      desired: want('back@x.com', { firstName: 'B' }),
      observed: have('1', 'back@x.com', 2, { unsubscribedByAcsync: true }),
      expected: { action: 'resubscribe', email: 'back@x.com', fieldChanges: [{ field: 'firstName', after: 'B' }] },
    },
    { rule: 'bounced → skip', desired: want('b@x.com'), observed: have('1', 'b@x.com', 3), expected: { action: 'skip', email: 'b@x.com', reasonCode: 'bounced' } },
  ];
  it.each(cases)('$rule', ({ desired, observed, account, expected }) => {
    const p = plan([desired], observed ? [observed] : [], 'unsubscribe', account ? new Map([[desired.key, account]]) : undefined);
    if (expected === 'noop') {
      expect(p.changes).toEqual([]);
      expect(p.counts.noop).toBe(1);
    } else {
      expect(p.changes.map(gist)).toEqual([expected]);
      expect(p.counts[expected.action]).toBe(1);
    }
  });

  it('the opt-out skip says why in the words of the spec', () => {
    const [c] = plan([want('opt@x.com')], [have('9', 'opt@x.com', 2)]).changes;
    expect(c).toMatchObject({ contactId: '9', reason: 'unsubscribed in ActiveCampaign; acsync never re-subscribes someone who opted out' });
  });

  it('a change carries the row, the contact id and what will be sent (email as given, no empty values)', () => {
    const d = want('Ana@X.com', { firstName: 'Ana', fields: { TIER: 'gold' } });
    const [c] = plan([d], [have('12', 'ana@x.com', 1)]).changes;
    expect(c).toEqual({
      action: 'update',
      email: 'Ana@X.com',
      key: 'ana@x.com',
      contactId: '12',
      row: d.row,
      fieldChanges: [
        { field: 'firstName', after: 'Ana' },
        { field: 'TIER', after: 'gold' },
      ],
      after: { email: 'Ana@X.com', firstName: 'Ana', fields: { TIER: 'gold' } },
    });
  });
});

describe('skips from the segment', () => {
  it('keeps invalid and missing emails as skips, and names the first row of a duplicate (case-insensitive)', () => {
    const skipped: SkippedRow = { row: 3, email: 'nope', key: 'nope', reasonCode: 'invalid-email', reason: 'invalid email: no @' };
    const first = want('dup@x.com');
    const again = want('DUP@x.com');
    const onList = want('a@x.com');
    const onListAgain = want('A@X.COM');
    const p = plan([first, skipped, again, onList, onListAgain], [have('1', 'a@x.com', 1)]);
    expect(p.changes.map((c) => [c.action, c.row, c.reason])).toEqual([
      ['create', first.row, undefined],
      ['skip', 3, 'invalid email: no @'],
      ['skip', again.row, `duplicate of row ${first.row}`],
      ['skip', onListAgain.row, `duplicate of row ${onList.row}`],
    ]);
    expect(p.counts).toMatchObject({ create: 1, skip: 3, noop: 1 });
  });
});

describe('contacts who left the segment', () => {
  const observed = [
    have('30', 'managed@x.com', 1, { managed: true }),
    have('4', 'byhand@x.com', 1, { managed: false }),
    have('100', 'pending@x.com', 0, { managed: true }),
    have('5', 'gone@x.com', 2, { managed: true }),
    have('6', 'bounced@x.com', 3, { managed: true }),
  ];
  it('onLeave keep: all noop', () => {
    const p = plan([], observed, 'keep');
    expect(p.changes).toEqual([]);
    expect(p.counts.noop).toBe(5);
  });
  it('onLeave unsubscribe: only contacts acsync subscribed, in id order; others are left alone', () => {
    const p = plan([], observed, 'unsubscribe');
    expect(p.changes.map((c) => [c.action, c.contactId, c.reasonCode ?? null, c.reason])).toEqual([
      ['skip', '4', 'not-managed', REASONS.notManaged],
      ['unsubscribe', '30', null, REASONS.left],
      ['unsubscribe', '100', null, REASONS.left],
    ]);
    expect(p.counts).toMatchObject({ unsubscribe: 2, skip: 1, noop: 2 });
    expect(REASONS.notManaged).toBe('added outside acsync; left on the list');
  });
});

describe('the plan as a whole', () => {
  it('is deterministic: segment order first, then leavers by id', () => {
    const desired = [want('z@x.com'), want('m@x.com', { firstName: 'M' }), want('a@x.com')];
    const observed = [have('9', 'old9@x.com', 1), have('10', 'old10@x.com', 1), have('2', 'm@x.com', 1)];
    const p1 = plan(desired, observed, 'unsubscribe');
    const p2 = plan(desired, [...observed].reverse(), 'unsubscribe');
    expect(p1).toEqual(p2);
    expect(p1.changes.map((c) => c.email)).toEqual(['z@x.com', 'm@x.com', 'a@x.com', 'old9@x.com', 'old10@x.com']);
    expect(p1).toMatchObject({ export: 'vip', connection: 'main', listId: '7' });
  });
  it('the streaming Planner gives the same plan as computePlan and refuses use after finish', () => {
    const desired = [want('a@x.com'), want('b@x.com', { lastName: 'B' })];
    const observed = [have('1', 'b@x.com', 1), have('2', 'c@x.com', 1)];
    const planner = new Planner(observed, { export: 'vip', connection: 'main', listId: '7', onLeave: 'unsubscribe' });
    expect(planner.observedActive).toBe(2);
    for (const d of desired) planner.add(d);
    const p = planner.finish();
    expect(p).toEqual(plan(desired, observed, 'unsubscribe'));
    expect(() => planner.add(want('late@x.com'))).toThrow(/after finish/);
  });
  it('two observed contacts with one email: the first one decides and the second is not a leaver', () => {
    const observed = [have('1', 'twin@x.com', 1, { firstName: 'A' }), have('2', 'TWIN@x.com', 1, { firstName: 'B' })];
    const p = plan([want('twin@x.com', { firstName: 'A' })], observed, 'unsubscribe');
    expect(p.changes).toEqual([]);
    expect(p.counts.noop).toBe(1);
  });
  it('a second row for a twin on the list is a duplicate, even when the list order points at the twin next', () => {
    const observed = [have('1', 'twin@x.com', 1), have('2', 'TWIN@x.com', 1, { firstName: 'B' })];
    const first = want('twin@x.com');
    const again = want('Twin@x.com', { firstName: 'C' });
    const p = plan([first, again], observed, 'unsubscribe');
    expect(p.changes.map((c) => [c.action, c.row, c.reason])).toEqual([['skip', again.row, `duplicate of row ${first.row}`]]);
  });
  it('gives the same changes whatever the order of the segment against the list', () => {
    const observed = Array.from({ length: 40 }, (_, i) =>
      have(String(i + 1), `m${i}@x.com`, i % 7 === 0 ? 2 : 1, { firstName: `F${i % 3}`, unsubscribedByAcsync: i % 14 === 0 }),
    );
    // Distinct emails: members in list order with gaps, and newcomers (m40…m44) in between.
    const rows = Array.from({ length: 30 }, (_, i) => ({ email: `m${(i * 7) % 45}@x.com`, firstName: `F${i % 4}`, row: i + 2 }));
    const desired = (order: typeof rows): DesiredContact[] => order.map((r) => ({ email: r.email, key: r.email, row: r.row, firstName: r.firstName }));
    const byRowThenKey = (p: ReturnType<typeof plan>) => [...p.changes].sort((x, y) => (x.row ?? 0) - (y.row ?? 0) || x.key.localeCompare(y.key));
    const inOrder = plan(desired(rows), observed, 'unsubscribe');
    const reversed = plan(desired([...rows].reverse()), observed, 'unsubscribe');
    expect(inOrder.counts.create).toBeGreaterThan(0);
    expect(inOrder.counts.update).toBeGreaterThan(0);
    expect(reversed.counts).toEqual(inOrder.counts);
    expect(byRowThenKey(reversed)).toEqual(byRowThenKey(inOrder));
  });
  it('sends every value as given when a column has more distinct values than the planner shares', () => {
    const n = 25_000;
    const desired = Array.from({ length: n }, (_, i) => want(`p${i}@x.com`, { firstName: `Name${i % 5}`, phone: `+1 555 ${String(i).padStart(7, '0')}`, fields: { TIER: `t${i % 3}`, CODE: `c${i}` } }));
    const p = plan(desired, [], 'keep');
    expect(p.counts.create).toBe(n);
    p.changes.forEach((c, i) => {
      expect(c.after).toEqual({ email: `p${i}@x.com`, firstName: `Name${i % 5}`, phone: `+1 555 ${String(i).padStart(7, '0')}`, fields: { TIER: `t${i % 3}`, CODE: `c${i}` } });
    });
  });
  it('counts add up to the rows and members it saw', () => {
    const desired = [want('new@x.com'), want('same@x.com'), want('upd@x.com', { firstName: 'U' })];
    const observed = [have('1', 'same@x.com', 1), have('2', 'upd@x.com', 1), have('3', 'left@x.com', 1)];
    const p = plan(desired, observed, 'unsubscribe');
    expect(p.counts).toEqual({ create: 1, update: 1, subscribe: 0, resubscribe: 0, unsubscribe: 1, noop: 1, skip: 0 });
  });
});

describe('checkLimits', () => {
  const p = plan([want('n1@x.com'), want('n2@x.com')], [have('1', 'old@x.com', 1)], 'unsubscribe');
  it.each([
    [{ currentActive: 10 }, undefined],
    [{ currentActive: 10, contactLimit: 11 }, undefined],
    [{ currentActive: 10, contactLimit: 10 }, /would bring list 7 to 11 active contacts, over the contactLimit of 10 set for connection main \(now 10; \+2 new, \+0 subscribed, -1 unsubscribed\)/],
  ])('%j', (ctx, expected) => {
    const message = checkLimits(p, ctx);
    if (expected === undefined) expect(message).toBeUndefined();
    else expect(message).toMatch(expected);
  });
});

describe('tags', () => {
  it('are the names acsync keeps its knowledge under', () => {
    expect(managedTag('7')).toBe('acsync:list-7');
    expect(unsubscribedTag('7')).toBe('acsync:unsubscribed-list-7');
  });
});

describe('newcomers looked up in the account afterwards (subscribeAccountContacts)', () => {
  it('turns the creates the account has into subscribes with their field changes, and moves the counts', () => {
    const before = plan([want('a@x.com', { firstName: 'Ann', fields: { TIER: 'Gold' } }), want('b@x.com', { firstName: 'Bo' })], []);
    const found = new Map<string, AccountContact>([['a@x.com', { id: '9', fields: { email: 'A@x.com', firstName: 'An', fields: { TIER: 'Gold' } } }]]);
    const after = subscribeAccountContacts(before, found);
    expect(after.changes.map(gist)).toEqual([
      { action: 'subscribe', email: 'a@x.com', fieldChanges: [{ field: 'firstName', before: 'An', after: 'Ann' }] },
      { action: 'create', email: 'b@x.com' },
    ]);
    expect(after.changes[0]).toMatchObject({ contactId: '9', reason: REASONS.subscribe, after: { email: 'a@x.com', firstName: 'Ann' } });
    expect(after.counts).toMatchObject({ create: 1, subscribe: 1 });
    // A value: the plan it came from is unchanged.
    expect(before.counts).toMatchObject({ create: 2, subscribe: 0 });
  });
});
