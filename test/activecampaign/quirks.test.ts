/**
 * The real client against the emulator's quirks profile (emulator/quirks.ts), one quirk at a time, and against a
 * scripted HTTP server for answers the emulator has no reason to give (issue 15 items 1, 3, 4, 5, 6, 10; issue 13
 * items 9, 10, 12, 14, 15).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/index.ts';
import type { AcListMember } from '../../engine/activecampaign/api.ts';
import { createActiveCampaignClient, type ActiveCampaignClient, type ActiveCampaignClientOptions } from '../../engine/activecampaign/client.ts';
import { AccountError, AuthError, BulkValidationError, NetworkError, PermissionError, RateLimitError, RemoteError, ResponseFormatError } from '../../engine/activecampaign/errors.ts';
import { RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { formatUpdatedAfter } from '../../engine/activecampaign/read-members.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

const FAST = { requestsPerSecond: 1_000, bulkPerMinute: 10_000, bulkSinglePerMinute: 10_000 };
const KEY = 'quirk-key-7d2e91c4';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulatorWith(quirks: NonNullable<EmulatorOptions['quirks']>, extra: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const emu = await startEmulator({ port: 0, apiKey: KEY, seedLists: 2, seedFields: ['TIER'], rateLimit: 1_000, bulkPerMinute: 10_000, bulkDelayMs: 20, quirks, ...extra });
  cleanups.push(() => emu.stop());
  return emu;
}

function clientOf(hostname: string, extra: Partial<ActiveCampaignClientOptions> = {}): ActiveCampaignClient {
  const c = createActiveCampaignClient({ connection: 'ac', hostname, apiKey: KEY, apiKeyEnv: 'AC_API_KEY', budget: new RateBudget(FAST), retryBaseMs: 5, ...extra });
  cleanups.push(() => c.close());
  return c;
}

async function scripted(handler: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.stop());
  return s;
}

async function readAll(api: ActiveCampaignClient, listId: string): Promise<AcListMember[]> {
  const out: AcListMember[] = [];
  for await (const page of api.readListMembers(listId)) out.push(...page);
  return out;
}

function seedMembers(emu: EmulatorHandle, n: number, prefix = 'm'): void {
  emu.seed({ contacts: Array.from({ length: n }, (_, i) => ({ email: `${prefix}${i}@quirk.example`, fields: { TIER: 'Gold' }, lists: { '1': 1 } })) });
}

describe('item 1: pages too large for the 10 MB cap', () => {
  it('halves limit and reads on from the same id: 230 members at ~120 kB of sideloads each', { timeout: 60_000 }, async () => {
    const emu = await emulatorWith(['largeSideloads']);
    seedMembers(emu, 230);
    const members = await readAll(clientOf(emu.hostname), '1');
    expect(members).toHaveLength(230);
    expect(new Set(members.map((m) => m.id)).size).toBe(230);
    expect(members.every((m) => m.listStatus === 1 && m.fieldValues[Object.keys(m.fieldValues).find((k) => Number(k) < 9000)!] === 'Gold')).toBe(true);
    // 100 → too large → 50 per page.
    expect(emu.stats().byEndpoint['GET /api/3/contacts']).toBeGreaterThanOrEqual(5);
  });

  it('a page too slow to arrive is asked again from the same id with half the limit', { timeout: 20_000 }, async () => {
    const s = await scripted((req, res) => {
      const q = new URL(`http://x${req.url}`).searchParams;
      res.writeHead(200, { 'content-type': 'application/json' });
      // A full page of a heavy account never finishes within the timeout; half of it does.
      if (q.get('limit') === '100') return void res.write('{"contacts":[');
      const contacts = q.get('id_greater') === '0' ? [1, 2, 3].map((i) => ({ id: String(i), email: `s${i}@x.example` })) : [];
      res.end(JSON.stringify({ contacts, contactLists: contacts.map((c) => ({ contact: c.id, list: '1', status: '1' })), meta: { total: '3' } }));
    });
    const members = await readAll(clientOf(s.hostname, { timeoutMs: 300, responseDeadlineMs: 600, maxRetries: 1 }), '1');
    expect(members.map((m) => m.id)).toEqual(['1', '2', '3']);
    const asked = s.requests.map((r) => new URL(`http://x${r.url}`).searchParams).map((q) => `${q.get('id_greater')}/${q.get('limit')}`);
    expect(asked.filter((a) => a === '0/50')).toHaveLength(1);
    expect(asked.every((a) => a === '0/100' || a === '0/50' || a === '3/50')).toBe(true);
  });

  it('asks only for the sideloads the caller needs', async () => {
    const s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"contacts":[],"contactLists":[],"meta":{"total":"0"}}');
    });
    for await (const _ of clientOf(s.hostname).readListMembers('1', { include: { fieldValues: false } })) void _;
    expect(s.requests[0]!.url).toContain('include=contactLists%2CcontactTags');
  });
});

describe('item 4: transient answers', () => {
  it('intermittent 403s and empty 200 bodies on reads are retried, not called a bad key', async () => {
    const emu = await emulatorWith(['intermittent403', 'emptyBodies']);
    seedMembers(emu, 40);
    const api = clientOf(emu.hostname);
    await api.checkCredentials();
    for (let i = 0; i < 25; i++) expect((await api.getList('1')).id).toBe('1');
    expect(await readAll(api, '1')).toHaveLength(40);
    const byStatus = emu.stats().byStatus;
    expect(byStatus['403']).toBeGreaterThan(0);
    expect(emu.stats().byEndpoint['GET /api/3/lists/{id}']).toBeGreaterThan(25);
  });

  it('an unparsable 2xx body on a read is tried again, a bounded number of times', async () => {
    const s = await scripted((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Cut short once, then whole.
      res.end(n === 1 ? '{"list":{"id":"1","na' : '{"list":{"id":"1","name":"L"}}');
    });
    expect((await clientOf(s.hostname).getList('1')).id).toBe('1');
    expect(s.requests).toHaveLength(2);
    const never = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"list":{"id":"1","na');
    });
    await expect(clientOf(never.hostname).getList('1')).rejects.toBeInstanceOf(ResponseFormatError);
    // The first answer and 3 more tries (docs/activecampaign-api.md, "Transient answers").
    expect(never.requests).toHaveLength(4);
  });

  it('a bad key is still a key problem at once; a permission 403 and a 402 say something else', async () => {
    const emu = await emulatorWith(['intermittent403']);
    const bad = createActiveCampaignClient({ connection: 'ac', hostname: emu.hostname, apiKey: 'wrong-key-123456', apiKeyEnv: 'AC_API_KEY', budget: new RateBudget(FAST), retryBaseMs: 5 });
    cleanups.push(() => bad.close());
    await expect(bad.checkCredentials()).rejects.toBeInstanceOf(AuthError);
    // One more try before any good answer (an intermittent 403 can be the first answer of a run), no more.
    expect(emu.stats().requests).toBe(2);

    const s = await scripted((req, res) => {
      if (req.url?.includes('/lists/')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"errors":[{"title":"Forbidden","detail":"You do not have permission to view lists"}]}');
      } else {
        res.writeHead(402, { 'content-type': 'application/json' });
        res.end('{"message":"Payment Required"}');
      }
    });
    const api = clientOf(s.hostname);
    const denied = await api.getList('1').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PermissionError);
    expect((denied as Error).message).toMatch(/permission/);
    const unpaid = await api.checkCredentials().catch((e: unknown) => e);
    expect(unpaid).toBeInstanceOf(AccountError);
    expect((unpaid as Error).message).toMatch(/plan or payment is inactive/);
  });

  it('503 at the rate limit pauses the shared budget and is waited out', { timeout: 30_000 }, async () => {
    const emu = await emulatorWith(['rateLimit503'], { rateLimit: 50 });
    // The client believes the limit is far higher (its first answer said 50, then the account's dropped to 4),
    // so it runs into the server's.
    const api = clientOf(emu.hostname, { budget: new RateBudget({ requestsPerSecond: 50, bulkPerMinute: 100, bulkSinglePerMinute: 20 }) });
    await api.getList('1');
    emu.setLimits({ rateLimit: 4 });
    const lists = await Promise.all(Array.from({ length: 12 }, () => api.getList('1')));
    expect(lists.every((l) => l.id === '1')).toBe(true);
    expect(emu.stats().byStatus['503']).toBeGreaterThan(0);
    expect(api.stats().rateLimited).toBeGreaterThan(0);
  });
});

describe('item 5: filters[updated_after]', () => {
  it('is sent in the account offset seen in udate, whole seconds, a second early', async () => {
    expect(formatUpdatedAfter('2026-03-04T15:20:30.789Z', '-05:00')).toBe('2026-03-04T10:20:29-05:00');
    expect(formatUpdatedAfter('2026-03-04T15:20:30.000Z', undefined)).toBe('2026-03-04T15:20:29+00:00');
    const s = await scripted((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const contacts = n === 1 ? [{ id: '5', email: 'a@b.example', udate: '2026-03-04T09:00:00-05:00' }] : [];
      res.end(JSON.stringify({ contacts, contactLists: [{ contact: '5', list: '1', status: '1' }], meta: { total: String(contacts.length) } }));
    });
    const api = clientOf(s.hostname);
    await readAll(api, '1');
    for await (const _ of api.readListMembers('1', { updatedAfter: '2026-03-04T15:20:30.789Z' })) void _;
    const sent = new URL(`http://x${s.requests.at(-1)!.url}`).searchParams.get('filters[updated_after]');
    expect(sent).toBe('2026-03-04T10:20:29-05:00');
  });

  it('the emulator reads that form as the same instant', async () => {
    const emu = await emulatorWith([]);
    seedMembers(emu, 3);
    const api = clientOf(emu.hostname);
    const before = new Date(Date.now() - 5_000).toISOString();
    const read: AcListMember[] = [];
    for await (const page of api.readListMembers('1', { updatedAfter: before })) read.push(...page);
    expect(read).toHaveLength(3);
  });
});

describe("item 6: acsync's own tags", () => {
  it('are found by exact name among 150 tags containing it, and a duplicate-tag body is recovered from', async () => {
    const emu = await emulatorWith(['duplicateTagBody']);
    emu.seed({ contacts: Array.from({ length: 150 }, (_, i) => ({ email: `t${i}@quirk.example`, tags: [`x-acsync:managed-list-1-${i}`] })) });
    const api = clientOf(emu.hostname);
    const created = await api.ensureTag('acsync:managed-list-1');
    const found = await api.findTags(['acsync:managed-list-1', 'acsync:unsubscribed-list-1']);
    expect(found.get('acsync:managed-list-1')).toEqual(created);
    expect(found.has('acsync:unsubscribed-list-1')).toBe(false);
    expect((await api.ensureTag('ACSYNC:managed-list-1')).id).toBe(created.id);
  });

  it('recovers from the duplicate body when the lookup raced a creator', async () => {
    let tags = '[]';
    const s = await scripted((req, res) => {
      res.writeHead(req.method === 'POST' ? 400 : 200, { 'content-type': 'application/json' });
      if (req.method === 'POST') {
        tags = '[{"tag":"acsync:managed-list-1","id":"77"}]';
        res.end(`{"message":"Could not process request","error":"Duplicate entry 'contact-acsync:managed-list-1' for key 'typetag'"}`);
      } else res.end(`{"tags":${tags},"meta":{"total":"0"}}`);
    });
    expect(await clientOf(s.hostname).ensureTag('acsync:managed-list-1')).toEqual({ id: '77', tag: 'acsync:managed-list-1' });
    const lookup = new URL(`http://x${s.requests[0]!.url}`).searchParams;
    expect(lookup.get('filters[search][eq]')).toBe('acsync:managed-list-1');
    expect(lookup.get('orders[search]')).toBe('weight');
  });

  it('a 422 "Missing attribute" on POST /contactTags is an error, not "already tagged"', async () => {
    const emu = await emulatorWith([]);
    const api = clientOf(emu.hostname);
    const tag = await api.ensureTag('acsync:managed-list-1');
    await expect(api.addContactTag('', tag.id)).rejects.toBeInstanceOf(RemoteError);
    const c = emu.seed({ contacts: [{ email: 'a@quirk.example' }] }).contacts['a@quirk.example']!;
    expect(await api.addContactTag(c, tag.id)).not.toBe('');
    expect(await api.addContactTag(c, tag.id)).toBe('');
  });
});

describe('item 10: truncation', () => {
  it('short pages before meta.total are not the end: 350 members all read', async () => {
    const emu = await emulatorWith(['shortPages']);
    seedMembers(emu, 350);
    const members = await readAll(clientOf(emu.hostname), '1');
    expect(new Set(members.map((m) => m.id)).size).toBe(350);
  });

  it('fields are paged by meta.total when /fields answers pages of 20', async () => {
    const emu = await emulatorWith(['fieldsDefault20']);
    emu.seed({ fields: Array.from({ length: 45 }, (_, i) => `F${i}`) });
    const fields = await clientOf(emu.hostname).listFields();
    expect(fields).toHaveLength(46);
  });

  it('field paging stops on a page that repeats (a server that ignores offset), without a total to trust', async () => {
    const s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // The same 20 fields whatever offset says, and a total the pages never reach.
      res.end(JSON.stringify({ fields: Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), perstag: `F${i}`, title: `F${i}`, type: 'text' })), meta: { total: '45' } }));
    });
    const fields = await clientOf(s.hostname).listFields();
    expect(fields.map((f) => f.id)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expect(s.requests.map((r) => new URL(`http://x${r.url}`).searchParams.get('offset'))).toEqual(['0', '20']);
  });

  it('a bulk answer with a batchId but no success is queued', async () => {
    const emu = await emulatorWith(['bulkNoSuccess']);
    const { batchId } = await clientOf(emu.hostname).bulkImport([{ email: 'q@quirk.example', subscribe: [{ listid: 1 }] }], { excludeAutomations: true });
    expect(batchId).not.toBe('');
  });

  it('a read clearly past meta.total stops with an error (issue 13 item 12)', async () => {
    let next = 0;
    const s = await scripted((_req, res) => {
      const contacts = Array.from({ length: 100 }, () => ({ id: String(++next), email: `p${next}@x.example` }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ contacts, contactLists: contacts.map((c) => ({ contact: c.id, list: '1', status: '1' })), meta: { total: '100' } }));
    });
    const err = await readAll(clientOf(s.hostname), '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect((err as Error).message).toMatch(/past the 100 contacts it announced/);
    expect(s.requests.length).toBeLessThanOrEqual(12);
  });

  it('a full read that ends short of meta.total is not planned from', async () => {
    const s = await scripted((req, res) => {
      const after = Number(new URL(`http://x${req.url}`).searchParams.get('id_greater') ?? '0');
      const contacts = after === 0 ? Array.from({ length: 40 }, (_, i) => ({ id: String(i + 1), email: `p${i}@x.example` })) : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ contacts, contactLists: contacts.map((c) => ({ contact: c.id, list: '1', status: '1' })), meta: { total: '300' } }));
    });
    await expect(readAll(clientOf(s.hostname), '1')).rejects.toThrow(/listed 40 members of list 1 but announced 300/);
  });
});

describe('item 3: bulk failureReasons, 1-based and only the first few', () => {
  it('blames the right contacts (the address fails the local rule under one reading only)', async () => {
    const emu = await emulatorWith(['failureReasonsOneBased']);
    const contacts = Array.from({ length: 10 }, (_, i) => ({ email: i === 4 ? 'broken at example' : `ok${i}@quirk.example` }));
    const err = (await clientOf(emu.hostname).bulkImport(contacts, { excludeAutomations: false }).catch((e: unknown) => e)) as BulkValidationError;
    expect(err).toBeInstanceOf(BulkValidationError);
    expect(err.failureReasons.map((r) => [r.contact, r.email, r.uncertain])).toEqual([[4, 'broken at example', undefined]]);
  });

  it('settles an ambiguous index with one probe that queues nothing', async () => {
    const emu = await emulatorWith(['failureReasonsOneBased']);
    // A list id AC does not have: the address is fine, so the refusal alone cannot tell 0- from 1-based.
    const contacts = Array.from({ length: 6 }, (_, i) => ({ email: `ok${i}@quirk.example`, ...(i === 2 ? { subscribe: [{ listid: 999 }] } : {}) }));
    const err = (await clientOf(emu.hostname).bulkImport(contacts, { excludeAutomations: false }).catch((e: unknown) => e)) as BulkValidationError;
    expect(err.failureReasons.map((r) => [r.contact, r.email, r.uncertain])).toEqual([[2, 'ok2@quirk.example', undefined]]);
    expect(emu.stats().byEndpoint['POST /api/3/import/bulk_import']).toBe(2);
    expect((emu.state() as { batches: unknown[] }).batches).toHaveLength(0);
  });
});

describe('bounded waits and honest messages (issue 13 items 9, 10, 14, 15)', () => {
  it('a huge Retry-After fails the request at once, without a timer overflow', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    cleanups.push(async () => void process.off('warning', onWarning));
    const s = await scripted((_req, res) => {
      res.writeHead(429, { 'retry-after': '999999999', 'content-type': 'application/json' });
      res.end('{"message":"Too Many Requests"}');
    });
    const budget = new RateBudget(FAST);
    const started = Date.now();
    const err = await clientOf(s.hostname, { budget }).getList('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as Error).message).toMatch(/asked to wait 11574 days .*more than the 5 min acsync ever waits/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(budget.pausedFor()).toBeLessThanOrEqual(5 * 60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('a server trickling a byte within every timeout is given up on at the response deadline', { timeout: 20_000 }, async () => {
    const s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await clientOf(s.hostname, { timeoutMs: 400, responseDeadlineMs: 700, maxRetries: 2 }).getList('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('ERR_DEADLINE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a 429 storm is waited out past the attempt bound, then reported as rate limiting, not as the key', { timeout: 20_000 }, async () => {
    const s = await scripted((_req, res, n) => {
      if (n <= 10) {
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
        res.end('{"message":"Too Many Requests"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"list":{"id":"1","name":"L"}}');
      }
    });
    expect((await clientOf(s.hostname, { maxRetries: 3 }).getList('1')).id).toBe('1');
    const always = await scripted((_req, res) => {
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end('{"message":"Too Many Requests"}');
    });
    const err = await clientOf(always.hostname, { rateLimitDeadlineMs: 600 }).getList('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).message).toMatch(/rate limiting/);
    expect((err as RateLimitError).hint).toMatch(/another integration/);
    expect((err as RateLimitError).hint).not.toMatch(/check the hostname/i);
  });

  it('HTTPS to a plain-HTTP server says the host does not speak HTTPS, after one attempt', async () => {
    const s = await scripted((_req, res) => {
      res.writeHead(200);
      res.end('{}');
    });
    // 0.0.0.0 is not a loopback name, so the client speaks HTTPS to it (tls-server.ts).
    const port = s.hostname.split(':')[1];
    const err = await clientOf(`0.0.0.0:${port}`).getList('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toMatch(/does not speak HTTPS/);
    expect((err as NetworkError).attempts).toBe(1);
  });
});

describe('item 7: long import queues', () => {
  it('waits past the base timeout while the queue is long, reports how long it waited, and sends the batch once', { timeout: 20_000 }, async () => {
    const { waitForBatch } = await import('../../engine/activecampaign/wait-for-batch.ts');
    const emu = await emulatorWith(['longImportQueue'], { bulkDelayMs: 40 });
    const api = clientOf(emu.hostname);
    const { batchId } = await api.bulkImport([{ email: 'slow@quirk.example', subscribe: [{ listid: 1 }] }, { email: 'slow2@quirk.example' }], { excludeAutomations: false });
    const reports: Array<{ waitedMs: number; status: string; outstanding?: number }> = [];
    // 40 ms x 25 = 1 s in the queue; the base wait (300 ms) alone would give up.
    const info = await waitForBatch(api, batchId, { pollMs: 50, maxPollMs: 100, maxWaitMs: 300, reportEveryMs: 200, onWaiting: (w) => reports.push(w) });
    expect(info.status).toBe('completed');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.at(-1)!.outstanding).toBeGreaterThanOrEqual(333);
    expect(emu.stats().byEndpoint['POST /api/3/import/bulk_import']).toBe(1);
  });
});

describe('item 2: exclude_automations', () => {
  it('is sent at the top level and inside each contact', async () => {
    const s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // AC's reference example of a queued import: `Success` capitalised is not relied on (batchId is).
      res.end('{"Success":1,"queued_contacts":2,"batchId":"c0f7f4c2-0b1a-4e0d-9a1e-7f6c2d1b3a45","message":"Contact import queued"}');
    });
    const { batchId } = await clientOf(s.hostname).bulkImport([{ email: 'a@x.example' }, { email: 'b@x.example' }], { excludeAutomations: true });
    expect(batchId).toBe('c0f7f4c2-0b1a-4e0d-9a1e-7f6c2d1b3a45');
    const body = JSON.parse(s.requests[0]!.body) as { exclude_automations: boolean; contacts: Array<{ exclude_automations: boolean }> };
    expect(body.exclude_automations).toBe(true);
    expect(body.contacts.map((c) => c.exclude_automations)).toEqual([true, true]);
  });
});
