/**
 * The client against the real emulator over loopback: paging with sideloads, auth and not-found errors, bulk
 * import to completion, retries through injected faults, and one budget shared by two clients of one account.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.ts';
import type { AcListMember } from '../../engine/activecampaign/api.ts';
import { createActiveCampaignClient, type ActiveCampaignClient, type ActiveCampaignClientOptions } from '../../engine/activecampaign/client.ts';
import { AuthError, BulkValidationError, NotFoundError } from '../../engine/activecampaign/errors.ts';
import { getAccountBudget, RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { waitForBatch } from '../../engine/activecampaign/wait-for-batch.ts';
import type { EngineEvent } from '../../engine/events.ts';

const FAST = { requestsPerSecond: 1_000, bulkPerMinute: 10_000, bulkSinglePerMinute: 10_000 };

const clients: ActiveCampaignClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function clientFor(emu: EmulatorHandle, extra: Partial<ActiveCampaignClientOptions> = {}): ActiveCampaignClient {
  const c = createActiveCampaignClient({
    connection: 'marketing',
    hostname: emu.hostname,
    apiKey: emu.apiKey,
    apiKeyEnv: 'AC_API_KEY',
    budget: new RateBudget(FAST),
    retryBaseMs: 10,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function readAll(api: ActiveCampaignClient, listId: string, onPage?: (done: number, total: number | undefined) => void) {
  const pages: AcListMember[][] = [];
  for await (const page of api.readListMembers(listId, onPage === undefined ? {} : { onPage })) pages.push(page);
  return pages;
}

describe('against the emulator (fast limits)', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, apiKey: 'emu-key-3c1f0a77', seedLists: 2, seedFields: ['TIER', 'CITY'], rateLimit: 1_000, bulkPerMinute: 10_000, bulkDelayMs: 300 });
  });
  afterAll(async () => {
    await emu.stop();
  });
  afterEach(() => {
    emu.setFaults(undefined);
    emu.reset();
  });

  it('pages through 260 members of a list, by id, with their status, fields and tags on that list', async () => {
    const statuses = [1, 2, 0, 3] as const;
    const seeded = emu.seed({
      contacts: [
        ...Array.from({ length: 260 }, (_, i) => ({
          email: `member${i}@example.com`,
          firstName: `First${i}`,
          fields: i % 2 === 0 ? { TIER: `tier-${i}` } : {},
          // The status on list 1 varies; on list 2 everyone is active, which must not leak into list 1's status.
          lists: { '1': statuses[i % 4] as 0 | 1 | 2 | 3, '2': 1 as const },
          tags: i % 5 === 0 ? ['acsync:managed:1'] : [],
        })),
        { email: 'only-on-list-2@example.com', lists: { '2': 1 } },
      ],
    });
    const tierId = seeded.fields.TIER ?? emu.seed({ fields: ['TIER'] }).fields.TIER;
    const api = clientFor(emu);
    const progress: Array<[number, number | undefined]> = [];
    const pages = await readAll(api, '1', (done, total) => progress.push([done, total]));

    expect(pages.map((p) => p.length)).toEqual([100, 100, 60]);
    expect(progress).toEqual([
      [100, 260],
      [200, 260],
      [260, 260],
    ]);
    const members = pages.flat();
    const ids = members.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(members.map((m) => m.email)).size).toBe(260);
    expect(members.some((m) => m.email === 'only-on-list-2@example.com')).toBe(false);

    const m6 = members.find((m) => m.email === 'member6@example.com');
    expect(m6).toMatchObject({ firstName: 'First6', listStatus: 0, fieldValues: { [String(tierId)]: 'tier-6' }, contactTags: [] });
    const m5 = members.find((m) => m.email === 'member5@example.com');
    expect(m5?.listStatus).toBe(2);
    expect(m5?.contactTags).toHaveLength(1);
    const [managed] = (await api.findTags(['acsync:managed:1'])).values();
    expect(m5?.contactTags[0]?.tagId).toBe(managed?.id);
    expect(members.filter((m) => m.listStatus === 3)).toHaveLength(65);
    expect(api.stats().byKind).toEqual({ 'GET /contacts': 3, 'GET /tags': 1 });
  });

  it('stops after one request for an empty list, and after exactly 100 members pages once more', async () => {
    const api = clientFor(emu);
    expect(await readAll(api, '2')).toEqual([]);
    emu.seed({ contacts: Array.from({ length: 100 }, (_, i) => ({ email: `p${i}@example.com`, lists: { '2': 1 as const } })) });
    expect((await readAll(api, '2')).map((p) => p.length)).toEqual([100]);
    expect(api.stats().byKind['GET /contacts']).toBe(3);
  });

  it('a wrong key gives AuthError naming the connection and the variable, never a key', async () => {
    const api = clientFor(emu, { apiKey: 'wrong-key-9d8e7f6a' });
    const err = await api.checkCredentials().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain("connection 'marketing' (403)");
    expect((err as AuthError).hint).toContain('AC_API_KEY');
    const everything = [(err as Error).message, (err as Error).stack, JSON.stringify(err), (err as AuthError).hint].join('\n');
    expect(everything).not.toContain('wrong-key-9d8e7f6a');
    expect(everything).not.toContain(emu.apiKey);
    await expect(clientFor(emu).checkCredentials()).resolves.toBeUndefined();
  });

  it('a missing list gives NotFoundError naming the list id and the connection', async () => {
    const api = clientFor(emu);
    await expect(api.getList('1')).resolves.toMatchObject({ id: '1' });
    const err = await api.getList('999').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe("ActiveCampaign has no list with id 999 in the account of connection 'marketing'.");
  });

  it('reads fields, creates and finds tags, tags and untags contacts, sets list status', async () => {
    const api = clientFor(emu);
    const fields = await api.listFields();
    expect(fields.map((f) => f.perstag).sort()).toEqual(['CITY', 'TIER']);
    const tag = await api.ensureTag('acsync:managed:1');
    expect(await api.ensureTag('acsync:managed:1')).toEqual(tag);
    expect((await api.findTags(['acsync:managed:1', 'acsync:managed'])).get('acsync:managed:1')).toEqual(tag);
    expect((await api.findTags(['acsync:managed'])).size).toBe(0);

    const ids = emu.seed({ contacts: [{ email: 'Ann@Example.com', lists: { '1': 2 } }] }).contacts;
    const found = await api.findContactByEmail('ann@example.com');
    expect(found?.email.toLowerCase()).toBe('ann@example.com');
    expect(found?.id).toBe(Object.values(ids)[0]);
    expect(await api.findContactByEmail('nobody@example.com')).toBeUndefined();

    const contactId = found?.id ?? '';
    const link = await api.addContactTag(contactId, tag.id);
    await api.setListStatus(contactId, '1', 1);
    let [member] = (await readAll(api, '1')).flat();
    expect(member).toMatchObject({ listStatus: 1, contactTags: [{ id: link, tagId: tag.id }] });
    await api.removeContactTag(link);
    await api.removeContactTag(link); // already gone: not an error
    [member] = (await readAll(api, '1')).flat();
    expect(member?.contactTags).toEqual([]);
  });

  it('bulk imports, waits for the batch, and the contacts are on the list with their fields', async () => {
    const api = clientFor(emu);
    const fields = new Map((await api.listFields()).map((f) => [f.perstag, Number(f.id)]));
    const contacts = Array.from({ length: 30 }, (_, i) => ({
      email: `new${i}@example.com`,
      first_name: `New${i}`,
      fields: [{ id: fields.get('CITY') ?? 0, value: `City ${i}` }],
      subscribe: [{ listid: 1 }],
    }));
    emu.setFaults({ failEmails: ['new7@example.com'] });
    const { batchId } = await api.bulkImport(contacts, { excludeAutomations: true });
    const early = await api.bulkStatus(batchId);
    expect(early.status === false || early.status === 'waiting' || early.status === 'claimed' || early.status === 'active').toBe(true);
    const info = await waitForBatch(api, batchId, { pollMs: 100, maxPollMs: 200 });
    expect(info.status).toBe('completed');
    expect(info.success).toHaveLength(29);
    expect(info.failure).toEqual(['new7@example.com']);
    const members = (await readAll(api, '1')).flat();
    expect(members).toHaveLength(29);
    expect(members.find((m) => m.email === 'new3@example.com')).toMatchObject({
      firstName: 'New3',
      listStatus: 1,
      fieldValues: { [String(fields.get('CITY'))]: 'City 3' },
    });
  });

  it('a payload with an invalid email is refused whole, with the contact named', async () => {
    const api = clientFor(emu);
    const err = await api
      .bulkImport([{ email: 'good@example.com' }, { email: 'not-an-email' }], { excludeAutomations: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BulkValidationError);
    expect((err as BulkValidationError).failureReasons).toMatchObject([{ contact: 1, email: 'not-an-email' }]);
  });

  it('retries through injected 5xx and resets and still reads every member', async () => {
    emu.seed({ contacts: Array.from({ length: 150 }, (_, i) => ({ email: `r${i}@example.com`, lists: { '1': 1 as const } })) });
    emu.setFaults({ seed: 7, errorRate: 0.3, resetRate: 0.15, only: ['GET /api/3/contacts'] });
    const events: EngineEvent[] = [];
    const api = clientFor(emu, { onEvent: (e) => events.push(e) });
    const members = (await readAll(api, '1')).flat();
    expect(members).toHaveLength(150);
    expect(new Set(members.map((m) => m.id)).size).toBe(150);
    const served = emu.stats().byStatus;
    const faults = Object.entries(served).filter(([s]) => s !== '200').reduce((n, [, v]) => n + v, 0);
    expect(faults).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'request:retry')).toHaveLength(faults);
    expect(api.stats().byKind['GET /contacts']).toBe(2 + faults);
  });

  it('retries through a 429 storm, pausing for Retry-After', async () => {
    emu.setFaults({ seed: 3, storm: { probability: 1, length: 2, retryAfterSeconds: 1 }, only: ['GET /api/3/lists/{id}'] });
    const events: EngineEvent[] = [];
    const api = clientFor(emu, { onEvent: (e) => events.push(e) });
    // Met after the client read the account's window: a storm during the run, not one inherited at its start.
    emu.setFaults(undefined);
    await api.getList('1');
    emu.setFaults({ seed: 3, storm: { probability: 1, length: 2, retryAfterSeconds: 1 }, only: ['GET /api/3/lists/{id}'] });
    const started = Date.now();
    const request = api.getList('1');
    // The storm renews on every request while the fault is set; lift it once the client has met it.
    await new Promise((r) => setTimeout(r, 300));
    emu.setFaults(undefined);
    await expect(request).resolves.toMatchObject({ id: '1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(emu.stats().rateLimited).toBeGreaterThanOrEqual(1);
    expect(api.stats().rateLimited).toBe(emu.stats().rateLimited);
    expect(events.some((e) => e.type === 'ratelimit:wait' && e.reason === 'retry-after' && e.ms === 1_000)).toBe(true);
  });
});

describe('against the emulator (real-shaped limits)', () => {
  it('two clients of one account share its budget: the emulator never sees more than the limit in any second', async () => {
    const limit = 20;
    const emu = await startEmulator({ port: 0, apiKey: 'emu-key-shared', seedLists: 1, rateLimit: limit });
    try {
      const budget = getAccountBudget(emu.hostname, { requestsPerSecond: limit });
      const a = clientFor(emu, { connection: 'export-a', budget: getAccountBudget(emu.hostname) });
      const b = clientFor(emu, { connection: 'export-b', budget: getAccountBudget(emu.hostname) });
      const started = Date.now();
      await Promise.all([
        ...Array.from({ length: 30 }, () => a.getList('1')),
        ...Array.from({ length: 30 }, () => b.getList('1')),
      ]);
      const elapsed = Date.now() - started;
      const stats = emu.stats();
      expect(stats.requests).toBe(60);
      expect(stats.rateLimited).toBe(0);
      expect(stats.maxRequestsPerSecond).toBeLessThanOrEqual(limit);
      expect(stats.maxRequestsPerSecond).toBeGreaterThanOrEqual(limit - 2);
      // 60 requests at 20/s: two full windows after the first burst, so about 2 s, not much more.
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect(elapsed).toBeLessThan(3_500);
      expect(budget.stats().granted.request).toBe(60);
    } finally {
      await emu.stop();
    }
  });

  it('a client that thinks the limit is higher meets 429s and recovers by Retry-After', async () => {
    const emu = await startEmulator({ port: 0, apiKey: 'emu-key-429', seedLists: 1, rateLimit: 100 });
    try {
      const events: EngineEvent[] = [];
      const api = clientFor(emu, { budget: new RateBudget({ requestsPerSecond: 100 }), onEvent: (e) => events.push(e) });
      // The client's first answer (at a limit of 100) ends its gentle start; then the account's limit drops to 4.
      emu.setLimits({ rateLimit: 100 });
      await api.getList('1');
      emu.setLimits({ rateLimit: 4 });
      const lists = await Promise.all(Array.from({ length: 8 }, () => api.getList('1')));
      expect(lists).toHaveLength(8);
      expect(emu.stats().rateLimited).toBeGreaterThan(0);
      expect(api.stats().rateLimited).toBe(emu.stats().rateLimited);
      expect(events.some((e) => e.type === 'ratelimit:wait' && e.reason === 'retry-after')).toBe(true);
    } finally {
      await emu.stop();
    }
  });
});
