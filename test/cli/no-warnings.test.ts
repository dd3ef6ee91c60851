/**
 * A large apply prints no Node warnings (issue 16, item 6): one AbortSignal is listened to by every batch, poll
 * and request of the run at once, which Node reported as "MaxListenersExceededWarning: Possible EventTarget
 * memory leak detected. 11 abort listeners". The real CLI in CI mode against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, Workspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

// ActiveCampaign's real limits: then most batches wait for the account's budget at once, and each wait listens
// to the run's signal (at scaled-up limits they rarely wait, and the warning never showed).
const LIMITS = { rateLimit: 5, bulkPerMinute: 100, singleBulkPerMinute: 20, bulkDelayMs: 500 };

beforeAll(async () => {
  emulator = await fastEmulator(LIMITS);
  ws = await Workspace.create(emulator);
});
afterAll(async () => {
  await ws.dispose();
  await emulator.stop();
});

describe('a large apply', { timeout: 120_000 }, () => {
  it('prints no MaxListenersExceededWarning (nor any other Node warning)', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => [`p${i}@contoso.example`, `P${i}`] as [string, string]);
    await ws.write('seg.csv', csv(rows));
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await ws.cli(['apply', '--auto-approve'], { env: { ACSYNC_RATE_LIMITS: 'rps=5,bulk=100,single=20' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/5,?000 applied, 0 failed/);
    expect(r.stderr).not.toMatch(/Warning/);
  });
});
