/**
 * Bad-input corpus, ActiveCampaign's answers: a wrong key, a missing list, an account problem, and answers that
 * are not ActiveCampaign's JSON at all. Each one stops the export with a message naming the connection, the
 * request and what to do, never the key, and nothing is half applied: the emulator behind gets no write.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { RunResult } from '../../engine/model.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { csv, fastEmulator, Workspace } from '../helpers/workspace.ts';
import { startBrokenActiveCampaign, type BrokenServer, type CannedAnswer } from './broken-activecampaign.ts';

const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login">Password <input type=password></form></body></html>';
const TEN_MB = 10 * 1024 * 1024;
const json = (status: number, body: unknown): CannedAnswer => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const html = (status: number, body = LOGIN_PAGE): CannedAnswer => ({ status, headers: { 'content-type': 'text/html' }, body });

interface AnswerCase {
  name: string;
  /** "METHOD /api/3/path" answered with `answer`; everything else reaches the emulator. */
  endpoint: string;
  answer: CannedAnswer;
  message: RegExp;
  hint: RegExp;
}

const PLANNING_CASES: AnswerCase[] = [
  { name: '402 Payment Required (account problem)', endpoint: 'GET /api/3/lists/1', answer: json(402, { message: 'Payment Required' }), message: /plan or payment is inactive \(402 Payment Required\)/, hint: /billing status/ },
  { name: 'an HTML sign-in page with status 200 (a proxy or the web app host)', endpoint: 'GET /api/3/lists/1', answer: html(200), message: /GET \/api\/3\/lists\/1 .*is an HTML page, not JSON/, hint: /hostname is the API URL from ActiveCampaign's Settings → Developer/ },
  { name: 'an HTML 500 page from a gateway', endpoint: 'GET /api/3/fields', answer: html(501, '<html><body><h1>501 Not Implemented</h1></body></html>'), message: /answered 501 to GET \/api\/3\/fields .*501 Not Implemented/, hint: /./ },
  { name: 'malformed JSON', endpoint: 'GET /api/3/lists/1', answer: { status: 200, body: '{"list": {"id": "1", name: oops}}' }, message: /is not valid JSON \(malformed or cut short\)/, hint: /rerun later/ },
  { name: 'a JSON body cut short (length matches)', endpoint: 'GET /api/3/contacts', answer: { status: 200, body: '{"contacts":[{"id":"1","email":"a@acsync-corpus.exa' }, message: /GET \/api\/3\/contacts .*not valid JSON/, hint: /rerun later/ },
  { name: 'JSON of the wrong shape', endpoint: 'GET /api/3/fields', answer: json(200, { unexpected: true }), message: /has no 'fields'/, hint: /./ },
  { name: 'a JSON array where an object belongs', endpoint: 'GET /api/3/lists/1', answer: json(200, [1, 2, 3]), message: /is not a JSON object/, hint: /./ },
  { name: 'a redirect to another host (not followed)', endpoint: 'GET /api/3/lists/1', answer: { status: 302, headers: { location: 'https://collector.attacker.example/steal' } }, message: /Redirect not followed: ActiveCampaign answered 302 to GET \/api\/3\/lists\/1/, hint: /never follows redirects.*API URL/ },
  { name: 'a body larger than 10 MB, sent chunked', endpoint: 'GET /api/3/contacts', answer: { status: 200, chunked: true, body: Buffer.alloc(TEN_MB + 1024, 0x20) }, message: /larger than the 10 MB acsync accepts/, hint: /./ },
  { name: 'a body larger than 10 MB, declared', endpoint: 'GET /api/3/contacts', answer: { status: 200, body: Buffer.alloc(TEN_MB + 1024, 0x20) }, message: /is 10\.1 MB, more than the 10 MB acsync accepts/, hint: /./ },
  { name: 'a declared Content-Length of 50 MB', endpoint: 'GET /api/3/contacts', answer: { status: 200, headers: { 'content-length': String(50 * 1024 * 1024) }, body: '{', cutAfterBytes: 1 }, message: /is 50 MB, more than the 10 MB/, hint: /./ },
  { name: 'an unexpected 401 with a JSON message', endpoint: 'GET /api/3/lists/1', answer: json(401, { message: 'Unauthorized' }), message: /answered 401 to GET \/api\/3\/lists\/1 for connection 'ac'.*Unauthorized/, hint: /did not expect this answer.*request id/ },
];

const WRITE_CASES: AnswerCase[] = [
  { name: 'bulk import answered by an HTML page', endpoint: 'POST /api/3/import/bulk_import', answer: html(200), message: /POST \/api\/3\/import\/bulk_import .*HTML page/, hint: /./ },
  { name: 'bulk import answered 413 Payload Too Large', endpoint: 'POST /api/3/import/bulk_import', answer: html(413, '<html><body>413 Request Entity Too Large</body></html>'), message: /answered 413 to POST \/api\/3\/import\/bulk_import/, hint: /./ },
  { name: 'bulk import answered with JSON lacking a batchId', endpoint: 'POST /api/3/import/bulk_import', answer: json(200, { success: 1 }), message: /bulk_import/, hint: /./ },
];

let emulator: EmulatorHandle;
let ws: Workspace;
let broken: BrokenServer | undefined;

beforeAll(async () => {
  emulator = await fastEmulator();
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(() => {
  emulator.reset();
});
afterEach(async () => {
  await broken?.close();
  broken = undefined;
  await ws.dispose();
});

const writes = (): number => Object.entries(emulator.stats().byEndpoint).filter(([k]) => !k.startsWith('GET ')).reduce((n, [, v]) => n + v, 0);
const people = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`p${i}@acsync-corpus.example`, `P${i}`]);

/** A workspace whose connection goes through a broken server answering `endpoint` with `answer`. */
async function throughBroken(endpoint: string, answer: CannedAnswer, rows = 3): Promise<RunResult> {
  broken = await startBrokenActiveCampaign(emulator, (method, path) => (`${method} ${path}` === endpoint ? answer : undefined));
  ws = await Workspace.create({ ...emulator, hostname: broken.hostname });
  await ws.write('seg.csv', csv(people(rows)));
  await ws.config([{ segment: 'seg.csv' }]);
  return runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
}

describe("ActiveCampaign's own refusals", () => {
  it('403: a wrong API key, named by its variable, never shown', async () => {
    ws = await Workspace.create(emulator);
    await ws.write('seg.csv', csv(people(3)));
    await ws.config([{ segment: 'seg.csv' }]);
    const key = 'wrong-key-0f9e8d7c6b5a';
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: { ...ws.env, AC_API_KEY: key } });
    expect(r.exports[0]!.error).toMatchObject({
      message: expect.stringMatching(/rejected the API key of connection 'ac' \(403\)/),
      hint: expect.stringMatching(/Check the variable AC_API_KEY.*Settings → Developer/),
    });
    expect(JSON.stringify(r)).not.toContain(key);
    expect(writes()).toBe(0);
  });

  it('404: a list that does not exist, named with its connection', async () => {
    ws = await Workspace.create(emulator);
    await ws.write('seg.csv', csv(people(3)));
    await ws.config([{ segment: 'seg.csv', listId: 77 }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(r.exports[0]!.error).toMatchObject({
      message: expect.stringMatching(/no list with id 77 in the account of connection 'ac'/),
      hint: expect.stringMatching(/Check listId in the config/),
    });
    expect(writes()).toBe(0);
  });

  it('a mapped custom field the account does not have: names the field, the line and the existing ones', async () => {
    ws = await Workspace.create(emulator);
    await ws.write('seg.csv', csv(people(3)));
    await ws.config([{ segment: 'seg.csv', fields: false, extra: '      fields:\n        SHOE_SIZE: Tier' }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(r.exports[0]!.error).toMatchObject({
      message: expect.stringMatching(/no custom field with personalization tag SHOE_SIZE/),
      hint: expect.stringMatching(/existing tags: LOYALTY_TIER/),
      file: 'acsync.yaml',
      line: 25,
    });
    expect(writes()).toBe(0);
  });
});

describe('broken answers while planning: the export stops, nothing is written', { timeout: 20_000 }, () => {
  it.each(PLANNING_CASES)('$name', async (c) => {
    const r = await throughBroken(c.endpoint, c.answer);
    expect(r.ok).toBe(false);
    const err = r.exports[0]!.error;
    expect(err, JSON.stringify(r.exports[0])).toBeDefined();
    expect(err!.message).toMatch(c.message);
    expect(err!.message).toContain("connection 'ac'");
    expect(err!.hint ?? '').toMatch(c.hint);
    expect(JSON.stringify(r)).not.toContain(emulator.apiKey);
    expect(writes()).toBe(0);
    // Never followed anywhere: every request went to the one host configured.
    expect(broken!.seen.every((s) => s.startsWith('GET /api/3/') || s.startsWith('POST /api/3/'))).toBe(true);
  });
});

describe('broken answers to the bulk import: each contact reported failed with why, nothing half applied', { timeout: 20_000 }, () => {
  it.each(WRITE_CASES)('$name', async (c) => {
    const r = await throughBroken(c.endpoint, c.answer, 12);
    expect(r.ok).toBe(false);
    const e = r.exports[0]!;
    expect(e).toMatchObject({ applied: 0, failed: 12 });
    expect(e.failures!.map((f) => f.email).sort()).toEqual(people(12).map((p) => p[0]).sort());
    for (const f of e.failures!) expect(f.reason).toMatch(c.message);
    expect(JSON.stringify(r)).not.toContain(emulator.apiKey);
    // The broken server never passed the import on: the account is untouched.
    expect(writes()).toBe(0);
  });
});
