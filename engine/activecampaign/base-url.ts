/**
 * Where a connection's requests go. HTTPS with certificate verification for every host, plain HTTP only for
 * loopback (the bundled emulator): an API key sent in clear over a network is a leaked key.
 */
import { isIPv4 } from 'node:net';
import { hostnameProblem } from '../config/hostname.ts';

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
  readonly fault = 'user';
  constructor(hostname: string, problem: { message: string; hint?: string }) {
    // Credentials in a hostname are secrets: such a hostname is not repeated.
    const shown = hostname.includes('@') ? '' : ` '${hostname}'`;
    super(`The connection hostname${shown} is not usable: ${problem.message}. ${problem.hint ?? "Give the host of the API URL only, e.g. 'youraccount.api-us1.com' (or '127.0.0.1:4010' for the emulator)"}.`);
    this.name = 'HostnameError';
  }
}

/** The API base URL for a connection hostname (`host` or `host:port`, no scheme, no path). */
export function resolveBaseUrl(hostname: string): URL {
  const trimmed = hostname.trim();
  const problem = hostnameProblem(trimmed);
  if (problem !== undefined) throw new HostnameError(hostname, problem);
  let probe: URL;
  try {
    probe = new URL(`http://${trimmed}`);
  } catch {
    throw new HostnameError(hostname, { message: 'not a valid hostname' });
  }
  const scheme = isLoopbackHost(probe.hostname) ? 'http' : 'https';
  return new URL(`${scheme}://${probe.host}${API_PATH}`);
}
