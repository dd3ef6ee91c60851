/**
 * The reliability suites under the emulator's quirks profile (emulator/quirks.ts): the fault scenario for a few
 * seeds, a SIGKILL trial, consent under the other reading of sdate, and values AC respells (issue 15 items 9, 11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { QUIRK_NAMES, type QuirkName } from '../../emulator/quirks.ts';
import { startEmulator } from '../../emulator/index.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { unsubscribedTag } from '../../engine/tags.ts';
import { csv, FAST_LIMITS, fastEmulator, listMembers, MovableClock, Workspace } from '../helpers/workspace.ts';
import { CRASH_MOMENTS, crashTrial } from './crash-trial.ts';
import { FAULT_QUIRKS as SUITE_QUIRKS, FAULT_QUIRKS_OFF as SUITE_OFF, runFaultScenario } from './fault-scenario.ts';

describe('the fault scenario under the quirks profile', { timeout: 90_000 }, () => {
  it.concurrent.each([201, 202, 203, 204])('seed %i: converges or names what did not make it; a rerun converges', async (seed) => {
    const emulator = await fastEmulator({ quirks: SUITE_QUIRKS });
    try {
      expect(emulator.quirks().length).toBe(QUIRK_NAMES.length - SUITE_OFF.length);
      const r = await runFaultScenario(seed, emulator);
      expect(r.problems).toEqual([]);
      expect(r.contactsChecked).toBeGreaterThanOrEqual(40);
      const byStatus = emulator.stats().byStatus;
      expect((byStatus['403'] ?? 0) + (byStatus['503'] ?? 0)).toBeGreaterThan(0);
    } finally {
      await emulator.stop();
    }
  });
});

describe('SIGKILL under the quirks profile', { timeout: 240_000 }, () => {
  it.each(CRASH_MOMENTS)('killed %s: the rerun converges, nothing lost or duplicated', async (name, killAt) => {
    const emulator = await fastEmulator({ quirks: SUITE_QUIRKS });
    try {
      const r = await crashTrial(emulator, 7 + CRASH_MOMENTS.findIndex((m) => m[0] === name), killAt, name);
      expect(r.problems).toEqual([]);
      expect(r.rerunExitCodes.at(-1)).toBe(0);
      expect(r.contactsChecked).toBeGreaterThan(600);
      // At most the one contact whose re-subscribe the kill cut in half stays unsubscribed (the safe side).
      expect(r.safeSideLosses.length).toBeLessThanOrEqual(1);
    } finally {
      await emulator.stop();
    }
  });
});

describe('consent when sdate moves on every status change (the other reading of sdate)', { timeout: 60_000 }, () => {
  const HOUR = 3600;
  const PEOPLE: Array<[string, string, string]> = [
    ['ana@contoso.example', 'Ana', 'Silva'],
    ['dan@contoso.example', 'Dan', 'Müller'],
  ];

  /** acsync subscribes Ana and Dan, unsubscribes Dan when he leaves the segment, and a day later he is back. */
  async function danComesBack(quirks: QuirkName[]): Promise<number> {
    const clock = new MovableClock();
    const emulator = await fastEmulator({ now: clock.now, quirks });
    const ws = await Workspace.create(emulator);
    try {
      await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
      const apply = async (rows: typeof PEOPLE): Promise<void> => {
        await ws.write('seg.csv', csv(rows));
        const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
        expect(r.exports[0]?.error).toBeUndefined();
      };
      await apply(PEOPLE);
      clock.advance(24 * HOUR);
      await apply(PEOPLE.slice(0, 1));
      const gone = (await listMembers(emulator, 1)).find((m) => m.email === 'dan@contoso.example')!;
      expect(gone).toMatchObject({ status: 2, tags: expect.arrayContaining([unsubscribedTag('1')]) });
      clock.advance(24 * HOUR);
      await apply(PEOPLE);
      return (await listMembers(emulator, 1)).find((m) => m.email === 'dan@contoso.example')!.status;
    } finally {
      await ws.dispose();
      await emulator.stop();
    }
  }

  it('the reference reading: acsync re-subscribes the contact it unsubscribed itself', async () => {
    expect(await danComesBack([])).toBe(1);
  });

  it('the other reading: acsync never re-subscribes (it cannot tell its unsubscribe was the latest)', async () => {
    expect(await danComesBack(['sdateOnEveryChange'])).toBe(2);
  });
});

describe('values AC respells (item 9)', { timeout: 60_000 }, () => {
  let emulator: EmulatorHandle;
  let ws: Workspace;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, apiKey: 'test-key-0123456789', seedLists: 3, ...FAST_LIMITS, quirks: ['normaliseValues'] });
    emulator.seed({ fields: [{ perstag: 'LOYALTY_TIER', type: 'date' }] });
    ws = await Workspace.create(emulator);
  });
  afterAll(async () => {
    await ws.dispose();
    await emulator.stop();
  });

  it('a phone and a date that come back in another form do not make every run re-send the contact', async () => {
    await ws.config([{ segment: 'seg.csv' }]);
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva', '+1 (555) 010-0000', '2026-05-01']]));
    const config = await ws.load();
    const applied = await runExports(config, { mode: 'apply', sink: () => {}, env: ws.env });
    expect(applied.exports[0]?.error).toBeUndefined();
    const ana = (await listMembers(emulator, 1))[0]!;
    // AC's spelling, not ours.
    expect(ana.phone).toBe('+15550100000');
    expect(Object.values(ana.fields)).toEqual(['2026-05-01 00:00:00']);
    const plan = await runExports(config, { mode: 'plan', sink: () => {}, env: ws.env });
    expect(plan.changesPending).toBe(false);
  });

  it('a real change still is one', async () => {
    await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva', '+1 (555) 010-0001', '2026-05-01']]));
    const plan = await runExports(await ws.load(), { mode: 'plan', sink: () => {}, env: ws.env });
    expect(plan.changesPending).toBe(true);
  });
});

describe('item 2: with excludeAutomations, small changes go by bulk import too', { timeout: 60_000 }, () => {
  it.each([
    [false, 'POST /api/3/contact/sync'],
    [true, 'POST /api/3/import/bulk_import'],
  ] as const)('excludeAutomations %s: two new contacts are sent with %s', async (exclude, endpoint) => {
    const emulator = await fastEmulator();
    const ws = await Workspace.create(emulator);
    try {
      await ws.config([{ segment: 'seg.csv', ...(exclude ? { extra: '    excludeAutomations: true' } : {}) }]);
      await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana'], ['ben@contoso.example', 'Ben']]));
      const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
      expect(r.exports[0]?.error).toBeUndefined();
      const used = emulator.stats().byEndpoint;
      expect(used[endpoint]).toBeGreaterThan(0);
      if (exclude) expect(used['POST /api/3/contact/sync'] ?? 0).toBe(0);
      expect((await listMembers(emulator, 1)).map((m) => m.status)).toEqual([1, 1]);
    } finally {
      await ws.dispose();
      await emulator.stop();
    }
  });
});

describe('item 8: contacts AC skips without a word', { timeout: 60_000 }, () => {
  it('an address on the exclusion list is reported "not on the list after import", the rest land', async () => {
    const emulator = await fastEmulator({ quirks: ['exclusionList'] });
    const ws = await Workspace.create(emulator);
    try {
      await ws.config([{ segment: 'seg.csv' }]);
      const rows: Array<[string, string]> = Array.from({ length: 8 }, (_, i) => [`p${i}@contoso.example`, `P${i}`]);
      rows.splice(3, 0, ['excluded.bo@contoso.example', 'Bo']);
      await ws.write('seg.csv', csv(rows));
      const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
      const e = r.exports[0]!;
      expect(e.failures).toEqual([{ email: 'excluded.bo@contoso.example', action: 'create', reason: expect.stringMatching(/^not on the list after import: .*exclusion list/) }]);
      expect(e.applied).toBe(8);
      expect((await listMembers(emulator, 1)).map((m) => m.email)).not.toContain('excluded.bo@contoso.example');
    } finally {
      await ws.dispose();
      await emulator.stop();
    }
  });
});
