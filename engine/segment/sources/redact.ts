/** Removing a database URL and its password from any text that may reach the user (driver errors quote hosts and users). */

/** The forms a secret can take in text: raw, URL-encoded, URL-decoded and base64. */
function forms(secret: string): string[] {
  const out = new Set<string>([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]);
  try {
    out.add(decodeURIComponent(secret));
  } catch {
    // not URL-encoded: nothing to add
  }
  return [...out].filter((s) => s.length >= 3);
}

/** The secrets of a connection URL: the URL itself and its password. */
export function urlSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.password !== '') out.push(u.password);
  } catch {
    const m = /:\/\/[^:/@]*:([^@]*)@/.exec(url);
    if (m?.[1]) out.push(m[1]);
  }
  return out.flatMap(forms).sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

/** host:port of a URL, for messages (never user or password). */
export function urlHost(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get('host') ?? u.hostname;
    return `${host || 'localhost'}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}
