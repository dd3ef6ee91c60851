/**
 * Two levels of email checking, as ActiveCampaign shows them: the bulk importer's payload validation rejects
 * only what is not email-shaped ("Field 'email' incorrect format"), while addresses that pass it can still
 * fail later inside the batch (the doc's own failure example is `bad.email@invalidDomain`, and apostrophes
 * are reported to fail). The exact rules are unpublished; these are the strictest plausible ones.
 */

/** Something@something, no whitespace: what passes payload validation. */
export function isEmailShaped(email: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(email.trim());
}

const LOCAL = /^[A-Za-z0-9._%+-]+$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** What ActiveCampaign will actually store: a plain local part and a dotted domain with a letter TLD. */
export function isDeliverableEmail(email: string): boolean {
  const e = email.trim();
  const at = e.lastIndexOf('@');
  if (at <= 0 || e.length > 254) return false;
  const local = e.slice(0, at);
  const labels = e.slice(at + 1).split('.');
  if (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return false;
  return /^[A-Za-z]{2,}$/.test(labels[labels.length - 1] ?? '');
}
