/**
 * Transport behaviour against a real loopback server that answers what ActiveCampaign (or a proxy in front of it)
 * might: HTML pages, broken JSON, huge bodies, redirects, resets, silence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../engine/events.ts';
import { createActiveCampaignClient, type ActiveCampaignClient } from '../../engine/activecampaign/client.ts';
import {
  AccountError,
  AuthError,
  NetworkError,
  RemoteError,
  ResponseFormatError,
} from '../../engine/activecampaign/errors.ts';
import { RateBudget } from '../../engine/activecampaign/rate-budget.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

const KEY = 'SECRET-KEY-7f3a9c1e-do-not-print';

let server: ScriptedServer | undefined;
let client: ActiveCampaignClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.stop();
  client = undefined;
  server = undefined;
});

function connect(hostname: string, events: EngineEvent[] = [], extra: { maxRetries?: number; timeoutMs?: number } = {}): ActiveCampaignClient {
  client = createActiveCampaignClient({
    connection: 'marketing',
    hostname,
    apiKey: KEY,
    apiKeyEnv: 'AC_API_KEY',
    budget: new RateBudget({ requestsPerSecond: 1_000 }),
    retryBaseMs: 5,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return client;
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Everything an error could show a user or a log: message, hint, stack, own properties. */
function everyByte(err: Error): string {
  return [err.message, err.stack ?? '', JSON.stringify(err), String((err as { hint?: string }).hint)].join('\n');
}

describe('client transport', () => {
  it('sends the key in the Api-Token header and nowhere else', async () => {
    server = await startScriptedServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: { id: "1", username: "admin" } }));
    });
    await connect(server.hostname).checkCredentials();
    const [req] = server.requests;
    expect(req?.headers['api-token']).toBe(KEY);
    expect(req?.url).not.toContain(KEY);
  });

  it('403 becomes AuthError naming the connection and the variable, without the key', async () => {
    server = await startScriptedServer((_req, res) => {
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      // A server that echoes the token must not get it into our messages either.
      res.end(JSON.stringify({ message: `Forbidden for token ${KEY}` }));
    });
    const err = await caught(connect(server.hostname).checkCredentials());
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe("ActiveCampaign rejected the API key of connection 'marketing' (403).");
    expect((err as AuthError).hint).toContain('AC_API_KEY');
    expect(everyByte(err)).not.toContain(KEY);
    // One more try: an intermittent 403 can be the first answer of a run (issue 15 item 4).
    expect(server.requests).toHaveLength(2);
  });

  it('402 becomes AccountError', async () => {
    server = await startScriptedServer((_req, res) => {
      res.statusCode = 402;
      res.end('{}');
    });
    expect(await caught(connect(server.hostname).getList('3'))).toBeInstanceOf(AccountError);
  });

  it.each([
    ['an HTML page', 'text/html', '<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>', 'HTML page'],
    ['malformed JSON', 'application/json', "{'lists': []}", 'not valid JSON'],
    ['truncated JSON', 'application/json', '{"lists":[{"id":"1","name":"New', 'not valid JSON'],
  ])('a 200 with %s is a ResponseFormatError', async (_what, type, body, problem) => {
    server = await startScriptedServer((_req, res) => {
      res.setHeader('content-type', type);
      res.setHeader('x-request-id', 'req-42');
      res.end(body);
    });
    const err = await caught(connect(server.hostname).getList('3'));
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect(err.message).toContain(problem);
    expect(err.message).toContain('GET /api/3/lists/3');
    expect(err.message).toContain('req-42');
    expect(err.message).not.toContain('<');
  });

  it('a 200 missing the expected key is a ResponseFormatError', async () => {
    server = await startScriptedServer((_req, res) => res.end('{"something":"else"}'));
    const err = await caught(connect(server.hostname).getList('3'));
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect(err.message).toContain("has no 'list'");
  });

  it('refuses a body over 10 MB', async () => {
    server = await startScriptedServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      // Chunked, no content-length: the limit must hold while streaming.
      const chunk = 'x'.repeat(1024 * 1024);
      res.write('{"lists":"');
      for (let i = 0; i < 11; i++) res.write(chunk);
      res.end('"}');
    });
    const err = await caught(connect(server.hostname).getList('3'));
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect(err.message).toContain('larger than the 10 MB');
  });

  it('does not follow redirects', async () => {
    server = await startScriptedServer((_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', 'https://elsewhere.example/api/3/lists/3');
      res.end();
    });
    const err = await caught(connect(server.hostname).getList('3'));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toContain('Redirect not followed');
    expect(server.requests).toHaveLength(1);
  });

  it('retries 5xx (even HTML ones) with backoff and reports each retry', async () => {
    server = await startScriptedServer((_req, res, n) => {
      if (n <= 2) {
        res.statusCode = n === 1 ? 502 : 503;
        res.setHeader('content-type', 'text/html');
        res.end('<html><body>Bad gateway</body></html>');
        return;
      }
      res.end(JSON.stringify({ list: { id: '3', name: 'Newsletter', stringid: 'newsletter' } }));
    });
    const events: EngineEvent[] = [];
    const api = connect(server.hostname, events);
    expect(await api.getList('3')).toEqual({ id: '3', name: 'Newsletter', stringid: 'newsletter' });
    const retries = events.filter((e) => e.type === 'request:retry');
    expect(retries.map((e) => (e.type === 'request:retry' ? [e.status, e.attempt] : []))).toEqual([
      [502, 2],
      [503, 3],
    ]);
    expect(api.stats().byStatus).toEqual({ '502': 1, '503': 1, '200': 1 });
    expect(api.stats().byKind).toEqual({ 'GET /lists/:id': 3 });
  });

  it('gives up after the attempt bound with a RemoteError that quotes the body, scrubbed', async () => {
    server = await startScriptedServer((_req, res) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ message: `internal error, token=${KEY}` }));
    });
    const err = await caught(connect(server.hostname, [], { maxRetries: 3 }).getList('3'));
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).status).toBe(500);
    expect(err.message).toContain('internal error');
    expect(everyByte(err)).not.toContain(KEY);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a GET after a connection reset', async () => {
    server = await startScriptedServer((req, res, n) => {
      if (n === 1) return req.socket.destroy();
      res.end(JSON.stringify({ list: { id: '3', name: 'Newsletter' } }));
    });
    const api = connect(server.hostname);
    expect((await api.getList('3')).name).toBe('Newsletter');
    expect(api.stats().byStatus).toEqual({ network: 1, '200': 1 });
  });

  it('resends a bulk import only once after a reset it may have survived', async () => {
    server = await startScriptedServer((req) => req.socket.destroy());
    const err = await caught(connect(server.hostname).bulkImport([{ email: 'a@example.com' }, { email: 'b@example.com' }], { excludeAutomations: true }));
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).mayHaveBeenReceived).toBe(true);
    expect((err as NetworkError).attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(everyByte(err)).not.toContain(KEY);
  });

  it('times out a silent server and says so', async () => {
    server = await startScriptedServer(() => {
      // never answers
    });
    const err = await caught(connect(server.hostname, [], { maxRetries: 2, timeoutMs: 150 }).getList('3'));
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(err.message).toContain('timed out waiting for the answer');
    expect(err.message).toContain("connection 'marketing'");
    expect(server.requests).toHaveLength(2);
  });

  it('names the connection when nothing listens', async () => {
    const probe = await startScriptedServer(() => {});
    const hostname = probe.hostname;
    await probe.stop();
    const err = await caught(connect(hostname, [], { maxRetries: 2 }).checkCredentials());
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('ECONNREFUSED');
    expect((err as NetworkError).mayHaveBeenReceived).toBe(false);
    expect(everyByte(err)).not.toContain(KEY);
  });

  it('stops waiting when the caller aborts', async () => {
    server = await startScriptedServer(() => {});
    const controller = new AbortController();
    const pending = connect(server.hostname).getList('3', controller.signal);
    setTimeout(() => controller.abort(new Error('interrupted by user')), 50);
    expect((await caught(pending)).message).toBe('interrupted by user');
  });
});
