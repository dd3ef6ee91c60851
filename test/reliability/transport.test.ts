/**
 * Transport safety, end to end on real sockets: HTTPS with certificate verification for every host but loopback
 * (NODE_TLS_REJECT_UNAUTHORIZED cannot turn it off), redirects never followed (so the key never travels to another
 * host), and the emulator reachable only from this machine unless told otherwise. Body size limits are in
 * test/corpus/activecampaign.test.ts.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.ts';
import { resolveBaseUrl } from '../../engine/activecampaign/base-url.ts';
import { createActiveCampaignClient } from '../../engine/activecampaign/client.ts';
import { BIN } from './crash-trial.ts';
import { haveOpenssl, startSelfSignedServer } from './tls-server.ts';

const KEY = 'transport-KEY-5e4d3c2b1a';
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function httpServer(handler: Parameters<typeof createServer>[1]): Promise<{ hostname: string; requests: Array<{ url: string; token: string | undefined }> }> {
  const requests: Array<{ url: string; token: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    const token = req.headers['api-token'];
    requests.push({ url: req.url ?? '', token: Array.isArray(token) ? token[0] : token });
    handler!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { hostname: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function client(hostname: string) {
  const c = createActiveCampaignClient({ connection: 'ac', hostname, apiKey: KEY, apiKeyEnv: 'AC_API_KEY', maxRetries: 1 });
  cleanup.push(() => c.close());
  return c;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('HTTPS everywhere but loopback', () => {
  it.each([
    ['127.0.0.1:4010', 'http:'],
    ['localhost:4010', 'http:'],
    ['[::1]:4010', 'http:'],
    ['contoso.api-us1.com', 'https:'],
    ['0.0.0.0:4010', 'https:'],
    ['10.0.0.5', 'https:'],
    ['192.168.1.20:8080', 'https:'],
    ['127.0.0.1.nip.io', 'https:'],
    ['localhost.contoso.example', 'https:'],
  ])('%s → %s', (hostname, protocol) => {
    expect(resolveBaseUrl(hostname).protocol).toBe(protocol);
  });

  it.skipIf(!haveOpenssl())('refuses a self-signed certificate, even with NODE_TLS_REJECT_UNAUTHORIZED=0, before any request', async () => {
    const tls = await startSelfSignedServer();
    cleanup.push(() => tls.close());
    const before = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    cleanup.push(() => {
      if (before === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = before;
    });
    const err = await failure(client(tls.hostname).getList('1'));
    expect(err.message).toMatch(/TLS certificate could not be verified/);
    expect((err as Error & { hint?: string }).hint).toMatch(/sent nothing to it.*NODE_EXTRA_CA_CERTS/);
    expect(err.message).not.toContain(KEY);
    expect(tls.requests).toBe(0);
  });
});

describe('redirects are never followed', () => {
  it.each([301, 302, 303, 307, 308])('%i to another host: the other host never hears from acsync, nor gets the key', async (status) => {
    const other = await httpServer((_req, res) => res.end('{"list":{"id":"1"}}'));
    const first = await httpServer((req, res) => {
      res.writeHead(status, { location: `http://${other.hostname}${req.url ?? '/'}` });
      res.end();
    });
    const err = await failure(client(first.hostname).getList('1'));
    expect(err.message).toMatch(new RegExp(`Redirect not followed: ActiveCampaign answered ${status}`));
    expect(first.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('a bulk import redirected is not resent anywhere', async () => {
    const other = await httpServer((_req, res) => res.end('{"batchId":"x"}'));
    const first = await httpServer((_req, res) => {
      res.writeHead(307, { location: `http://${other.hostname}/api/3/import/bulk_import` });
      res.end();
    });
    const err = await failure(client(first.hostname).bulkImport([{ email: 'a@acsync-transport.example' }], { excludeAutomations: false }));
    expect(err.message).toMatch(/Redirect not followed/);
    expect(other.requests).toHaveLength(0);
  });
});

describe('the emulator listens on loopback only, unless told otherwise', () => {
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  it('startEmulator binds 127.0.0.1 by default', async () => {
    const e = await startEmulator({ port: 0 });
    cleanup.push(() => e.stop());
    expect(e.hostname).toMatch(/^127\.0\.0\.1:\d+$/);
    if (external !== undefined) {
      const refused = await new Promise<string>((resolve) => {
        const s = connect(e.port, external);
        s.on('connect', () => { s.destroy(); resolve('connected'); });
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  it('`acsync emulator` says it listens on 127.0.0.1', { timeout: 20_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--api-key', KEY], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => { child.kill('SIGTERM'); });
    const out = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (/hostname: \S+/.test(text)) resolve(text);
      });
      child.on('exit', () => reject(new Error(`emulator exited: ${text}`)));
    });
    expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/hostname: 127\.0\.0\.1:\d+/);
  });
});
