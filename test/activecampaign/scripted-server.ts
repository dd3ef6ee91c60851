/**
 * A tiny real HTTP server on loopback for transport cases the emulator has no reason to produce (HTML pages,
 * malformed or oversized bodies, redirects). The client under test talks to it over a real socket.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedServer {
  hostname: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  stop(): Promise<void>;
}

export async function startScriptedServer(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<ScriptedServer> {
  const requests: ScriptedServer['requests'] = [];
  const server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    requests.push(entry);
    const n = requests.length;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (entry.body += chunk));
    req.on('end', () => handler(req, res, n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostname: `127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
