/**
 * The quirks profile: ways real ActiveCampaign accounts behave that the reference does not show, from public
 * evidence (docs/activecampaign-api.md). Off by default, so the emulator stays
 * the strict reference; each quirk is switched on by name (`acsync emulator --quirks=a,b`, or
 * `startEmulator({ quirks: ['a', 'b'] })`), or all of them with `--quirks` / `quirks: true`.
 *
 * Every quirk is deterministic: counters, not randomness, decide which request meets it, and reset() restarts
 * them, so a failing test replays.
 */

export const QUIRK_NAMES = [
  /** Each contact of GET /contacts carries many memberships, field values and tags in the sideloads (old accounts). */
  'largeSideloads',
  /** A bulk 400's failureReasons[].contact counts from 1, and only the first few bad contacts are listed. */
  'failureReasonsOneBased',
  /** Now and then a GET answers 403 Forbidden although the key is good (tap-activecampaign PR #52). */
  'intermittent403',
  /** Now and then a GET answers 200 with an empty body (tap-activecampaign PR #36). */
  'emptyBodies',
  /** Over the rate limit the answer is 503 (an HTML page, no Retry-After) instead of 429. */
  'rateLimit503',
  /** POST /tags with an existing name answers the "Could not process request" / "Duplicate entry" body (status 400). */
  'duplicateTagBody',
  /** Imports queue for long: batches wait many times the configured delay, and the queue shows many outstanding. */
  'longImportQueue',
  /** Emails on the account's exclusion list are skipped by bulk import without a word (neither success nor failure). */
  'exclusionList',
  /** Phone, date, datetime, number and multi-value field values are stored (and read back) in a normalised form. */
  'normaliseValues',
  /** GET /fields answers pages of 20 whatever `limit` asks. */
  'fieldsDefault20',
  /** A membership's sdate moves on every status change (not only on subscribe): the other reading of sdate. */
  'sdateOnEveryChange',
  /** A bulk import's answer has a batchId but no `success` key. */
  'bulkNoSuccess',
  /** Some pages of GET /contacts hold fewer contacts than `limit` although more follow. */
  'shortPages',
] as const;

export type QuirkName = (typeof QUIRK_NAMES)[number];

export interface QuirkSettings {
  /** Extra sideload bytes per contact under largeSideloads (default 120 kB: 100 contacts pass a 10 MB cap). */
  sideloadBytesPerContact?: number;
  /** Under intermittent403, every n-th GET (default 9) after the first few answers 403. */
  forbiddenEvery?: number;
  /** Under emptyBodies, every n-th GET (default 7) after the first few answers an empty 200. */
  emptyEvery?: number;
  /** Under longImportQueue, a batch waits this many times the bulk delay (default 25). */
  queueFactor?: number;
  /** Under longImportQueue, the outstanding batches GET /import/bulk_import reports besides ours (default 333). */
  foreignOutstanding?: number;
  /** Under exclusionList, emails (case-insensitive) on the list; default: every address whose local part starts with "excluded". */
  excludedEmails?: string[];
  /** Under failureReasonsOneBased, how many bad contacts a refusal lists (default 3). */
  failureReasonsListed?: number;
}

/** `true` (all quirks), a list of names, or names as keys with the tunables. */
export type QuirksOption = boolean | QuirkName[] | ({ [K in QuirkName]?: boolean } & QuirkSettings);

/** GETs a quirk never touches at the start of a run: the credentials check and the first reads succeed. */
const GRACE_REQUESTS = 3;

export class Quirks {
  private readonly on = new Set<QuirkName>();
  readonly settings: Required<Omit<QuirkSettings, 'excludedEmails'>> & { excludedEmails: Set<string> | undefined };
  private gets = 0;
  private contactPages = 0;

  constructor(option?: QuirksOption) {
    const s: QuirkSettings = typeof option === 'object' && !Array.isArray(option) ? option : {};
    if (option === true) for (const q of QUIRK_NAMES) this.on.add(q);
    else if (Array.isArray(option)) for (const q of option) this.on.add(parseQuirk(q));
    else if (typeof option === 'object') for (const q of QUIRK_NAMES) if ((option as Record<string, unknown>)[q] === true) this.on.add(q);
    this.settings = {
      sideloadBytesPerContact: s.sideloadBytesPerContact ?? 120_000,
      forbiddenEvery: s.forbiddenEvery ?? 9,
      emptyEvery: s.emptyEvery ?? 7,
      queueFactor: s.queueFactor ?? 25,
      foreignOutstanding: s.foreignOutstanding ?? 333,
      excludedEmails: s.excludedEmails === undefined ? undefined : new Set(s.excludedEmails.map((e) => e.trim().toLowerCase())),
      failureReasonsListed: s.failureReasonsListed ?? 3,
    };
  }

  has(q: QuirkName): boolean {
    return this.on.has(q);
  }

  list(): QuirkName[] {
    return QUIRK_NAMES.filter((q) => this.on.has(q));
  }

  reset(): void {
    this.gets = 0;
    this.contactPages = 0;
  }

  /** What a GET meets before it is handled (counted for every authenticated GET but the credentials check). */
  forGet(kind: string): 'none' | 'forbidden' | 'empty' {
    if (kind === 'GET /api/3/users/me') return 'none';
    const n = ++this.gets;
    if (n <= GRACE_REQUESTS) return 'none';
    if (this.has('intermittent403') && n % this.settings.forbiddenEvery === 4 % this.settings.forbiddenEvery) return 'forbidden';
    if (this.has('emptyBodies') && n % this.settings.emptyEvery === 3 % this.settings.emptyEvery) return 'empty';
    return 'none';
  }

  /** Under shortPages, whether this page of GET /contacts drops its last contact (every third page). */
  shortenPage(): boolean {
    if (!this.has('shortPages')) return false;
    return ++this.contactPages % 3 === 2;
  }

  excluded(email: string): boolean {
    if (!this.has('exclusionList')) return false;
    const e = email.trim().toLowerCase();
    if (this.settings.excludedEmails !== undefined) return this.settings.excludedEmails.has(e);
    return e.startsWith('excluded');
  }
}

export function parseQuirk(name: string): QuirkName {
  const q = QUIRK_NAMES.find((n) => n.toLowerCase() === name.trim().toLowerCase());
  if (q === undefined) throw new Error(`Unknown quirk '${name}'. Known quirks: ${QUIRK_NAMES.join(', ')}.`);
  return q;
}

/** `--quirks` (all) or `--quirks=a,b`. */
export function parseQuirksFlag(value: string | true): QuirksOption {
  if (value === true || value.trim() === '' || value.trim() === 'all') return true;
  return value.split(',').filter((s) => s.trim() !== '').map(parseQuirk);
}

const ACCOUNT_OFFSET = '-05:00';

/**
 * The form a value takes once AC has stored it, under normaliseValues. Our reading of the evidence (phone
 * formatting stripped, dates with a time, numbers without trailing zeros, multi-values framed by `||`); the
 * client must compare values normalised on both sides instead of trusting its own spelling to come back.
 */
export function normaliseValue(kind: 'phone' | string, value: string): string {
  const v = value.trim();
  if (v === '') return v;
  switch (kind) {
    case 'phone':
      return v.replace(/[\s().-]/g, '');
    case 'date': {
      const m = /^(\d{4}-\d{2}-\d{2})$/.exec(v);
      return m !== null ? `${m[1]} 00:00:00` : v;
    }
    case 'datetime': {
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) return v;
      // Shown in the account's offset, without milliseconds.
      const local = new Date(ms - 5 * 3600_000).toISOString().slice(0, 19);
      return `${local}${ACCOUNT_OFFSET}`;
    }
    case 'number': {
      const n = Number(v);
      return Number.isFinite(n) ? String(n) : v;
    }
    case 'checkbox':
    case 'listbox':
    case 'dropdown': {
      const parts = v.split('||').filter((p) => p !== '');
      return parts.length > 1 || v.startsWith('||') ? `||${parts.join('||')}||` : v;
    }
    default:
      return v;
  }
}

/** Filler sideload rows for one contact under largeSideloads: memberships of other lists, field values, tags. */
export function sideloadPadding(contactId: number, bytes: number, baseUrl: string): { contactLists: unknown[]; fieldValues: unknown[]; contactTags: unknown[] } {
  const contactLists: unknown[] = [];
  const contactTags: unknown[] = [];
  const fieldValues: unknown[] = [];
  const id = String(contactId);
  for (let i = 0; i < 25; i++) {
    contactLists.push({
      contact: id, list: String(9000 + i), form: null, seriesid: '0', sdate: '2019-03-01T10:00:00-05:00', udate: null, status: '1',
      responder: '1', sync: '0', unsubreason: null, campaign: null, message: null, first_name: 'Old', last_name: 'Member',
      ip4Sub: '0', sourceid: '0', autosyncLog: null, ip4_last: '0', ip4Unsub: '0', unsubscribeAutomation: null,
      links: { automation: `${baseUrl}/api/3/contactLists/${id}${i}/automation`, list: `${baseUrl}/api/3/contactLists/${id}${i}/list` },
      id: `9${id}${i}`, automation: null, list_type: 'default',
    });
  }
  for (let i = 0; i < 20; i++) {
    contactTags.push({ contact: id, tag: String(9000 + i), cdate: '2019-03-01T10:00:00-05:00', created_timestamp: '2019-03-01 10:00:00', links: {}, id: `9${id}${i}` });
  }
  const used = JSON.stringify(contactLists).length + JSON.stringify(contactTags).length;
  const filler = 'x'.repeat(200);
  for (let i = 0; used + fieldValues.length * 420 < bytes; i++) {
    fieldValues.push({ contact: id, field: String(9000 + i), value: filler, cdate: '2019-03-01T10:00:00-05:00', udate: '2019-03-01T10:00:00-05:00', links: {}, id: `9${id}${i}`, owner: id });
  }
  return { contactLists, fieldValues, contactTags };
}
