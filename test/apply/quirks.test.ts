/**
 * Apply with the real client against the emulator's quirks profile: what the client-level tests
 * (test/activecampaign/quirks.test.ts) cannot show, because it is the executor (engine/apply/executor.ts) or the
 * plan after it that acts on the answers (issue 15 items 3, 7 and 9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/index.ts';
import { createActiveCampaignClient, type ActiveCampaignClient } from '../../engine/activecampaign/client.ts';
import { RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { applyChanges } from '../../engine/apply/executor.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { Change } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { fastEmulator, listMembers, Workspace } from '../helpers/workspace.ts';

const KEY = 'quirk-apply-key-5b8c';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulatorWith(quirks: NonNullable<EmulatorOptions['quirks']>, extra: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const emu = await startEmulator({ port: 0, apiKey: KEY, seedLists: 1, seedFields: [], rateLimit: 1_000, bulkPerMinute: 10_000, singleBulkPerMinute: 10_000, bulkDelayMs: 20, quirks, ...extra });
  cleanups.push(() => emu.stop());
  return emu;
}

function clientOf(emu: EmulatorHandle): ActiveCampaignClient {
  const budget = new RateBudget({ requestsPerSecond: 1_000, bulkPerMinute: 10_000, bulkSinglePerMinute: 10_000 });
  const c = createActiveCampaignClient({ connection: 'ac', hostname: emu.hostname, apiKey: KEY, apiKeyEnv: 'AC_API_KEY', budget, retryBaseMs: 5 });
  cleanups.push(() => c.close());
  return c;
}

const create = (email: string): Change => ({ action: 'create', email, key: email.toLowerCase(), after: { email, firstName: 'Ana' } });

async function apply(emu: EmulatorHandle, changes: Change[]) {
  const events: EngineEvent[] = [];
  const outcome = await applyChanges({
    export: 'customers',
    listId: '1',
    changes,
    api: clientOf(emu),
    fieldIds: new Map(),
    unsubscribedTagLinks: new Map(),
    sink: (e) => void events.push(e),
    pollSpacingMs: 5,
  });
  return { outcome, events };
}

describe('item 3: a refusal listing only the first few bad contacts, 1-based', () => {
  it('never fails the good ones: 245 of 250 land, the 5 bad are each named, in as many refusals as it takes', { timeout: 30_000 }, async () => {
    // Three listed per refusal (the quirk's default), so five bad contacts take two refusals before the rest is queued.
    const emu = await emulatorWith(['failureReasonsOneBased']);
    const bad = new Set([3, 80, 81, 170, 249]);
    const changes = Array.from({ length: 250 }, (_, i) => create(bad.has(i) ? `bad${i} at contoso.example` : `p${i}@contoso.example`));
    const { outcome, events } = await apply(emu, changes);

    expect(outcome.applied).toBe(245);
    expect(outcome.failures.map((f) => [f.email, f.reason]).sort()).toEqual(
      [...bad].map((i) => [`bad${i} at contoso.example`, "rejected by ActiveCampaign: Field 'email' incorrect format"]).sort(),
    );
    // Two refusals, then one payload of the 245 queued; no probe was needed (the addresses settle the base).
    expect(emu.stats().byEndpoint['POST /api/3/import/bulk_import']).toBe(3);
    expect(outcome.batchesResent).toBe(0);
    const members = await listMembers(emu, 1);
    expect(members.map((m) => m.email).sort()).toEqual(changes.filter((_, i) => !bad.has(i)).map((c) => c.email).sort());
    expect(events.filter((e) => e.type === 'change:failed')).toHaveLength(5);
  });
});

describe('item 7: a long import queue', () => {
  it('batches AC still holds are waited for, never sent again: one POST per batch, nothing resent', { timeout: 60_000 }, async () => {
    // 40 ms x 25 = each batch sits about a second in the queue, polled many times meanwhile.
    const emu = await emulatorWith(['longImportQueue'], { bulkDelayMs: 40 });
    const changes = Array.from({ length: 600 }, (_, i) => create(`q${i}@contoso.example`));
    const { outcome } = await apply(emu, changes);

    expect(outcome).toMatchObject({ applied: 600, failed: 0, batchesResent: 0 });
    const byEndpoint = emu.stats().byEndpoint;
    // 600 contacts are three batches (250, 250, 100).
    expect(byEndpoint['POST /api/3/import/bulk_import']).toBe(3);
    expect(byEndpoint['GET /api/3/import/info']).toBeGreaterThan(3 * 3);
    expect(await listMembers(emu, 1)).toHaveLength(600);
  });
});

describe('item 9: numbers, datetimes and multi-values AC respells', () => {
  it('come back in its spelling, and the next plan has nothing to send; a real change still is one', { timeout: 30_000 }, async () => {
    const emu = await fastEmulator({ seedFields: [], quirks: ['normaliseValues'] });
    cleanups.push(() => emu.stop());
    emu.seed({ fields: [{ perstag: 'SCORE', type: 'number' }, { perstag: 'SEEN_AT', type: 'datetime' }, { perstag: 'TOPICS', type: 'checkbox' }] });
    const ws = await Workspace.create(emu);
    cleanups.push(() => ws.dispose());
    await ws.config([{ segment: 'seg.csv', fields: false, extra: '      fields:\n        SCORE: Score\n        SEEN_AT: Seen\n        TOPICS: Topics' }]);
    const segment = (score: string): Promise<string> =>
      ws.write('seg.csv', `Email,First,Last,Phone,Score,Seen,Topics\nana@contoso.example,Ana,Silva,,${score},2026-05-01T12:30:00.000Z,news||offers\n`);
    await segment('1.50');
    const applied = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(applied.exports[0]?.error).toBeUndefined();
    // AC's spelling, not ours.
    expect(Object.values((await listMembers(emu, 1))[0]!.fields).sort()).toEqual(['1.5', '2026-05-01T07:30:00-05:00', '||news||offers||']);
    const plan = await runExports(await ws.load(), { mode: 'plan', sink: () => {}, env: ws.env });
    expect(plan.changesPending).toBe(false);

    await segment('1.75');
    expect((await runExports(await ws.load(), { mode: 'plan', sink: () => {}, env: ws.env })).changesPending).toBe(true);
  });
});
