/**
 * ActiveCampaign's answers the emulator may not produce on demand, played by a loopback server: bulk validation
 * failures, bulk rate-limit rejections as 400, `Success` capitalised, early `status: false`, a server ignoring
 * id_greater, and filters ignored by findContactByEmail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../engine/events.ts';
import type { BulkContact } from '../../engine/activecampaign/api.ts';
import { createActiveCampaignClient, type ActiveCampaignClient } from '../../engine/activecampaign/client.ts';
import { BulkLimitError, BulkValidationError, ResponseFormatError } from '../../engine/activecampaign/errors.ts';
import { RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

let server: ScriptedServer | undefined;
let client: ActiveCampaignClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.stop();
  client = undefined;
  server = undefined;
});

function connect(hostname: string, events: EngineEvent[] = []): ActiveCampaignClient {
  client = createActiveCampaignClient({
    connection: 'marketing',
    hostname,
    apiKey: 'key-for-protocol-tests',
    budget: new RateBudget({ requestsPerSecond: 1_000 }),
    retryBaseMs: 5,
    onEvent: (e) => events.push(e),
  });
  return client;
}

const contacts = (n: number, extra: Partial<BulkContact> = {}): BulkContact[] =>
  Array.from({ length: n }, (_, i) => ({ email: `person${i}@example.com`, ...extra }));

describe('bulkImport', () => {
  it('refuses more than 250 contacts or 400,000 bytes before sending anything', async () => {
    server = await startScriptedServer((_req, res) => res.end('{}'));
    const api = connect(server.hostname);
    await expect(api.bulkImport(contacts(251), { excludeAutomations: true })).rejects.toThrow(/at most 250 contacts; this one has 251/);
    await expect(api.bulkImport([], { excludeAutomations: true })).rejects.toBeInstanceOf(BulkLimitError);
    const heavy = contacts(200, { first_name: 'x'.repeat(2_000) });
    await expect(api.bulkImport(heavy, { excludeAutomations: true })).rejects.toThrow(/under 400000 bytes; these 200 contacts make \d+ bytes/);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts Success spelled either way and returns the batch id', async () => {
    server = await startScriptedServer((_req, res, n) =>
      res.end(JSON.stringify(n === 1 ? { success: 1, batchId: 'b-1', queued_contacts: 2 } : { Success: 1, batchId: 'b-2' })),
    );
    const api = connect(server.hostname);
    expect(await api.bulkImport(contacts(2), { excludeAutomations: true })).toEqual({ batchId: 'b-1' });
    expect(await api.bulkImport(contacts(2), { excludeAutomations: false })).toEqual({ batchId: 'b-2' });
  });

  it('maps failureReasons to the contacts by index', async () => {
    server = await startScriptedServer((_req, res) => {
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          success: 0,
          message: 'JSON payload did not pass validation. Please fix failure Reasons and retry. The import was not queued for processing.',
          failureReasons: [{ contact: 1, failureReason: "Field 'email' incorrect format" }],
        }),
      );
    });
    const err = await connect(server.hostname)
      .bulkImport([{ email: 'ok@example.com' }, { email: "o'bad@@example" }, { email: 'fine@example.com' }], { excludeAutomations: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BulkValidationError);
    expect((err as BulkValidationError).failureReasons).toEqual([
      { contact: 1, email: "o'bad@@example", failureReason: "Field 'email' incorrect format" },
    ]);
    expect((err as Error).message).toContain("o'bad@@example: Field 'email' incorrect format");
    expect(server.requests).toHaveLength(1);
  });

  it('treats a 400 "Rate limit exceeded." as rate limiting: waits and resends', async () => {
    server = await startScriptedServer((_req, res, n) => {
      if (n === 1) {
        res.statusCode = 400;
        res.setHeader('retry-after', '1');
        res.end(JSON.stringify({ success: 0, message: 'Rate limit exceeded.', failureReasons: ['Up to 100 imports may be requested per minute.'] }));
        return;
      }
      res.end(JSON.stringify({ success: 1, batchId: 'b-after-wait' }));
    });
    const events: EngineEvent[] = [];
    const api = connect(server.hostname, events);
    const started = Date.now();
    expect(await api.bulkImport(contacts(3), { excludeAutomations: true })).toEqual({ batchId: 'b-after-wait' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // The process's first import refused: the account's imports were used before it (a previous run), so the
    // wait is the same but it is not this run being rate limited.
    expect(events.some((e) => e.type === 'ratelimit:wait' && e.reason === 'inherited' && e.ms === 1_000)).toBe(true);
    expect(api.stats()).toMatchObject({ rateLimited: 0, inheritedRateLimited: 1 });
  });
});

describe('bulkStatus', () => {
  it('reads status false (polled too early) and a finished batch', async () => {
    server = await startScriptedServer((_req, res, n) =>
      res.end(JSON.stringify(n === 1 ? { status: false } : { status: 'completed', success: ['12', 13], failure: ['bad@example.com'] })),
    );
    const api = connect(server.hostname);
    expect(await api.bulkStatus('b-1')).toEqual({ status: false, success: [], failure: [] });
    expect(await api.bulkStatus('b-1')).toEqual({ status: 'completed', success: ['12', '13'], failure: ['bad@example.com'] });
    expect(server.requests[0]?.url).toBe('/api/3/import/info?batchId=b-1');
  });
});

describe('readListMembers', () => {
  it('refuses to loop when the server ignores id_greater', async () => {
    const page = {
      contacts: Array.from({ length: 100 }, (_, i) => ({ id: String(i + 1), email: `p${i}@example.com` })),
      contactLists: Array.from({ length: 100 }, (_, i) => ({ contact: String(i + 1), list: '3', status: '1' })),
      meta: { total: '500' },
    };
    server = await startScriptedServer((_req, res) => res.end(JSON.stringify(page)));
    const api = connect(server.hostname);
    const pages: number[] = [];
    const err = await (async () => {
      for await (const members of api.readListMembers('3')) pages.push(members.length);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect((err as Error).message).toContain('id_greater ignored');
    expect(pages).toEqual([100]);
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a member whose status on the list is missing rather than guess it', async () => {
    server = await startScriptedServer((_req, res) =>
      res.end(JSON.stringify({ contacts: [{ id: '7', email: 'a@example.com' }], contactLists: [{ contact: '7', list: '9', status: '2' }] })),
    );
    const err = await (async () => {
      for await (const _ of connect(server!.hostname).readListMembers('3')) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect((err as Error).message).toContain('no readable status of contact 7 on list 3');
  });
});

describe('findContactByEmail', () => {
  it('checks the returned email itself (ActiveCampaign may ignore a filter and answer with everyone)', async () => {
    server = await startScriptedServer((_req, res) =>
      res.end(JSON.stringify({ contacts: [{ id: '1', email: 'someone.else@example.com' }, { id: '2', email: 'Ann@Example.com' }] })),
    );
    const api = connect(server.hostname);
    expect(await api.findContactByEmail(' ann@example.com ')).toEqual({ id: '2', email: 'Ann@Example.com' });
    expect(await api.findContactByEmail('nobody@example.com')).toBeUndefined();
  });
});
