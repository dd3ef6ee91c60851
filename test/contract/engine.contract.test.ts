/**
 * Contract tests: the engine's integration scenarios against a real ActiveCampaign account (see
 * docs/contract-tests.md), or against the bundled emulator when no account is configured. Whatever passes on the
 * emulator and fails on a real account is a fidelity bug of the emulator: please report it with the output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { managedTag, unsubscribedTag } from '../../engine/tags.ts';
import { ContractAccount, contractTarget, emulatorTarget, realAccountSkipReason, type ContractTarget } from './account.ts';
import type { QuirksOption } from '../../emulator/quirks.ts';
import { FAULT_QUIRKS } from '../reliability/fault-scenario.ts';

/** A real account answers at 5 requests/second and imports in seconds: scenarios get minutes, not seconds. */
const TIMEOUT_MS = realAccountSkipReason() === undefined ? 300_000 : 30_000;

let target: ContractTarget;
let account: ContractAccount;
let dir: string;
let perstag: string | undefined;

/**
 * The quirks the contract scenarios run under: the fault scenario's profile (test/reliability/fault-scenario.ts)
 * without the read quirks, which would trip this file's own raw-API observer (ContractAccount, written for real
 * accounts, not for a flaky 403 or a short page): acsync's reads under those quirks converge in the fault scenario,
 * which observes the emulator from inside.
 */
const CONTRACT_QUIRKS: QuirksOption = Object.fromEntries(
  Object.entries(FAULT_QUIRKS).filter(([q]) => !['intermittent403', 'emptyBodies', 'shortPages', 'fieldsDefault20', 'largeSideloads', 'sideloadBytesPerContact'].includes(q)),
);

/**
 * Against a real account, that account. Without one, the emulator twice: its reference profile, and with the
 * quirks above: the same scenarios must converge whichever way ActiveCampaign really behaves (issue 15 item 11).
 */
const TARGETS: Array<[string, () => Promise<ContractTarget>]> =
  realAccountSkipReason() === undefined
    ? [['real ActiveCampaign account', () => contractTarget()]]
    : [
        [`emulator: ${realAccountSkipReason()}`, () => contractTarget()],
        ['emulator, quirks profile', () => emulatorTarget(undefined, CONTRACT_QUIRKS)],
      ];

interface Scenario {
  listId: string;
  write(rows: Array<[email: string, first?: string, last?: string, tier?: string]>): Promise<void>;
  run(mode: 'plan' | 'apply', extraEnv?: NodeJS.ProcessEnv): Promise<RunResult>;
  plan(): Promise<ExportPlan>;
}

/** One list, one field, one config and segment file for a scenario. */
async function scenario(name: string, options: { onLeave?: 'keep' | 'unsubscribe'; maxUnsubscribe?: number; listId?: string } = {}): Promise<Scenario> {
  const listId = options.listId ?? (await account.createList(name));
  if (perstag === undefined) perstag = await account.createField(listId);
  else if (options.listId === undefined) await account.call('POST', '/fieldRels', { fieldRel: { field: await fieldId(perstag), relid: listId } });
  const sdir = await mkdtemp(path.join(dir, `${name}-`));
  const config = path.join(sdir, 'acsync.yaml');
  await writeFile(
    config,
    [
      'version: 1',
      'roles:',
      '  admins: [ana@contoso.example]',
      'connections:',
      '  ac:',
      '    type: activecampaign',
      '    displayName: Contract account',
      `    hostname: ${target.hostname}`,
      '    apiKey: ${ACSYNC_CONTRACT_KEY}',
      '    dataPrivacyConsent: true',
      '    exportUser: ana@contoso.example',
      'exports:',
      `  ${name}:`,
      '    connection: ac',
      '    owner: ana@contoso.example',
      '    segment: seg.csv',
      `    listId: ${listId}`,
      `    onLeave: ${options.onLeave ?? 'keep'}`,
      `    maxUnsubscribe: ${options.maxUnsubscribe ?? 0.1}`,
      '    mapping:',
      '      email: Email',
      '      firstName: First',
      '      lastName: Last',
      '      fields:',
      `        ${perstag}: Tier`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, ...target.env, ACSYNC_CONTRACT_KEY: target.apiKey, ACSYNC_REFRESH: 'full' };
  const s: Scenario = {
    listId,
    async write(rows) {
      const quote = (v: string | undefined) => (v === undefined ? '' : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      await writeFile(path.join(sdir, 'seg.csv'), ['Email,First,Last,Tier', ...rows.map((r) => [r[0], r[1], r[2], r[3]].map(quote).join(','))].join('\n') + '\n');
    },
    async run(mode, extraEnv = {}) {
      const loaded = await loadConfig(config, { cwd: sdir });
      if (loaded.config === undefined) throw new Error(`contract config invalid: ${JSON.stringify(loaded.diagnostics)}`);
      return runExports(loaded.config, { mode, sink: () => {}, env: { ...env, ...extraEnv } });
    },
    async plan() {
      const r = await s.run('plan');
      expect(r.exports[0]?.error).toBeUndefined();
      return r.exports[0]!.plan!;
    },
  };
  return s;
}

async function fieldId(tag: string): Promise<string> {
  const r = await account.call('GET', '/fields?limit=100');
  const f = ((r.json['fields'] as Array<Record<string, unknown>> | undefined) ?? []).find((x) => x['perstag'] === tag);
  if (f === undefined) throw new Error(`contract: no field ${tag}`);
  return String(f['id']);
}

const lower = (s: string): string => s.toLowerCase();
/** The custom field the scenarios map (made by the first scenario of each target). */
const tag = (): string => {
  if (perstag === undefined) throw new Error('contract: no field made yet');
  return perstag;
};

describe.each(TARGETS)('engine contract (%s)', { timeout: TIMEOUT_MS }, (_label, makeTarget) => {
beforeAll(async () => {
    target = await makeTarget();
    perstag = undefined;
    account = new ContractAccount(target);
    dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-contract-'));
  }, TIMEOUT_MS);
  
  afterAll(async () => {
    try {
      const left = account === undefined ? [] : await account.cleanup();
      // The emulator has no DELETE for lists, tags and fields; it is thrown away anyway.
      if (target?.kind === 'activecampaign') expect(left, 'left behind in the account').toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await target?.stop();
    }
  }, TIMEOUT_MS);

  beforeEach(() => {
    target.emulator?.setFaults(undefined);
  });

  it('first export through bulk import: creates, skips invalid and duplicate rows, then converges', async () => {
    const s = await scenario('first');
    const people = Array.from({ length: 8 }, (_, i) => [account.email(`first${i}`), `F${i}`, 'Lee', i % 2 === 0 ? 'Gold' : 'Silver'] as [string, string, string, string]);
    await s.write([...people, ['not-an-email', 'Bad'], [people[0]![0].toUpperCase(), 'Dup']]);
    const plan = await s.plan();
    expect(plan.counts).toMatchObject({ create: 8, skip: 2 });
    const applied = await s.run('apply');
    expect(applied.exports[0]?.error).toBeUndefined();
    expect(applied.exports[0]).toMatchObject({ applied: 8, failed: 0 });
    const members = await account.members(s.listId);
    expect(members.map((m) => lower(m.email)).sort()).toEqual(people.map((p) => lower(p[0])).sort());
    for (const m of members) {
      const p = people.find((x) => lower(x[0]) === lower(m.email))!;
      expect(m).toMatchObject({ firstName: p[1], lastName: 'Lee', status: 1 });
      expect(m.fields[tag()]).toBe(p[3]);
      expect(m.tags).toContain(managedTag(s.listId));
    }
    expect((await s.run('plan')).changesPending).toBe(false);
  });

  it('a handful of changes one contact at a time; empty values never erase', async () => {
    const s = await scenario('small');
    const a = account.email('small-a');
    const b = account.email('small-b');
    await s.write([[a, 'Ana', 'Silva', 'Gold'], [b, 'Ben', 'Okafor', 'Silver']]);
    expect((await s.run('apply')).ok).toBe(true);
    await s.write([[a, 'Ana', 'Silva-Costa', 'Platinum'], [b, '', '', '']]);
    const plan = await s.plan();
    expect(plan.counts).toMatchObject({ update: 1, noop: 1 });
    expect(plan.changes.find((c) => c.action === 'update')!.fieldChanges).toEqual([
      { field: 'lastName', before: 'Silva', after: 'Silva-Costa' },
      { field: perstag, before: 'Gold', after: 'Platinum' },
    ]);
    expect((await s.run('apply')).ok).toBe(true);
    const members = await account.members(s.listId);
    expect(members.find((m) => lower(m.email) === lower(a))).toMatchObject({ lastName: 'Silva-Costa', fields: { [tag()]: 'Platinum' } });
    expect(members.find((m) => lower(m.email) === lower(b))).toMatchObject({ firstName: 'Ben', lastName: 'Okafor', fields: { [tag()]: 'Silver' } });
    expect((await s.run('plan')).changesPending).toBe(false);
  });

  it('onLeave unsubscribe: only what acsync subscribed; a hand-added contact stays; the leaver can come back', async () => {
    const s = await scenario('leave', { onLeave: 'unsubscribe', maxUnsubscribe: 0.5 });
    const rows = Array.from({ length: 7 }, (_, i) => [account.email(`leave${i}`), `L${i}`, 'Kim', 'Gold'] as [string, string, string, string]);
    await s.write(rows);
    expect((await s.run('apply')).ok).toBe(true);
    await target.pass(3600);
    const hand = account.email('hand');
    await account.addByHand(hand, s.listId);

    await s.write(rows.slice(1));
    const plan = await s.plan();
    expect(plan.counts.unsubscribe).toBe(1);
    expect(plan.changes.find((c) => c.email === hand)).toMatchObject({ action: 'skip', reasonCode: 'not-managed' });
    expect((await s.run('apply')).ok).toBe(true);
    let members = await account.members(s.listId);
    const left = members.find((m) => lower(m.email) === lower(rows[0]![0]))!;
    expect(left.status).toBe(2);
    expect(left.tags).toContain(unsubscribedTag(s.listId));
    expect(members.find((m) => lower(m.email) === lower(hand))!.status).toBe(1);
    expect((await s.run('plan')).changesPending).toBe(false);

    await target.pass(3600);
    await s.write(rows);
    expect((await s.plan()).counts.resubscribe).toBe(1);
    expect((await s.run('apply')).ok).toBe(true);
    members = await account.members(s.listId);
    const back = members.find((m) => lower(m.email) === lower(rows[0]![0]))!;
    expect(back.status).toBe(1);
    expect(back.tags).not.toContain(unsubscribedTag(s.listId));
    expect((await s.run('plan')).changesPending).toBe(false);
  });

  it('never re-subscribes someone who unsubscribed themselves', async () => {
    const s = await scenario('optout');
    const rows = Array.from({ length: 6 }, (_, i) => [account.email(`opt${i}`), `O${i}`, 'Ng', 'Gold'] as [string, string, string, string]);
    await s.write(rows);
    expect((await s.run('apply')).ok).toBe(true);
    await account.unsubscribeAsPerson(rows[2]![0], s.listId);
    const plan = await s.plan();
    expect(plan.changes.find((c) => lower(c.email) === lower(rows[2]![0]))).toMatchObject({ action: 'skip', reasonCode: 'unsubscribed-in-activecampaign' });
    // A change of their fields must not bring them back either (a bulk import with `subscribe` would not, by AC's rule).
    await s.write(rows.map((r) => [r[0], r[1], r[2], 'Silver'] as [string, string, string, string]));
    expect((await s.run('apply')).ok).toBe(true);
    const members = await account.members(s.listId);
    expect(members.find((m) => lower(m.email) === lower(rows[2]![0]))!.status).toBe(2);
  });

  it('never re-subscribes someone acsync unsubscribed who then re-subscribed and unsubscribed themselves', async () => {
    const s = await scenario('again', { onLeave: 'unsubscribe', maxUnsubscribe: 0.5 });
    const rows = Array.from({ length: 4 }, (_, i) => [account.email(`again${i}`), `A${i}`, 'Roy', 'Gold'] as [string, string, string, string]);
    const person = rows[0]![0];
    await s.write(rows);
    expect((await s.run('apply')).ok).toBe(true);
    await target.pass(3600);
    await s.write(rows.slice(1));
    expect((await s.run('apply')).ok).toBe(true); // acsync unsubscribes (and tags) them
    await target.pass(3600);
    await account.subscribeAsPerson(person, s.listId);
    await target.pass(3600);
    await account.unsubscribeAsPerson(person, s.listId);
    await target.pass(3600);
    await s.write(rows);
    expect((await s.plan()).changes.find((c) => lower(c.email) === lower(person))).toMatchObject({ action: 'skip', reasonCode: 'unsubscribed-in-activecampaign' });
    expect((await s.run('apply')).ok).toBe(true);
    expect((await account.members(s.listId)).find((m) => lower(m.email) === lower(person))!.status).toBe(2);
  });

  it('a wrong key (403) and a missing list (404) are named, before any write', async () => {
    const s = await scenario('refusals');
    const email = account.email('refused');
    await s.write([[email, 'R']]);
    const wrongKey = await s.run('apply', { ACSYNC_CONTRACT_KEY: 'acsync-contract-wrong-key-000' });
    expect(wrongKey.exports[0]!.error!.message).toMatch(/rejected the API key of connection 'ac' \(403\)/);
    expect(JSON.stringify(wrongKey)).not.toContain('acsync-contract-wrong-key-000');

    const missing = await scenario('missing', { listId: '987654321' });
    await missing.write([[email, 'R']]);
    const noList = await missing.run('apply');
    expect(noList.exports[0]!.error!.message).toMatch(/no list with id 987654321 in the account of connection 'ac'/);
    expect(await account.contactId(email)).toBeUndefined();
  });
});
