/**
 * A real HTTP server on 127.0.0.1 that stands in front of the emulator and answers some requests the way a broken
 * ActiveCampaign (or a proxy, a captive portal, a misconfigured host) would: everything else is passed through.
 * For answers the emulator itself cannot give: 402, HTML pages, malformed or truncated JSON, redirects, huge bodies.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorHandle } from '../../emulator/index.ts';

export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the headers and this much of the body, then drop the connection. */
  cutAfterBytes?: number;
  /** Send the body chunked, without a Content-Length (the size is only known by reading it). */
  chunked?: boolean;
}

/** Returns a canned answer for a request, or undefined to pass it to the emulator. `path` excludes the query. */
export type Breaker = (method: string, path: string) => CannedAnswer | undefined;

export interface BrokenServer {
  /** host:port, for a connection's hostname. */
  hostname: string;
  /** Every request seen, as "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

export async function startBrokenActiveCampaign(target: EmulatorHandle, breaker: Breaker): Promise<BrokenServer> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    seen.push(`${method} ${url.pathname}`);
    const canned = breaker(method, url.pathname);
    if (canned === undefined) {
      const upstream = request(`${target.url}${req.url ?? '/'}`, { method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    req.resume();
    const body = canned.body === undefined ? Buffer.alloc(0) : Buffer.from(canned.body);
    res.writeHead(canned.status, { ...(canned.chunked === true ? {} : { 'content-length': String(body.length) }), ...canned.headers });
    if (canned.cutAfterBytes !== undefined) {
      res.write(body.subarray(0, canned.cutAfterBytes), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostname: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
