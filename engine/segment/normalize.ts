/**
 * Normalisation of one segment record into the contact acsync wants in ActiveCampaign, or a skip with the reason
 * and row. Duplicates are found by the planner (it already indexes every email, so it needs no second index).
 */
import { STANDARD_FIELDS } from '../contact-fields.ts';
import type { MappingConfig } from '../config/model.ts';
import type { ContactFields, DesiredContact } from '../model.ts';

/** Connector limit: "Up to 1 million profiles per export" (the Customer Insights connector's known limitations). */
export const MAX_PROFILES_PER_EXPORT = 1_000_000;

/** RFC 5321 caps a forward path at 256 octets including the angle brackets, so an address has at most 254. */
export const MAX_EMAIL_LENGTH = 254;

export type SegmentSkipCode = 'missing-email' | 'invalid-email' | 'duplicate-email' | 'invalid-value';

/** A segment row that will not be sent, and why. */
export interface SkippedRow {
  row: number;
  /** The email as given (trimmed), or '' when there is none. */
  email: string;
  /** Lower-cased email ('' when missing): lets the planner name duplicates. */
  key: string;
  reasonCode: SegmentSkipCode;
  reason: string;
}

export function isSkippedRow(x: DesiredContact | SkippedRow): x is SkippedRow {
  return 'reasonCode' in x;
}

/** The distinct columns a mapping reads, email first. */
export function mappedColumns(mapping: MappingConfig): string[] {
  const cols = [mapping.email, ...STANDARD_FIELDS.map((f) => mapping[f.name]), ...Object.values(mapping.fields)];
  return [...new Set(cols.filter((c): c is string => c !== undefined))];
}

/**
 * The common shape of an address, lower-case ASCII dot-atoms on both sides of one @ with a dot in the domain: every
 * rule of emailProblem and valueProblem accepts it, and trimming or lower-casing leaves it as it is (one regular
 * expression run where a list of a million members would otherwise run them all; test/segment/normalize.test.ts).
 */
const PLAIN_EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;

/** Whether an address is of that shape (and not too long): true only for addresses emailProblem accepts. */
export function plainEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && PLAIN_EMAIL.test(email);
}

/** Characters that never appear in a plain address but do in copy-paste accidents ("Ana <ana@x.com>", "a@x.com; b@y.com"). */
const FORBIDDEN = /[\s<>(),;:\\"[\]]/;

/**
 * Why an email is not usable, or undefined when it is. A pragmatic RFC 5322 subset: ActiveCampaign refuses far
 * more than the RFC allows, and a row we skip with a reason is better than a bulk import that fails later.
 */
export function emailProblem(email: string): string | undefined {
  if (email.length > MAX_EMAIL_LENGTH) return `longer than ${MAX_EMAIL_LENGTH} characters`;
  const at = email.indexOf('@');
  if (at === -1) return 'no @';
  if (email.indexOf('@', at + 1) !== -1) return 'more than one @';
  if (at === 0) return 'nothing before the @';
  if (FORBIDDEN.test(email)) return /\s/.test(email) ? 'contains a space' : 'contains a character not allowed in an address';
  if (email.includes('..')) return 'two dots in a row';
  const domain = email.slice(at + 1);
  if (!domain.includes('.')) return 'the domain has no dot';
  if (domain.startsWith('.') || domain.endsWith('.') || email[at - 1] === '.' || email.startsWith('.')) {
    return 'a dot at the start or end of a part';
  }
  return undefined;
}

function firstValueProblem(values: Readonly<Record<string, string | undefined>>, m: CompiledMapping): string | undefined {
  for (const column of m.columns) {
    const v = values[column];
    if (v === undefined) continue;
    const p = valueProblem(v);
    if (p !== undefined) return `column ${column} ${p}`;
  }
  return undefined;
}

interface CompiledMapping {
  /** Every mapped column, once. */
  columns: string[];
  email: string;
  firstName: string | undefined;
  lastName: string | undefined;
  phone: string | undefined;
  fields: Array<[perstag: string, column: string]>;
}

const compiled = new WeakMap<MappingConfig, CompiledMapping>();

function compile(mapping: MappingConfig): CompiledMapping {
  let c = compiled.get(mapping);
  if (c === undefined) {
    c = {
      columns: mappedColumns(mapping),
      email: mapping.email,
      firstName: mapping.firstName,
      lastName: mapping.lastName,
      phone: mapping.phone,
      fields: Object.entries(mapping.fields),
    };
    compiled.set(mapping, c);
  }
  return c;
}

/** Trimmed, or undefined when empty: an empty value never erases what ActiveCampaign has. */
function clean(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/**
 * A desired contact built by a constructor: V8 then keeps the optional properties added below inside the object,
 * where an object literal grown key by key gets a separate property array, one more allocation a row.
 */
class Profile implements DesiredContact {
  email: string;
  key: string;
  row: number;
  declare firstName?: string;
  declare lastName?: string;
  declare phone?: string;
  declare fields?: Record<string, string>;

  constructor(email: string, key: string, row: number) {
    this.email = email;
    this.key = key;
    this.row = row;
  }
}

/** A NUL, or a UTF-16 surrogate (paired ones are fine, and checked exactly only when this matches). */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a value must never be sent, or undefined: a NUL byte, or a lone surrogate (not Unicode text at all). */
export function valueProblem(v: string): string | undefined {
  if (!SUSPECT.test(v)) return undefined;
  if (v.includes('\u0000')) return 'contains a NUL byte';
  if (LONE_SURROGATE.test(v)) return 'contains a lone UTF-16 surrogate (not valid Unicode text)';
  return undefined;
}

/**
 * One record → the contact to send, or a skip with the reason and row: a missing or invalid email, or a value
 * that must never reach ActiveCampaign (the reader's `problem`, a NUL byte or broken Unicode in a mapped column).
 */
export function normalizeProfile(
  values: Readonly<Record<string, string | undefined>>,
  mapping: MappingConfig,
  row: number,
  readerProblem?: string,
): DesiredContact | SkippedRow {
  const m = compile(mapping);
  const rawEmail = values[m.email];
  const bad = readerProblem ?? firstValueProblem(values, m);
  if (bad !== undefined) {
    const shown = rawEmail !== undefined && valueProblem(rawEmail) === undefined ? rawEmail.trim() : '';
    return { row, email: shown, key: shown.toLowerCase(), reasonCode: 'invalid-value', reason: bad };
  }
  const email = clean(rawEmail);
  if (email === undefined) {
    return { row, email: '', key: '', reasonCode: 'missing-email', reason: `no email (column ${m.email} is empty)` };
  }
  const key = email.toLowerCase();
  const problem = emailProblem(email);
  if (problem !== undefined) return { row, email, key, reasonCode: 'invalid-email', reason: `invalid email: ${problem}` };

  const contact = new Profile(email, key, row);
  if (m.firstName !== undefined) {
    const v = clean(values[m.firstName]);
    if (v !== undefined) contact.firstName = v;
  }
  if (m.lastName !== undefined) {
    const v = clean(values[m.lastName]);
    if (v !== undefined) contact.lastName = v;
  }
  if (m.phone !== undefined) {
    // Phone numbers are only trimmed: reformatting (E.164...) guesses a country, and a wrong guess is worse.
    const v = clean(values[m.phone]);
    if (v !== undefined) contact.phone = v;
  }
  if (m.fields.length > 0) {
    let fields: Record<string, string> | undefined;
    for (const [tag, column] of m.fields) {
      const v = clean(values[column]);
      if (v !== undefined) (fields ??= {})[tag] = v;
    }
    if (fields !== undefined) contact.fields = fields;
  }
  return contact;
}

/**
 * A list member whose values a segment row can repeat: its key is a valid email that normalizeProfile keeps as it
 * is, and none of its values is one normalizeProfile refuses. Checked once per member as the list is read
 * (ObservedList), so that repeatsMember need not check the row's values itself.
 */
export function memberRepeatable(member: ContactFields & { key: string }): boolean {
  const k = member.key;
  if (!plainEmail(k) && (k === '' || k.trim() !== k || k.toLowerCase() !== k || valueProblem(k) !== undefined || emailProblem(k) !== undefined)) return false;
  if (member.firstName !== undefined && valueProblem(member.firstName) !== undefined) return false;
  if (member.lastName !== undefined && valueProblem(member.lastName) !== undefined) return false;
  if (member.phone !== undefined && valueProblem(member.phone) !== undefined) return false;
  if (member.fields !== undefined) for (const v of Object.values(member.fields)) if (valueProblem(v) !== undefined) return false;
  return true;
}

/** The key normalizeProfile gives a row's email, when it has one (valid or not). */
export function rowKey(values: Readonly<Record<string, string | undefined>>, mapping: MappingConfig): string | undefined {
  return values[compile(mapping).email]?.trim().toLowerCase();
}

/**
 * Whether a row, whose email gives the key of a repeatable member (memberRepeatable), says nothing but what that
 * member already has: each mapped value is absent, blank, or once trimmed the member's own. Then normalizeProfile
 * would give a valid contact with the member's key whose every value the member already has, so the planner counts
 * the row unchanged without building the contact: the path of nearly every row of a re-export. Whenever it answers
 * false the row takes the full path (normalizeProfile, then the planner's diff, which also knows ActiveCampaign's
 * other spellings of a value), so it never decides anything the full path would not: test/plan/row-path.test.ts
 * runs both paths on the same rows.
 *
 * Why no value needs a check of its own: the email, trimmed and lower-cased, is the member's valid key, and lower
 * casing never adds or removes a NUL, a surrogate, a space, an @ or a dot, nor shortens the text, so the email as
 * given is valid too; a blank value has no NUL or surrogate (neither is white space); a value whose trimmed text is
 * the member's has only white space besides the member's text, which has none.
 */
export function repeatsMember(values: Readonly<Record<string, string | undefined>>, mapping: MappingConfig, member: ContactFields): boolean {
  const m = compile(mapping);
  if (m.firstName !== undefined && !sameOrBlank(values[m.firstName], member.firstName)) return false;
  if (m.lastName !== undefined && !sameOrBlank(values[m.lastName], member.lastName)) return false;
  if (m.phone !== undefined && !sameOrBlank(values[m.phone], member.phone)) return false;
  const fields = m.fields;
  for (let i = 0; i < fields.length; i++) {
    const [tag, column] = fields[i]!;
    if (!sameOrBlank(values[column], member.fields?.[tag])) return false;
  }
  return true;
}

function sameOrBlank(v: string | undefined, have: string | undefined): boolean {
  if (v === undefined || v === have) return true;
  const t = v.trim();
  return t === '' || t === have;
}
