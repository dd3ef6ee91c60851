/**
 * A local HTTPS server with a freshly made self-signed certificate: what a man-in-the-middle, a corporate proxy or
 * a misconfigured host presents. acsync must refuse it. Reachable as 0.0.0.0:PORT, which is not a loopback name,
 * so acsync speaks HTTPS to it (connecting to 0.0.0.0 reaches this machine on Linux and macOS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TlsServer {
  hostname: string;
  /** Requests that got past the TLS handshake (there should be none). */
  requests: number;
  /** Raw header blocks of those requests. */
  headers: string[];
  close(): Promise<void>;
}

/** True when the openssl command is there to make a certificate. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startSelfSignedServer(): Promise<TlsServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acsync-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=0.0.0.0'],
      { cwd: dir, stdio: 'ignore' },
    );
    const key = readFileSync(path.join(dir, 'key.pem'));
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const state: TlsServer = { hostname: '', requests: 0, headers: [], close: async () => {} };
    const server: Server = createServer({ key, cert }, (req, res) => {
      state.requests++;
      state.headers.push(JSON.stringify(req.headers));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"list":{"id":"1","name":"List 1"}}');
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.hostname = `0.0.0.0:${(server.address() as AddressInfo).port}`;
    state.close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return state;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
