/**
 * Where a connection's requests go. HTTPS with certificate verification for every host, plain HTTP only for
 * loopback (the bundled emulator): an API key sent in clear over a network is a leaked key.
 */
import { isIPv4 } from 'node:net';

/** ActiveCampaign API v3 lives under this path on the account's API host (developers.activecampaign.com/reference/url). */
export const API_PATH = '/api/3';

/** True for 127.0.0.0/8, ::1 and localhost (the host part only, no port). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(h) && h.startsWith('127.');
}

export class HostnameError extends Error {
  constructor(hostname: string, problem: string) {
    super(`The connection hostname '${hostname}' ${problem}. Give the host of the API URL only, e.g. 'youraccount.api-us1.com' (or '127.0.0.1:4010' for the emulator).`);
    this.name = 'HostnameError';
  }
}

/** The API base URL for a connection hostname (`host` or `host:port`, no scheme, no path). */
export function resolveBaseUrl(hostname: string): URL {
  const trimmed = hostname.trim();
  if (trimmed === '') throw new HostnameError(hostname, 'is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw new HostnameError(hostname, 'includes a scheme (https://)');
  if (/[/?#@\s]/.test(trimmed)) throw new HostnameError(hostname, 'includes a path, query, credentials or spaces');
  let probe: URL;
  try {
    probe = new URL(`http://${trimmed}`);
  } catch {
    throw new HostnameError(hostname, 'is not a valid host name');
  }
  const scheme = isLoopbackHost(probe.hostname) ? 'http' : 'https';
  return new URL(`${scheme}://${probe.host}${API_PATH}`);
}
