/**
 * The list snapshot only ever saves requests: after a marketer changes contacts out of band, a plan read through
 * the snapshot equals a plan read in full, and a missing or corrupt snapshot means a full read.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { ExportPlan } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { cacheDirFor, snapshotPath } from '../../engine/snapshot/file.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { managedTag } from '../../engine/tags.ts';
import { csv, MovableClock, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const MEMBERS = 600;
/**
 * How long before the first plan the list was seeded, on the emulator's clock: a real list's contacts are older
 * than any margin the incremental read keeps (the snapshot's 2 s, and the second earlier that filters[updated_after]
 * is sent at, engine/activecampaign/read-members.ts). Moving the emulator's clock replaces a sleep.
 */
const SEEDED_AGO_S = 60;
const clock = new MovableClock();

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace({ now: clock.now });
beforeEach(() => {
  ({ emulator, ws } = setup);
});

const email = (i: number) => `person${i}@example.com`;
const tier = (i: number) => (i % 3 === 0 ? 'Gold' : 'Silver');

/** A list acsync already manages, and a segment with 1% of it changed, one newcomer and one leaver. */
async function setUp(): Promise<void> {
  clock.advance(-SEEDED_AGO_S);
  emulator.seed({
    contacts: Array.from({ length: MEMBERS }, (_, i) => ({
      email: email(i),
      firstName: `First${i}`,
      fields: { LOYALTY_TIER: tier(i) },
      lists: { '1': 1 as const },
      tags: [managedTag('1')],
    })),
  });
  // In the account, not on the list.
  emulator.seed({ contacts: [{ email: 'outsider@example.com' }] });
  const rows: Array<[string, string?, string?, string?, string?]> = [];
  for (let i = 1; i < MEMBERS; i++) rows.push([email(i), `First${i}`, '', '', i % 100 === 7 ? 'Platinum' : tier(i)]);
  rows.push(['newcomer@example.com', 'New']);
  await ws.write('seg.csv', csv(rows));
  await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe' }]);
  // Seeded contacts must be older than the snapshot's clock margin, as a real list's are.
  clock.advance(SEEDED_AGO_S);
}

const contactReads = (): number => emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0;

async function plan(refresh: RefreshMode): Promise<{ plan: ExportPlan; reads: number }> {
  const before = contactReads();
  const config = await ws.load();
  const env = { ...ws.env, ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS: '0' };
  const r = await runExports(config, { mode: 'plan', sink: () => {}, env, refresh });
  expect(r.exports[0]?.error).toBeUndefined();
  return { plan: r.exports[0]!.plan!, reads: contactReads() - before };
}

/** Plans through the snapshot and in full; they must agree. Returns the snapshot plan's reads. */
async function expectSnapshotAgrees(): Promise<{ plan: ExportPlan; reads: number }> {
  const cached = await plan('auto');
  const truth = await plan('off');
  // The segment's read time (plan.source.readMs) differs from run to run; everything else must be equal.
  const untimed = (p: ExportPlan) => ({ ...p, ...(p.source ? { source: { ...p.source, readMs: 0 } } : {}) });
  expect(untimed(cached.plan)).toEqual(untimed(truth.plan));
  return cached;
}

describe('list snapshot', () => {
  it('a second plan reads only what changed, and agrees with a full read after out-of-band changes', async () => {
    await setUp();
    const first = await plan('auto');
    expect(first.reads).toBeGreaterThanOrEqual(MEMBERS / 100);
    expect(first.plan.counts).toMatchObject({ update: 6, create: 1, unsubscribe: 1 });

    // A marketer at work in ActiveCampaign: an unsubscribe (no udate bump), an edit, a field change.
    emulator.marketer.unsubscribe({ email: email(10) }, 1);
    emulator.marketer.edit({ email: email(20) }, { firstName: 'Renamed' });
    emulator.marketer.edit({ email: email(30) }, { fields: { LOYALTY_TIER: 'Bronze' } });

    const second = await expectSnapshotAgrees();
    // One count page, three status reads, one page of updated contacts (and, for the newcomer, a count of the
    // account's contacts and its lookup, GET /contacts?email=): far fewer than a full read.
    expect(second.reads).toBeLessThan(first.reads);
    expect(second.reads).toBeLessThanOrEqual(5 + 2);
    const byEmail = new Map(second.plan.changes.map((c) => [c.email.toLowerCase(), c]));
    expect(byEmail.get(email(10))).toMatchObject({ action: 'skip', reasonCode: 'unsubscribed-in-activecampaign' });
    expect(byEmail.get(email(20))?.action).toBe('update');
    expect(byEmail.get(email(30))?.action).toBe('update');
  });

  it('sees a contact re-subscribed by hand, and what apply itself changed', async () => {
    await setUp();
    emulator.marketer.unsubscribe({ email: email(40) }, 1);
    await plan('auto');
    emulator.marketer.subscribe({ email: email(40) }, 1);
    await expectSnapshotAgrees();

    const config = await ws.load();
    const applied = await runExports(config, { mode: 'apply', sink: () => {}, env: { ...ws.env, ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS: '0' } });
    expect(applied.ok).toBe(true);
    const after = await expectSnapshotAgrees();
    expect(after.plan.counts).toMatchObject({ create: 0, update: 0, unsubscribe: 0, subscribe: 0 });
  });

  it('falls back to a full read when a contact was deleted or added to the list by hand', async () => {
    await setUp();
    const first = await plan('auto');
    emulator.marketer.delete({ email: email(50) });
    const afterDelete = await expectSnapshotAgrees();
    expect(afterDelete.reads).toBeGreaterThan(first.reads);
    expect(afterDelete.plan.changes.find((c) => c.email === email(50))?.action).toBe('create');

    emulator.marketer.subscribe({ email: 'outsider@example.com' }, 1);
    const afterAdd = await expectSnapshotAgrees();
    expect(afterAdd.reads).toBeGreaterThan(first.reads);
    expect(afterAdd.plan.changes.find((c) => c.email === 'outsider@example.com')).toMatchObject({ action: 'skip', reasonCode: 'not-managed' });
  });

  it('a missing, corrupt or forced-out snapshot means a full read with the same plan', async () => {
    await setUp();
    const first = await plan('auto');
    const file = snapshotPath(cacheDirFor(`${ws.dir}/acsync.yaml`), emulator.hostname, '1');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(emulator.apiKey);

    // One member's tier edited in the file: the checksum catches it.
    await writeFile(file, text.replace('"Silver"', '"Gold"'));
    const corrupt = await expectSnapshotAgrees();
    expect(corrupt.reads).toBe(first.reads);

    await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
    expect((await expectSnapshotAgrees()).reads).toBe(first.reads);

    expect((await plan('full')).reads).toBe(first.reads);
    expect((await plan('auto')).reads).toBeLessThanOrEqual(5 + 2);
  });
});

describe('list snapshot on an old account (quirk largeSideloads: every membership, field value and tag sideloaded)', () => {
  const oldClock = new MovableClock();
  const old = withEmulatorWorkspace({ quirks: ['largeSideloads'], now: oldClock.now });

  it('counts the list without sideloads: the count page is one request, not a 10 MB page asked again by halves', { timeout: 60_000 }, async () => {
    oldClock.advance(-SEEDED_AGO_S);
    old.emulator.seed({ contacts: Array.from({ length: 230 }, (_, i) => ({ email: email(i), firstName: `First${i}`, lists: { '1': 1 as const } })) });
    oldClock.advance(SEEDED_AGO_S);
    await old.ws.write('seg.csv', csv(Array.from({ length: 230 }, (_, i): [string, string] => [email(i), `First${i}`])));
    await old.ws.config([{ segment: 'seg.csv', fields: false }]);
    const env = { ...old.ws.env, ACSYNC_SNAPSHOT_CLOCK_MARGIN_MS: '0' };
    const reads = (): number => old.emulator.stats().byEndpoint['GET /api/3/contacts'] ?? 0;
    const run = async (refresh: RefreshMode): Promise<number> => {
      const before = reads();
      const r = await runExports(await old.ws.load(), { mode: 'plan', sink: () => {}, env, refresh });
      expect(r.exports[0]?.error).toBeUndefined();
      expect(r.exports[0]?.plan?.counts.noop).toBe(230);
      return reads() - before;
    };
    await run('full');
    // The count (1), three status reads of an all-active list (1 each), the updated members since (1).
    expect(await run('auto')).toBe(5);
  });
});
