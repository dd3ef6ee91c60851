/**
 * Who may do what, as `acsync validate` and every run decide it: one rule, so a config that validates also runs.
 * People are compared case-insensitively (email addresses are, for every practical purpose).
 */
import type { UsableBy } from './model.ts';

export type Role = 'admin' | 'contributor';

export interface Roles {
  admins: readonly string[];
  contributors: readonly string[];
}

/** The form in which people are compared: trimmed, lower case. */
export function personKey(email: string): string {
  return email.trim().toLowerCase();
}

/** Someone's role (admin wins when listed twice), or undefined when roles does not list them. */
export function roleOf(roles: Roles, email: string): Role | undefined {
  const key = personKey(email);
  if (roles.admins.some((a) => personKey(a) === key)) return 'admin';
  if (roles.contributors.some((c) => personKey(c) === key)) return 'contributor';
  return undefined;
}

/** Whether an export owned by someone of this role may use a connection with this `usableBy`. */
export function mayUseConnection(role: Role | undefined, usableBy: UsableBy): boolean {
  return role === 'admin' || (role === 'contributor' && usableBy === 'admins-and-contributors');
}
