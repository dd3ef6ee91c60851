/**
 * Secrets acsync holds (API keys, database URLs and their passwords) and every form in which one may come back
 * inside text: a server that echoes the key in an error message, a proxy that quotes the request, a URL-encoded
 * or base64-encoded copy. Remote text is scrubbed where it is received (engine/activecampaign/errors.ts), and the
 * CLI scrubs everything it writes with the secrets registered here, as a last net.
 */

const REDACTED = '[redacted]';

/** Shorter values are not secrets worth scrubbing (and would blank out ordinary words). */
const MIN_SECRET_LENGTH = 6;

const registered = new Set<string>();

/** Remembers a secret for the rest of the process, so that nothing acsync writes can show it. */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) registered.add(secret);
}

/** The secrets registered so far. */
export function registeredSecrets(): ReadonlySet<string> {
  return registered;
}

/**
 * The forms of a secret to look for: as is, URL-encoded (both ways), hex (both cases), and base64 (standard and
 * URL-safe). Base64 of a secret inside a longer encoded text depends on where it starts, so the stable middle of
 * each of the three alignments is used too (long enough to be unmistakable for any real key; a part of it is
 * left visible, which reveals nothing usable).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), encodeURI(secret), escape(secret)]);
  const bytes = Buffer.from(secret, 'utf8');
  const hex = bytes.toString('hex');
  forms.add(hex);
  forms.add(hex.toUpperCase());
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  for (let shift = 0; shift < 3; shift++) {
    // One 4-character group at each end may also hold bits of the bytes before or after the secret: drop them.
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
    const core = b64.slice(shift === 0 ? 0 : 4, -4);
    if (core.length >= 8) {
      forms.add(core);
      forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  // Longest first, so that a form containing another is replaced whole.
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

const formsCache = new Map<string, string[]>();

/** Replaces every form of every secret in `text` with [redacted]. */
export function scrubSecrets(text: string, secrets: Iterable<string> = registered): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    let forms = formsCache.get(secret);
    if (forms === undefined) formsCache.set(secret, (forms = secretForms(secret)));
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}
