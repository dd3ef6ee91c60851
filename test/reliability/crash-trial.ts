/**
 * One crash trial: a real `acsync apply --auto-approve` subprocess killed with SIGKILL at a chosen moment, then
 * `acsync apply` again until it succeeds, then a check that the list is exactly the segment: nothing lost, nothing
 * duplicated, no opt-out re-subscribed. Used by test/reliability/crash.test.ts (a few trials) and bench/crash.ts
 * (many). The emulator runs in the calling process, so it outlives every kill, as ActiveCampaign would.
 */
import { fileURLToPath } from 'node:url';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { managedTag, unsubscribedTag } from '../../engine/tags.ts';
import { csv, type SignalAt, type SignalledRun, Workspace } from '../helpers/workspace.ts';

export const BIN = fileURLToPath(new URL('../../bin/acsync.js', import.meta.url));
const LIST = '1';
/** Reruns allowed after the kill; one should do, the second absorbs a rerun that itself met a slow batch. */
const MAX_RERUNS = 3;

/**
 * Limits of the crash emulator: slow enough that an apply of CRASH_NEW contacts lasts a few seconds (so a kill lands
 * inside it), fast enough for a test. The client is told the same limits (ACSYNC_RATE_LIMITS).
 */
export const CRASH_LIMITS = { rateLimit: 40, bulkPerMinute: 600, singleBulkPerMinute: 600, bulkDelayMs: 400 };
export const CRASH_ENV_LIMITS = 'rps=40,bulk=600,single=600';
/** Newcomers per trial: three bulk batches of up to 250. */
export const CRASH_NEW = 600;

export interface CrashOutcome {
  /** The kill moment: ms after spawning, or the name of the condition. */
  killAt: string;
  /** False when the apply had already finished before the kill (the trial still checks convergence). */
  killedWhileRunning: boolean;
  /** Bulk imports the emulator had received when the process died. */
  bulkImportsBeforeKill: number;
  rerunExitCodes: number[];
  contactsChecked: number;
  /**
   * Returning contacts left unsubscribed without acsync's tag: the kill fell between detaching the tag and
   * re-subscribing. acsync then treats them as people who opted out (the safe side) and never re-subscribes them.
   */
  safeSideLosses: string[];
  problems: string[];
}

interface StateContact {
  email: string;
  firstName: string;
  lists: Record<string, number>;
  fields: Record<string, string>;
  tags: string[];
}

/** When to send SIGKILL: this long after spawning, or as soon as a condition on the emulator holds (checked every 2 ms). */
export type KillAt = SignalAt;

/** The telling moments to kill an apply at (test/reliability/crash.test.ts, and under quirks in quirks.test.ts). */
export const CRASH_MOMENTS: Array<[string, KillAt]> = [
  ['while planning (the list was being read)', (e) => (e.stats().byEndpoint['GET /api/3/contacts'] ?? 0) > 0],
  ["right after a re-subscribe detached acsync's tag", (e) => (e.stats().byEndpoint['DELETE /api/3/contactTags/{id}'] ?? 0) > 0],
  ['as soon as the first bulk import arrived', (e) => (e.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0) >= 1],
];

/** Runs `acsync ...` in the workspace at the crash limits, optionally killing it (see KillAt). */
export async function runCli(ws: Workspace, args: string[], opts: { killAt?: KillAt; env?: NodeJS.ProcessEnv } = {}): Promise<SignalledRun & { exitedBeforeKill: boolean }> {
  const r = await ws.cliWithSignal(args, { signal: 'SIGKILL', ...(opts.killAt !== undefined ? { at: opts.killAt } : {}), env: { ACSYNC_RATE_LIMITS: CRASH_ENV_LIMITS, ...opts.env } });
  return { ...r, exitedBeforeKill: r.signal !== 'SIGKILL' };
}

/** Seeds an account acsync synced before, writes a segment that changes it in every way, and returns the expectations. */
export async function prepareCrashWorkspace(emulator: EmulatorHandle, trial: number): Promise<{ ws: Workspace; expect: Expectations }> {
  emulator.reset();
  emulator.setFaults(undefined);
  emulator.setLimits(CRASH_LIMITS);
  const ws = await Workspace.create(emulator);
  const base = Array.from({ length: 60 }, (_, i) => `t${trial}-old${i}@acsync-crash.example`);
  emulator.seed({
    contacts: base.map((email, i) => ({ email, firstName: `Old${i}`, fields: { LOYALTY_TIER: 'Gold' }, lists: { [LIST]: 1 }, tags: [managedTag(LIST)] })),
  });
  const optedOut = base.slice(0, 2);
  for (const e of optedOut) emulator.marketer.unsubscribe({ email: e }, LIST);
  const returning = [0, 1, 2].map((i) => `t${trial}-back${i}@acsync-crash.example`);
  emulator.seed({ contacts: returning.map((email) => ({ email, firstName: 'Back', lists: { [LIST]: 2 }, tags: [managedTag(LIST), unsubscribedTag(LIST)] })) });

  const leaving = base.slice(2, 8);
  const staying = base.slice(8);
  const rows: Array<[string, string, string, string, string]> = [
    ...optedOut.map((e): [string, string, string, string, string] => [e, 'Opted', 'Out', '', 'Gold']),
    ...staying.map((e, i): [string, string, string, string, string] => [e, `Old${i + 8}`, '', '', i % 3 === 0 ? 'Silver' : 'Gold']),
    ...returning.map((e): [string, string, string, string, string] => [e, 'Back', 'Again', '', 'Bronze']),
    ...Array.from({ length: CRASH_NEW }, (_, i): [string, string, string, string, string] => [`t${trial}-new${i}@acsync-crash.example`, `New${i}`, 'Kim', '', 'Bronze']),
  ];
  await ws.write('seg.csv', csv(rows));
  await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 0.5' }]);
  return { ws, expect: { rows, optedOut, leaving, returning } };
}

interface Expectations {
  rows: Array<[string, string, string, string, string]>;
  optedOut: string[];
  leaving: string[];
  returning: string[];
}

/** Kills an apply at `killAtMs`, reruns until success, and checks the list against the segment. */
export async function crashTrial(emulator: EmulatorHandle, trial: number, killAt: KillAt, killAtName = String(killAt)): Promise<CrashOutcome> {
  const { ws, expect: ex } = await prepareCrashWorkspace(emulator, trial);
  const problems: string[] = [];
  const out: CrashOutcome = { killAt: typeof killAt === 'number' ? `${killAt} ms` : killAtName, killedWhileRunning: false, bulkImportsBeforeKill: 0, rerunExitCodes: [], contactsChecked: 0, safeSideLosses: [], problems };
  try {
    const killed = await runCli(ws, ['apply', '--auto-approve'], { killAt });
    out.killedWhileRunning = !killed.exitedBeforeKill;
    out.bulkImportsBeforeKill = emulator.stats().byEndpoint['POST /api/3/import/bulk_import'] ?? 0;
    if (killed.exitedBeforeKill && killed.code !== 0) problems.push(`the first apply exited ${String(killed.code)} before the kill: ${killed.stderr.slice(-500)}`);

    for (let i = 0; i < MAX_RERUNS; i++) {
      const again = await runCli(ws, ['apply', '--auto-approve']);
      out.rerunExitCodes.push(again.code ?? -1);
      if (again.code === 0) break;
      if (i === MAX_RERUNS - 1) problems.push(`rerun ${i + 1} exited ${String(again.code)}: ${again.stderr.slice(-800)}`);
    }

    const config = await ws.load();
    const plan = await runExports(config, { mode: 'plan', sink: () => {}, env: { ...ws.env, ACSYNC_RATE_LIMITS: CRASH_ENV_LIMITS } });
    if (plan.changesPending) problems.push(`a plan after the reruns still has changes: ${JSON.stringify(plan.exports[0]?.plan?.counts ?? plan.exports[0]?.error)}`);

    const contacts = (emulator.state() as { contacts: StateContact[] }).contacts;
    const byEmail = new Map<string, StateContact>();
    for (const c of contacts) {
      const k = c.email.toLowerCase();
      if (byEmail.has(k)) problems.push(`duplicated: ${k}`);
      byEmail.set(k, c);
    }
    for (const [email, first, , , tier] of ex.rows) {
      out.contactsChecked++;
      const c = byEmail.get(email);
      if (ex.optedOut.includes(email)) {
        if (c?.lists[LIST] !== 2) problems.push(`${email} opted out but has status ${String(c?.lists[LIST])}`);
        continue;
      }
      if (ex.returning.includes(email) && c?.lists[LIST] === 2 && !c.tags.includes(unsubscribedTag(LIST))) {
        out.safeSideLosses.push(email);
        continue;
      }
      if (c === undefined) problems.push(`lost: ${email}`);
      else if (c.lists[LIST] !== 1) problems.push(`${email} has status ${String(c.lists[LIST])}, expected 1`);
      else if (c.fields['LOYALTY_TIER'] !== tier || c.firstName !== first) problems.push(`${email} has ${c.firstName}/${String(c.fields['LOYALTY_TIER'])}, expected ${first}/${tier}`);
      else if (!c.tags.includes(managedTag(LIST))) problems.push(`${email} lacks the managed tag`);
    }
    for (const email of ex.leaving) {
      out.contactsChecked++;
      const c = byEmail.get(email);
      if (c?.lists[LIST] !== 2 || !c.tags.includes(unsubscribedTag(LIST))) problems.push(`${email} left the segment but is not unsubscribed by acsync`);
    }
    const active = contacts.filter((c) => c.lists[LIST] === 1).length;
    const expected = ex.rows.length - ex.optedOut.length - out.safeSideLosses.length;
    if (active !== expected) problems.push(`list has ${active} active members, expected ${expected}`);
  } finally {
    await ws.dispose();
  }
  return out;
}

