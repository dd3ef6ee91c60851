/**
 * The memory of refusals (engine/refusals/): what the planner makes of it, how an apply's outcome changes it, and
 * its file (atomic, versioned, ignored when unusable).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change, DesiredContact, ObservedContact } from '../../engine/model.ts';
import { computePlan } from '../../engine/plan.ts';
import { readRefusals, refusalsPath, writeRefusals } from '../../engine/refusals/file.ts';
import { memoryFingerprint, nextMemory, rowHash, type RememberedRefusal } from '../../engine/refusals/memory.ts';

const AT = '2026-12-03T10:00:00.000Z';
const want = (email: string, row: number, extra: Partial<DesiredContact> = {}): DesiredContact => ({ email, key: email.toLowerCase(), row, ...extra });
const bo = want('Bo@x.com', 2, { firstName: 'Bo', fields: { TIER: 'gold' } });
const refused = (d: DesiredContact, kind: RememberedRefusal['kind'] = 'refused'): RememberedRefusal => ({ kind, reason: 'invalid email address', at: AT, rowHash: rowHash(d) });
const plan = (desired: DesiredContact[], memory: Map<string, RememberedRefusal>, observed: ObservedContact[] = []) =>
  computePlan(desired, observed, { export: 'vip', connection: 'main', listId: '7', onLeave: 'keep', refusals: memory });

describe('the planner and remembered refusals', () => {
  it('an unchanged row is skipped with the reason and the date, and is no change', () => {
    const p = plan([bo], new Map([['bo@x.com', refused(bo)]]));
    expect(p.changes).toEqual([
      expect.objectContaining({ action: 'skip', key: 'bo@x.com', row: 2, reasonCode: 'refused-by-activecampaign', reason: expect.stringMatching(/^refused by ActiveCampaign on 2026-12-03: invalid email address/) }),
    ]);
    expect(p.counts.create).toBe(0);
  });

  it('a contact on the exclusion list says so', () => {
    const p = plan([bo], new Map([['bo@x.com', refused(bo, 'not-on-list-after-import')]]));
    expect(p.changes[0]).toMatchObject({ reasonCode: 'not-on-list-after-import', reason: expect.stringMatching(/^not on the list after import on 2026-12-03; ActiveCampaign may hold it on its exclusion list/) });
  });

  it.each([
    ['a changed value', want('Bo@x.com', 2, { firstName: 'Bob', fields: { TIER: 'gold' } })],
    ['a new custom field value', want('Bo@x.com', 2, { firstName: 'Bo', fields: { TIER: 'gold', CITY: 'Lyon' } })],
    ['the email spelt differently', want('bo@x.com', 2, { firstName: 'Bo', fields: { TIER: 'gold' } })],
  ])('%s plans it again', (_what, changed) => {
    expect(plan([changed], new Map([['bo@x.com', refused(bo)]])).changes[0]?.action).toBe('create');
  });

  it('the row number and the order of custom fields are not values', () => {
    const moved = want('Bo@x.com', 40, { fields: { TIER: 'gold' }, firstName: 'Bo' });
    expect(rowHash(moved)).toBe(rowHash(bo));
  });

  it('a contact on the list is planned as a member, whatever the memory says', () => {
    const p = plan([bo], new Map([['bo@x.com', refused(bo)]]), [
      { id: '1', email: 'bo@x.com', key: 'bo@x.com', listStatus: 1, managed: true, unsubscribedByAcsync: false, firstName: 'Bo', fields: { TIER: 'silver' } },
    ]);
    expect(p.changes.map((c) => c.action)).toEqual(['update']);
  });
});

describe('the memory after an apply', () => {
  const cy = want('cy@x.com', 3, { firstName: 'Cy' });
  const skipOf = (d: DesiredContact): Change => ({ action: 'skip', email: d.email, key: d.key, reasonCode: 'refused-by-activecampaign', reason: '…' });
  const createOf = (d: DesiredContact): Change => ({ action: 'create', email: d.email, key: d.key, row: d.row, after: { email: d.email, ...(d.firstName ? { firstName: d.firstName } : {}), ...(d.fields ? { fields: d.fields } : {}) } });
  const previous = new Map([
    ['bo@x.com', refused(bo)],
    ['cy@x.com', refused(cy)],
  ]);
  const LATER = '2026-12-04T08:00:00.000Z';

  it.each<[string, Change[], { refusals: Array<{ change: Change; kind: RememberedRefusal['kind']; reason: string }>; applied: string[] }, Record<string, string>]>([
    ['still skipped: kept as it was', [skipOf(bo), skipOf(cy)], { refusals: [], applied: [] }, { 'bo@x.com': AT, 'cy@x.com': AT }],
    ['sent again and applied: forgotten', [skipOf(bo), createOf(cy)], { refusals: [], applied: ['cy@x.com'] }, { 'bo@x.com': AT }],
    ['sent again and refused again: dated anew', [skipOf(bo), createOf(cy)], { refusals: [{ change: createOf(cy), kind: 'refused', reason: 'still bad' }], applied: [] }, { 'bo@x.com': AT, 'cy@x.com': LATER }],
    ['sent again, failed for another reason (or not sent): kept', [skipOf(bo), createOf(cy)], { refusals: [], applied: [] }, { 'bo@x.com': AT, 'cy@x.com': AT }],
    ['gone from the segment or on the list now: forgotten', [skipOf(bo)], { refusals: [], applied: [] }, { 'bo@x.com': AT }],
    ['a first refusal: remembered', [skipOf(bo), skipOf(cy), createOf(want('dee@x.com', 4))], { refusals: [{ change: createOf(want('dee@x.com', 4)), kind: 'not-on-list-after-import', reason: 'not on the list after import' }], applied: [] }, { 'bo@x.com': AT, 'cy@x.com': AT, 'dee@x.com': LATER }],
    ['a refused update is not remembered (a member is never planned as new)', [skipOf(bo), skipOf(cy)], { refusals: [{ change: { action: 'update', email: 'ed@x.com', key: 'ed@x.com' }, kind: 'refused', reason: 'bad phone' }], applied: [] }, { 'bo@x.com': AT, 'cy@x.com': AT }],
  ])('%s', (_rule, changes, outcome, expected) => {
    const next = nextMemory(previous, { changes }, { refusals: outcome.refusals, applied: new Set(outcome.applied) }, LATER);
    expect(Object.fromEntries([...next].map(([k, v]) => [k, v.at]))).toEqual(expected);
  });

  it('a new entry hashes the values sent, so the next plan of the same row skips it', () => {
    const change = createOf(cy);
    const next = nextMemory(new Map(), { changes: [change] }, { refusals: [{ change, kind: 'refused', reason: 'bad' }], applied: new Set() }, LATER);
    expect(plan([cy], next).changes[0]?.action).toBe('skip');
  });

  it('the fingerprint covers the entries the plan skipped, nothing else', () => {
    const changes = [skipOf(bo)];
    const base = memoryFingerprint(previous, { changes });
    expect(memoryFingerprint(new Map([['bo@x.com', refused(bo)]]), { changes })).toBe(base);
    expect(memoryFingerprint(new Map([['bo@x.com', { ...refused(bo), at: LATER }]]), { changes })).not.toBe(base);
  });
});

describe('the memory file', () => {
  let dir: string;
  const owner = { export: 'vip', hostname: 'acct.api-us1.com', listId: '7' };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-refusals-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips, mode 0600, and an empty memory removes the file', async () => {
    const file = refusalsPath(path.join(dir, 'refusals'), 'vip/customers');
    expect(path.basename(file)).toBe('vip_customers.json');
    const memory = new Map([['bo@x.com', refused(bo)]]);
    await writeRefusals(file, owner, memory);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readRefusals(file, owner)).memory).toEqual(memory);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ format: 'acsync-refusals', version: 1 });
    await writeRefusals(file, owner, new Map());
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readRefusals(file, owner)).toEqual({ memory: new Map() });
  });

  it('another list or account: empty, silently (the export was pointed elsewhere)', async () => {
    const file = path.join(dir, 'vip.json');
    await writeRefusals(file, owner, new Map([['bo@x.com', refused(bo)]]));
    expect(await readRefusals(file, { ...owner, listId: '8' })).toEqual({ memory: new Map() });
  });

  it.each([
    ['not JSON', '{"format":', /not valid JSON/],
    ['another format', '{"format":"acsync-plan","version":2}', /not an acsync refusals file/],
    ['a newer version', '{"format":"acsync-refusals","version":9}', /format version 9, this acsync reads 1/],
    ['a broken entry', JSON.stringify({ format: 'acsync-refusals', version: 1, ...owner, contacts: { 'bo@x.com': { kind: 'maybe' } } }), /entry 'bo@x.com' is not a refusal/],
  ])('%s: empty, with the problem to report', async (_what, text, problem) => {
    const file = path.join(dir, 'vip.json');
    await writeFile(file, text);
    const r = await readRefusals(file, owner);
    expect(r.memory.size).toBe(0);
    expect(r.problem).toMatch(problem);
  });
});
