/**
 * Issue 16 item 13: a run started right after another meets the account budget that run used. ActiveCampaign
 * counts 5 requests per second per account, whoever sends them (docs/activecampaign-api.md, "Rate limits"), so the
 * emulator here runs with that real limit, not the suite's scaled-up one, and the CLI with its real pacing.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, withEmulatorWorkspace } from '../helpers/workspace.ts';

const ctx = withEmulatorWorkspace({ rateLimit: 5, bulkPerMinute: 100, singleBulkPerMinute: 20 });
/** The CLI's pacing left at ActiveCampaign's real limits (the suite's workspaces scale them up). */
const REAL = { ACSYNC_RATE_LIMITS: '' };
const RATE_WARNING = /rate limited|retrying .*HTTP 429/;

async function segment(n: number): Promise<void> {
  await ctx.ws.write('seg.csv', csv(Array.from({ length: n }, (_, i) => [`p${i}@contoso.example`, `P${i}`] as [string, string])));
  await ctx.ws.config([{ segment: 'seg.csv', fields: false }]);
}

/**
 * Another client of the account (a run that has not quite finished, another integration): keeps the account's
 * per-second window full by sending a request whenever one fits, from now until `stop()`. It counts what it sent
 * and the 429s it got, so the test can tell them from the CLI's.
 */
function busyAccount(emulator: EmulatorHandle): { sent: () => number; refused: () => number; stop: () => Promise<void> } {
  let running = true;
  let sent = 0;
  let refused = 0;
  const loop = (async () => {
    while (running) {
      sent++;
      const res = await fetch(`${emulator.url}/api/3/lists/1`, { headers: { 'Api-Token': emulator.apiKey } });
      await res.arrayBuffer();
      if (res.status === 429) {
        refused++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  })();
  return {
    sent: () => sent,
    refused: () => refused,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Resolves once the emulator has seen a request that `busy` did not send: the CLI's first one. */
async function firstRequestOfTheRun(emulator: EmulatorHandle, busy: { sent: () => number }): Promise<void> {
  while (emulator.stats().requests <= busy.sent()) await new Promise((r) => setTimeout(r, 2));
}

describe('a run that starts on a budget used before it', () => {
  it('two runs back to back: the second prints no rate-limit warning and completes', async () => {
    const { ws } = ctx;
    await segment(30);
    const first = await ws.cli(['apply', '--auto-approve'], { env: REAL });
    expect(first.code, first.stderr).toBe(0);
    const second = await ws.cli(['plan', '--detailed-exitcode'], { env: REAL });
    // Exit 0 with -detailed-exitcode: planned, nothing left to change.
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(RATE_WARNING);
  });

  it('a 429 met at its start is waited out (Retry-After honoured) and counted apart, with no warning', async () => {
    const { ws, emulator } = ctx;
    await segment(30);
    const busy = busyAccount(emulator);
    const run = ws.cli(['apply', '--auto-approve', '--json'], { env: REAL });
    // The account's window stays full until the run's first request is in, then the other client stops.
    await firstRequestOfTheRun(emulator, busy);
    await busy.stop();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(RATE_WARNING);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; reason?: string; ms?: number; inherited?: boolean; status?: number });
    // The run was refused at its start (the emulator's 429s beyond the other client's), and said so only as data.
    const refusedRun = emulator.stats().rateLimited - busy.refused();
    expect(refusedRun).toBeGreaterThanOrEqual(1);
    const inherited = events.filter((e) => e.type === 'ratelimit:wait' && e.reason === 'inherited');
    expect(inherited.length).toBe(refusedRun);
    // Retry-After (whole seconds, at least 1) is honoured, not skipped.
    expect(inherited.every((e) => (e.ms ?? 0) >= 1_000)).toBe(true);
    expect(events.filter((e) => e.type === 'request:retry' && e.status === 429).every((e) => e.inherited === true)).toBe(true);
    expect(events.some((e) => e.type === 'ratelimit:wait' && e.reason === 'retry-after')).toBe(false);
    const result = events.find((e) => e.type === 'result') as unknown as { result: { ok: boolean } };
    expect(result.result.ok).toBe(true);
  });

  it('a run whose account is rate limited while it runs still shows the waiting honestly', async () => {
    const { ws, emulator } = ctx;
    await segment(30);
    const run = ws.cli(['apply', '--auto-approve'], { env: REAL });
    // Another integration starts using the account's whole budget once this run is under way.
    while (emulator.stats().requests < 3) await new Promise((r) => setTimeout(r, 2));
    const busy = busyAccount(emulator);
    // Until the run has met a 429 of its own, and a second more: an account kept full for the whole run could
    // starve it on a loaded machine, and the point is the report, not the siege.
    const theirs = (): number => emulator.stats().rateLimited - busy.refused();
    let settled = false;
    const siege = (async () => {
      while (theirs() === 0 && !settled) await new Promise((r) => setTimeout(r, 10));
      if (!settled) await new Promise((r) => setTimeout(r, 1_000));
      await busy.stop();
    })();
    const r = await run.finally(() => {
      settled = true;
    });
    await siege;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rate limited by ActiveCampaign on ac: waiting \d+(\.\d)?s \(retry-after\)/);
    expect(r.stderr).toMatch(/retrying \w+ \/api\/3\/\S+ \(HTTP 429\)/);
  });
});
