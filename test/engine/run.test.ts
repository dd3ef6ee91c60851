import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { managedTag, unsubscribedTag } from '../../engine/tags.ts';
import { csv, fastEmulator, listMembers, MovableClock, Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;
const clock = new MovableClock();

const setup = withEmulatorWorkspace({ now: clock.now });
beforeEach(() => {
  ({ emulator, ws } = setup);
  emulator.setFaults(undefined);
});

async function run(mode: 'plan' | 'apply', events: EngineEvent[] = []): Promise<RunResult> {
  const config = await ws.load();
  return runExports(config, { mode, sink: (e) => events.push(e), env: ws.env });
}

function onlyPlan(r: RunResult): ExportPlan {
  expect(r.exports[0]?.error).toBeUndefined();
  return r.exports[0]!.plan!;
}

const BASE: Array<[string, string?, string?, string?, string?]> = [
  ['Ana.Silva@Contoso.example', 'Ana', 'Silva', '+351 912 345 678', 'Gold'],
  ['ben@contoso.example', 'Ben', 'Okafor', '', 'Silver'],
  ['chloe@contoso.example', 'Chloé', 'Dubois'],
  ['not-an-email', 'Bad', 'Row'],
  ['BEN@contoso.example', 'Benjamin', 'Dup'],
  ['dan@contoso.example', 'Dan', 'Müller', ' 555-0100 ', 'Bronze'],
];

describe('plan and apply against the emulator', () => {
  it('creates on first export, skips invalid and duplicate emails, then converges (no changes)', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv' }]);

    const plan = onlyPlan(await run('plan'));
    expect(plan.counts).toMatchObject({ create: 4, skip: 2, update: 0 });
    const skips = plan.changes.filter((c) => c.action === 'skip');
    expect(skips.map((s) => [s.row, s.reasonCode])).toEqual([
      [5, 'invalid-email'],
      [6, 'duplicate-email'],
    ]);

    const applied = await run('apply');
    expect(applied.exports[0]?.failures ?? applied.exports[0]?.error).toEqual([]);
    expect(applied.ok).toBe(true);
    expect(applied.exports[0]).toMatchObject({ applied: 4, failed: 0 });

    const members = await listMembers(emulator, 1);
    expect(members.map((m) => m.email.toLowerCase()).sort()).toEqual(['ana.silva@contoso.example', 'ben@contoso.example', 'chloe@contoso.example', 'dan@contoso.example'].sort());
    const ana = members.find((m) => m.email.toLowerCase() === 'ana.silva@contoso.example')!;
    expect(ana).toMatchObject({ firstName: 'Ana', lastName: 'Silva', phone: '+351 912 345 678', status: 1 });
    expect(ana.fields['LOYALTY_TIER']).toBe('Gold');
    expect(ana.tags).toContain(managedTag('1'));
    expect(members.find((m) => m.email === 'dan@contoso.example')!.phone).toBe('555-0100');

    const again = await run('plan');
    expect(again.changesPending).toBe(false);
    expect(onlyPlan(again).counts).toMatchObject({ create: 0, update: 0, noop: 4, skip: 2 });
  });

  it('plans field updates with before and after, and empty values never erase', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv' }]);
    await run('apply');

    await ws.write(
      'seg.csv',
      csv([
        ['ana.silva@contoso.example', 'Ana', 'Silva-Costa', '', 'Platinum'],
        ['ben@contoso.example', 'Ben', 'Okafor', '', 'Silver'],
        ['chloe@contoso.example', 'Chloé', 'Dubois'],
        ['dan@contoso.example', '', '', '', ''],
      ]),
    );
    const plan = onlyPlan(await run('plan'));
    expect(plan.counts).toMatchObject({ update: 1, noop: 3 });
    const upd = plan.changes.find((c) => c.action === 'update')!;
    expect(upd.fieldChanges).toEqual([
      { field: 'lastName', before: 'Silva', after: 'Silva-Costa' },
      { field: 'LOYALTY_TIER', before: 'Gold', after: 'Platinum' },
    ]);
    expect((await run('apply')).ok).toBe(true);
    const members = await listMembers(emulator, 1);
    const ana = members.find((m) => m.email.toLowerCase() === 'ana.silva@contoso.example')!;
    expect(ana).toMatchObject({ lastName: 'Silva-Costa', phone: '+351 912 345 678' });
    expect(ana.fields['LOYALTY_TIER']).toBe('Platinum');
    expect(members.find((m) => m.email === 'dan@contoso.example')).toMatchObject({ firstName: 'Dan', phone: '555-0100' });
    expect((await run('plan')).changesPending).toBe(false);
  });

  it('onLeave keep leaves contacts who left the segment on the list', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv', onLeave: 'keep' }]);
    await run('apply');
    await ws.write('seg.csv', csv(BASE.slice(0, 3)));
    const plan = onlyPlan(await run('plan'));
    expect(plan.counts.unsubscribe).toBe(0);
    expect(plan.counts.noop).toBe(4);
    expect((await listMembers(emulator, 1)).every((m) => m.status === 1)).toBe(true);
  });

  it('onLeave unsubscribe unsubscribes only what acsync subscribed, and re-subscribes them when they return', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
    await run('apply');
    clock.advance(60);
    // Someone adds a contact to the list by hand in ActiveCampaign.
    emulator.seed({ contacts: [{ email: 'hand@contoso.example', firstName: 'Hand', lists: { '1': 1 } }] });

    await ws.write('seg.csv', csv(BASE.filter((r) => !r[0].startsWith('dan'))));
    const plan = onlyPlan(await run('plan'));
    expect(plan.counts.unsubscribe).toBe(1);
    expect(plan.changes.find((c) => c.action === 'unsubscribe')!.email).toBe('dan@contoso.example');
    const handSkip = plan.changes.find((c) => c.email === 'hand@contoso.example')!;
    expect(handSkip).toMatchObject({ action: 'skip', reasonCode: 'not-managed' });

    expect((await run('apply')).ok).toBe(true);
    let members = await listMembers(emulator, 1);
    const dan = members.find((m) => m.email === 'dan@contoso.example')!;
    expect(dan.status).toBe(2);
    expect(dan.tags).toContain(unsubscribedTag('1'));
    expect(members.find((m) => m.email === 'hand@contoso.example')!.status).toBe(1);
    expect((await run('plan')).changesPending).toBe(false);

    // Dan comes back: acsync unsubscribed him, so acsync may re-subscribe him.
    clock.advance(60);
    await ws.write('seg.csv', csv(BASE));
    const back = onlyPlan(await run('plan'));
    expect(back.counts.resubscribe).toBe(1);
    expect((await run('apply')).ok).toBe(true);
    members = await listMembers(emulator, 1);
    const dan2 = members.find((m) => m.email === 'dan@contoso.example')!;
    expect(dan2.status).toBe(1);
    expect(dan2.tags).not.toContain(unsubscribedTag('1'));
    expect((await run('plan')).changesPending).toBe(false);
  });

  it('never re-subscribes a contact who unsubscribed in ActiveCampaign', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv' }]);
    await run('apply');
    emulator.marketer.unsubscribe({ email: 'ben@contoso.example' }, 1);

    const plan = onlyPlan(await run('plan'));
    const ben = plan.changes.find((c) => c.key === 'ben@contoso.example' && c.action === 'skip' && c.reasonCode === 'unsubscribed-in-activecampaign');
    expect(ben).toBeDefined();
    expect(plan.counts.resubscribe).toBe(0);
    expect((await run('apply')).ok).toBe(true);
    const members = await listMembers(emulator, 1);
    expect(members.find((m) => m.email === 'ben@contoso.example')!.status).toBe(2);
  });

  it('subscribes an existing account contact who is not on the list yet', async () => {
    emulator.seed({ contacts: [{ email: 'ana.silva@contoso.example', firstName: 'Ana', lists: { '2': 1 } }] });
    await ws.write('seg.csv', csv(BASE.slice(0, 1)));
    await ws.config([{ segment: 'seg.csv' }]);
    expect((await run('apply')).ok).toBe(true);
    const members = await listMembers(emulator, 1);
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ lastName: 'Silva', status: 1 });
    expect((await listMembers(emulator, 2))[0]!.status).toBe(1);
  });

  it('names a missing list and its connection, before any write', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv', listId: 99 }]);
    const r = await run('apply');
    expect(r.ok).toBe(false);
    expect(r.exports[0]!.error!.message).toMatch(/99/);
    expect(r.exports[0]!.error!.message).toMatch(/'ac'/);
    expect(emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0).toBe(0);
  });

  it('reports a wrong API key without showing it', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv' }]);
    const config = await ws.load();
    const r = await runExports(config, { mode: 'plan', sink: () => {}, env: { ...ws.env, AC_API_KEY: 'wrong-key-SECRET-987' } });
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r);
    expect(text).toMatch(/AC_API_KEY/);
    expect(text).not.toMatch(/SECRET-987/);
  });

  it('converges through injected 429 storms and 5xx errors', async () => {
    await ws.write('seg.csv', csv(BASE));
    await ws.config([{ segment: 'seg.csv' }]);
    emulator.setFaults({ seed: 7, errorRate: 0.3, storm: { probability: 0.1, length: 3, retryAfterSeconds: 0 } });
    const events: EngineEvent[] = [];
    const r = await run('apply', events);
    emulator.setFaults(undefined);
    expect(r.ok).toBe(true);
    expect(events.some((e) => e.type === 'request:retry')).toBe(true);
    expect((await run('plan')).changesPending).toBe(false);
    expect(await listMembers(emulator, 1)).toHaveLength(4);
  });
});

describe('bulk and one-by-one paths', () => {
  const many = (n: number, tier: string) => Array.from({ length: n }, (_, i) => [`p${i}@contoso.example`, `P${i}`, 'Lee', '', tier] as [string, string, string, string, string]);

  it('more than a handful of writes go through bulk imports: updates and unsubscribes too', async () => {
    await ws.write('seg.csv', csv(many(30, 'Gold')));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
    expect((await run('apply')).ok).toBe(true);
    await ws.write('seg.csv', csv([...many(20, 'Gold').slice(0, 12), ...many(20, 'Silver').slice(12)]));
    const events: EngineEvent[] = [];
    const plan = onlyPlan(await run('plan'));
    expect(plan.counts).toMatchObject({ update: 8, unsubscribe: 10 });
    expect((await run('apply', events)).ok).toBe(true);
    expect(events.filter((e) => e.type === 'batch:sent').every((e) => e.type === 'batch:sent' && e.kind === 'bulk_import')).toBe(true);
    const members = await listMembers(emulator, 1);
    expect(members.filter((m) => m.status === 2).map((m) => m.tags.includes(unsubscribedTag('1')))).toEqual(Array(10).fill(true));
    expect(members.filter((m) => m.fields['LOYALTY_TIER'] === 'Silver')).toHaveLength(8);
    expect((await run('plan')).changesPending).toBe(false);
  });

  it('a handful of writes go one contact at a time, with the same result', async () => {
    await ws.write('seg.csv', csv(many(3, 'Gold')));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5\n    tags: [vip]' }]);
    const events: EngineEvent[] = [];
    expect((await run('apply', events)).ok).toBe(true);
    expect(events.some((e) => e.type === 'batch:sent' && e.kind === 'bulk_import')).toBe(false);
    let members = await listMembers(emulator, 1);
    expect(members).toHaveLength(3);
    expect(members.every((m) => m.status === 1 && m.tags.includes(managedTag('1')) && m.tags.includes('vip') && m.fields['LOYALTY_TIER'] === 'Gold')).toBe(true);
    await ws.write('seg.csv', csv(many(2, 'Silver')));
    expect(onlyPlan(await run('plan')).counts).toMatchObject({ update: 2, unsubscribe: 1 });
    expect((await run('apply')).ok).toBe(true);
    members = await listMembers(emulator, 1);
    expect(members.find((m) => m.email === 'p2@contoso.example')).toMatchObject({ status: 2 });
    expect(members.find((m) => m.email === 'p2@contoso.example')!.tags).toContain(unsubscribedTag('1'));
    expect(members.filter((m) => m.fields['LOYALTY_TIER'] === 'Silver')).toHaveLength(2);
    expect((await run('plan')).changesPending).toBe(false);
  });
});

describe('two exports on one account', () => {
  it('share the account rate budget: the emulator never sees more than the limit', async () => {
    const limited = await fastEmulator({ rateLimit: 20 });
    const w = await Workspace.create(limited);
    try {
      const rows = (n: string) => Array.from({ length: 30 }, (_, i) => [`${n}${i}@contoso.example`, `N${i}`] as [string, string]);
      await w.write('a.csv', csv(rows('a')));
      await w.write('b.csv', csv(rows('b')));
      await w.config([
        { name: 'first', segment: 'a.csv', listId: 1 },
        { name: 'second', segment: 'b.csv', listId: 2 },
      ]);
      const config = await w.load();
      const r = await runExports(config, { mode: 'apply', sink: () => {}, env: { ...w.env, ACSYNC_RATE_LIMITS: 'rps=20,bulk=20000' } });
      expect(r.ok).toBe(true);
      const stats = limited.stats();
      expect(stats.rateLimited).toBe(0);
      expect(stats.maxRequestsPerSecond).toBeLessThanOrEqual(20);
      limited.setLimits({ rateLimit: 1000 });
      expect(await listMembers(limited, 1)).toHaveLength(30);
      expect(await listMembers(limited, 2)).toHaveLength(30);
    } finally {
      await w.dispose();
      await limited.stop();
    }
  });
});
