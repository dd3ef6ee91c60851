/**
 * The safety guards of apply: a broken upstream job (an empty or truncated segment file) looks exactly like a
 * mass unsubscribe, so apply refuses, before any write, unless told --allow-mass-unsubscribe.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { RunResult } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { managedTag } from '../../engine/tags.ts';
import { csv, listMembers, unwrapped, type Workspace, type ExportSpec, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { runCliInProcess } from '../helpers/cli.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

const MANAGED = 40;
const people = (n: number, tier = 'Gold'): Array<[string, string, string, string, string]> =>
  Array.from({ length: n }, (_, i) => [`g${i}@acsync-guard.example`, `G${i}`, 'Lee', '', tier]);

/** A list acsync synced last time: MANAGED contacts carrying its managed tag. */
function seedSynced(listId = '1'): void {
  emulator.seed({
    contacts: people(MANAGED).map(([email, first]) => ({ email, firstName: first, lastName: 'Lee', fields: { LOYALTY_TIER: 'Gold' }, lists: { [listId]: 1 }, tags: [managedTag(listId)] })),
  });
}

const writes = (): number => {
  const s = emulator.stats().byEndpoint;
  return Object.entries(s).filter(([k]) => !k.startsWith('GET ')).reduce((n, [, v]) => n + v, 0);
};

async function apply(allowMassUnsubscribe = false): Promise<RunResult> {
  return runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env, allowMassUnsubscribe });
}

interface GuardCase {
  name: string;
  /** Rows of the new segment (CSV body; the header is always there). */
  rows: Array<[string, string, string, string, string]>;
  spec?: Partial<ExportSpec>;
  /** The refusal's wording, or undefined when apply must go ahead. */
  refused?: RegExp;
}

const CASES: GuardCase[] = [
  { name: '4 of 40 leave (10%, the default maxUnsubscribe): allowed', rows: people(MANAGED).slice(4) },
  { name: '5 of 40 leave (12.5%) over the default 10%: refused', rows: people(MANAGED).slice(5), refused: /would unsubscribe 5 of 40 managed contacts \(12\.5%\), more than maxUnsubscribe 10%/ },
  { name: 'maxUnsubscribe 0.25 lets 10 of 40 leave', rows: people(MANAGED).slice(10), spec: { extra: '    maxUnsubscribe: 0.25' } },
  { name: 'an empty segment (header only): refused', rows: [], spec: { extra: '    maxUnsubscribe: 1' }, refused: /the segment is empty but 40 contacts on list 1 came from it/ },
  { name: 'a segment shrunk to 19 of 40 (under half): refused even with maxUnsubscribe 1', rows: people(19), spec: { extra: '    maxUnsubscribe: 1' }, refused: /the segment has 19 contacts, less than half of the 40 acsync last synced to list 1/ },
  { name: 'shrunk under half with onLeave keep but other changes pending: refused', rows: people(15, 'Silver'), spec: { onLeave: 'keep' }, refused: /less than half/ },
  { name: 'a segment of exactly half (20 of 40) with maxUnsubscribe 0.5: allowed', rows: people(20), spec: { extra: '    maxUnsubscribe: 0.5' } },
];

describe('safety guards (runExports)', () => {
  it.each(CASES)('$name', async ({ rows, spec, refused }) => {
    seedSynced();
    await ws.write('seg.csv', csv(rows));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', ...spec }]);
    const before = writes();
    const r = await apply();
    if (refused === undefined) {
      expect(r.exports[0]!.error).toBeUndefined();
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    expect(r.exports[0]!.error!.message).toMatch(refused);
    expect(r.exports[0]!.error!.hint).toMatch(/nothing was applied.*--allow-mass-unsubscribe.*upstream job/);
    // Refused before any write: not one request that changes something.
    expect(writes()).toBe(before);
    expect((await listMembers(emulator, 1)).filter((m) => m.status === 1)).toHaveLength(MANAGED);

    // allowMassUnsubscribe overrides, and then the list follows the segment.
    const forced = await apply(true);
    expect(forced.ok).toBe(true);
    const active = (await listMembers(emulator, 1)).filter((m) => m.status === 1).map((m) => m.email);
    const wanted = spec?.onLeave === 'keep' ? MANAGED : rows.length;
    expect(active).toHaveLength(wanted);
  });

  it('a refused export does not stop the others of the run', async () => {
    seedSynced('1');
    await ws.write('empty.csv', csv([]));
    await ws.write('fine.csv', csv([['fine@acsync-guard.example', 'Fine']]));
    await ws.config([
      { name: 'broken', segment: 'empty.csv', listId: 1, onLeave: 'unsubscribe' },
      { name: 'fine', segment: 'fine.csv', listId: 2 },
    ]);
    const r = await apply();
    expect(r.ok).toBe(false);
    expect(r.exports.find((e) => e.export === 'broken')!.error!.message).toMatch(/segment is empty/);
    expect(r.exports.find((e) => e.export === 'fine')).toMatchObject({ applied: 1, failed: 0 });
    expect((await listMembers(emulator, 1)).filter((m) => m.status === 1)).toHaveLength(MANAGED);
  });
});

describe('safety guards (CLI)', { timeout: 30_000 }, () => {
  it('apply refuses with exit 1 and the reason; --allow-mass-unsubscribe applies', async () => {
    seedSynced();
    await ws.write('seg.csv', csv(people(10)));
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe' }]);
    const run = async (args: string[]): Promise<{ code: number; out: string }> => {
      const r = await runCliInProcess(args, { cwd: ws.dir, env: { ...ws.env, CI: 'true', NO_COLOR: '1' } });
      return { code: r.code, out: r.stdout + r.stderr };
    };
    const before = writes();
    const refused = await run(['apply', '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(unwrapped(refused.out)).toMatch(/would unsubscribe 30 of 40 managed contacts \(75%\)/);
    expect(unwrapped(refused.out)).toMatch(/less than half/);
    expect(refused.out).toContain('--allow-mass-unsubscribe');
    expect(writes()).toBe(before);

    const forced = await run(['apply', '--auto-approve', '--allow-mass-unsubscribe']);
    expect(forced.code).toBe(0);
    expect((await listMembers(emulator, 1)).filter((m) => m.status === 1)).toHaveLength(10);
  });
});
