/**
 * Replays of the response examples in ActiveCampaign's API reference (developers.activecampaign.com), remodelled
 * as fixtures with their exact shapes: `Success` capitalised in one bulk example, string ids and statuses, string
 * failureReasons for the bulk rate limit, `message` 404s. They go through the real client over HTTP, from a
 * scripted server on loopback, so a shape the emulator happens not to produce still meets the client (issue 15
 * item 13).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActiveCampaignClient, type ActiveCampaignClient } from '../../engine/activecampaign/client.ts';
import { AuthError, BulkValidationError, NotFoundError, RemoteError } from '../../engine/activecampaign/errors.ts';
import { RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

const LINKS = (path: string): Record<string, string> => ({ self: `https://youraccount.api-us1.com/api/3/${path}` });

/** method + path (no query) → [status, body]; a function for answers that change between calls. */
const FIXTURES: Record<string, [number, unknown] | ((n: number) => [number, unknown])> = {
  'POST /api/3/import/bulk_import': (n) =>
    n === 1
      ? [400, { success: 0, message: 'Rate limit exceeded.', failureReasons: ['Up to 100 imports may be requested per minute. Please wait and retry.'] }]
      : [200, { Success: 1, queued_contacts: 1, batchId: '51c5e8c7-6ed6-4b9e-8f4a-2a7e1b0f6d3c', message: 'Contact import queued' }],
  'GET /api/3/import/info': [200, { status: 'completed', success: ['2', '3'], failure: ['bad.email@invalidDomain'] }],
  'POST /api/3/contactTags': [
    201,
    {
      contacts: [{ cdate: '2017-06-08T16:11:53-05:00', email: 'johndoe@example.com', phone: '', firstName: 'John', lastName: 'Doe', id: '1', links: LINKS('contacts/1') }],
      contactTag: { cdate: '2017-06-08T16:11:53-05:00', contact: '1', id: '1', links: LINKS('contactTags/1'), tag: '20' },
    },
  ],
  'DELETE /api/3/contactTags/1': [200, {}],
  'DELETE /api/3/contactTags/2': [404, { message: 'No Result found for ContactTag with id 2' }],
  'GET /api/3/tags': [
    200,
    {
      tags: [
        { tagType: 'contact', tag: 'acsync:list-1 (old)', description: '', cdate: '2018-09-29T19:21:25-05:00', links: LINKS('tags/1'), id: '1' },
        { tagType: 'contact', tag: 'acsync:list-1', description: 'Managed by acsync', cdate: '2018-09-29T19:21:25-05:00', links: LINKS('tags/2'), id: '2' },
      ],
      meta: { total: '2' },
    },
  ],
  'GET /api/3/fields': [
    200,
    {
      fieldOptions: [],
      fieldRels: [{ field: '1', relid: '0', dorder: '0', cdate: '2018-09-29T19:21:25-05:00', links: [], id: '1' }],
      fields: [
        { title: 'Loyalty tier', descript: null, type: 'text', isrequired: '0', perstag: 'LOYALTY_TIER', defval: null, show_in_list: '0', rows: '0', cols: '0', visible: '1', service: '', ordernum: '1', cdate: '2018-09-29T19:21:25-05:00', udate: '2018-09-29T19:21:25-05:00', options: [], relations: ['1'], links: LINKS('fields/1'), id: '1' },
      ],
      meta: { total: '1' },
    },
  ],
  'POST /api/3/contact/sync': [
    201,
    { fieldValues: [], contact: { email: 'jondoe@example.com', cdate: '2018-09-28T13:50:41-05:00', udate: '2018-09-28T13:50:41-05:00', orgid: '', links: LINKS('contacts/113'), id: '113', organization: '' } },
  ],
  'POST /api/3/contactLists': [
    200,
    {
      contacts: [{ cdate: '2017-07-24T12:09:52-05:00', email: 'johndoe@example.com', phone: '', firstName: 'John', lastName: 'Doe', id: '2', links: LINKS('contacts/2') }],
      contactList: { contact: '2', list: '2', status: 1, sourceid: 4, links: LINKS('contactLists/2'), id: '2' },
    },
  ],
  'GET /api/3/lists/1': [200, { list: { stringid: 'email-subscription', userid: '1', name: 'Email Subscription', cdate: '2018-08-17T09:43:15-05:00', udate: '2018-08-17T09:43:16-05:00', links: LINKS('lists/1'), id: '1' } }],
  'GET /api/3/lists/7': [404, { message: 'No Result found for List with id 7' }],
  'GET /api/3/lists/9': [403, { message: 'You do not have permission to access this resource' }],
};

let server: ScriptedServer;
let api: ActiveCampaignClient;
const calls = new Map<string, number>();

beforeAll(async () => {
  server = await startScriptedServer((req: IncomingMessage, res: ServerResponse) => {
    const key = `${req.method ?? ''} ${new URL(`http://x${req.url ?? ''}`).pathname}`;
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    const f = FIXTURES[key];
    const [status, body] = f === undefined ? [404, { message: 'Not Found' }] : typeof f === 'function' ? f(n) : f;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 400 ? { 'retry-after': '0' } : {}) });
    res.end(JSON.stringify(body));
  });
  api = createActiveCampaignClient({ connection: 'ac', hostname: server.hostname, apiKey: 'replay-key-55aa01', budget: new RateBudget({ requestsPerSecond: 1000, bulkPerMinute: 10_000, bulkSinglePerMinute: 10_000 }), retryBaseMs: 5 });
});
afterAll(async () => {
  await api.close();
  await server.stop();
});

describe("ActiveCampaign's reference examples through the client", () => {
  it('bulk import: the rate-limit 400 (failureReasons as strings) is waited out, then `Success: 1` with a batchId is queued', async () => {
    expect(await api.bulkImport([{ email: 'johndoe@example.com' }], { excludeAutomations: false })).toEqual({ batchId: '51c5e8c7-6ed6-4b9e-8f4a-2a7e1b0f6d3c' });
    expect(calls.get('POST /api/3/import/bulk_import')).toBe(2);
  });

  it('import/info: status string, success as string ids, failure as emails', async () => {
    expect(await api.bulkStatus('51c5e8c7-6ed6-4b9e-8f4a-2a7e1b0f6d3c')).toEqual({ status: 'completed', success: ['2', '3'], failure: ['bad.email@invalidDomain'] });
  });

  it('contactTags 201 gives the id; DELETE 200 and 404 both end with the tag gone', async () => {
    expect(await api.addContactTag('1', '20')).toBe('1');
    await expect(api.removeContactTag('1')).resolves.toBeUndefined();
    await expect(api.removeContactTag('2')).resolves.toBeUndefined();
  });

  it('tags: the exact name is picked among similar ones', async () => {
    expect((await api.findTags(['acsync:list-1'])).get('acsync:list-1')).toEqual({ id: '2', tag: 'acsync:list-1' });
  });

  it('fields: string ids, perstag as given', async () => {
    expect(await api.listFields()).toEqual([{ id: '1', perstag: 'LOYALTY_TIER', title: 'Loyalty tier', type: 'text' }]);
  });

  it('contact/sync 201 and contactLists 200', async () => {
    expect(await api.syncContact({ email: 'jondoe@example.com' })).toEqual({ id: '113' });
    await expect(api.setListStatus('2', '2', 1)).resolves.toBeUndefined();
  });

  it('lists/{id}: 200, a `message` 404, and a 403', async () => {
    expect(await api.getList('1')).toEqual({ id: '1', name: 'Email Subscription', stringid: 'email-subscription' });
    const missing = await api.getList('7').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(await api.getList('9').catch((e: unknown) => e)).toBeInstanceOf(AuthError);
  });

  it('a validation 400 (failureReasons as objects) names the contact', async () => {
    const s = await startScriptedServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: 0, message: 'JSON payload did not pass validation. Please fix failure Reasons and retry. The import was not queued for processing.', failureReasons: [{ contact: 0, failureReason: "Field 'email' incorrect format" }] }));
    });
    const c = createActiveCampaignClient({ connection: 'ac', hostname: s.hostname, apiKey: 'replay-key-55aa01', budget: new RateBudget({ requestsPerSecond: 1000, bulkPerMinute: 10_000, bulkSinglePerMinute: 10_000 }) });
    try {
      const err = (await c.bulkImport([{ email: 'johndoe at example.com' }, { email: 'ok@example.com' }], { excludeAutomations: false }).catch((e: unknown) => e)) as BulkValidationError;
      expect(err).toBeInstanceOf(BulkValidationError);
      expect(err.failureReasons).toEqual([{ contact: 0, email: 'johndoe at example.com', failureReason: "Field 'email' incorrect format" }]);
      expect(err).not.toBeInstanceOf(RemoteError);
    } finally {
      await c.close();
      await s.stop();
    }
  });
});
