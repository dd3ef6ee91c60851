/**
 * The rule for a connection's `hostname:` (host or host:port, no scheme, path or credentials), as `acsync validate`
 * reports it and as the client refuses it (engine/activecampaign/base-url.ts): one rule, so what validates connects.
 */

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::([0-9]{1,5}))?$`);
/** Highest TCP port number (RFC 793: ports are 16-bit). */
const MAX_PORT = 65_535;

/** Explains what is wrong with a hostname, echoing only the host part (a hostname is not a secret). */
export function hostnameProblem(raw: string): { message: string; hint?: string } | undefined {
  const value = raw.trim();
  if (/\s/.test(value) || value === '') {
    return { message: value === '' ? 'hostname is empty' : 'hostname must not contain spaces', hint: 'hostname only, without https://, e.g. contoso.api-us1.com' };
  }
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const rest = scheme ? value.slice(scheme[0].length) : value;
  const slash = rest.search(/[/?#]/);
  const host = slash === -1 ? rest : rest.slice(0, slash);
  if (scheme) return { message: 'hostname only, without https:// (or any scheme)', hint: `write hostname: ${host}` };
  const at = host.lastIndexOf('@');
  if (at !== -1) return { message: 'hostname only, without credentials (user:password@)', hint: `write hostname: ${host.slice(at + 1)}; the API key goes in apiKey` };
  if (slash !== -1) return { message: 'hostname only, without a path', hint: `write hostname: ${host}` };
  const m = HOSTNAME.exec(value);
  if (!m) return { message: 'not a valid hostname', hint: 'hostname only (letters, digits, dots, dashes), with an optional :port, e.g. contoso.api-us1.com' };
  if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > MAX_PORT)) return { message: `port ${m[1]} is out of range`, hint: `ports are 1 to ${MAX_PORT}` };
  return undefined;
}
