/**
 * The account the contract tests run against: a real ActiveCampaign account when ACSYNC_TEST_HOSTNAME and
 * ACSYNC_TEST_API_KEY are set (never in CI unless ACSYNC_CONTRACT_IN_CI=1), otherwise the bundled emulator, so the
 * suite itself never rots. The tests make their own list, custom field and contacts (under a reserved test
 * domain), read them back over the plain API as a person would look in ActiveCampaign, and delete them afterwards.
 *
 * This file talks to the account with fetch, not with acsync's client: the point is to check acsync from outside.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorHandle } from '../../emulator/index.ts';
import type { QuirksOption } from '../../emulator/quirks.ts';
import { fastEmulator, MovableClock } from '../helpers/workspace.ts';

/** ActiveCampaign allows 5 requests/second per account; this file stays under 4 to leave room for acsync itself. */
const REAL_SPACING_MS = 250;
/** 429 without Retry-After: wait one full second window. */
const DEFAULT_RETRY_AFTER_MS = 1_000;
const MAX_429_RETRIES = 10;
/** `limit` is capped at 100 (developers.activecampaign.com/reference/pagination). */
const PAGE = 100;
/** A reserved name (RFC 2606) unless overridden: nobody receives mail there. */
export const DEFAULT_TEST_DOMAIN = 'acsync-contract.example';

export interface ContractTarget {
  kind: 'activecampaign' | 'emulator';
  hostname: string;
  apiKey: string;
  /** Extra environment for acsync (scaled limits on the emulator; nothing on a real account). */
  env: NodeJS.ProcessEnv;
  emailDomain: string;
  stop(): Promise<void>;
  /**
   * Lets time pass, as days do between runs: ActiveCampaign's dates have one-second resolution and consent
   * decisions depend on their order. On a real account this waits; on the emulator it moves its clock on.
   */
  pass(seconds: number): Promise<void>;
  emulator?: EmulatorHandle;
}

/** Why the real-account run is off, or undefined when it is on. */
export function realAccountSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env['ACSYNC_TEST_HOSTNAME'] || !env['ACSYNC_TEST_API_KEY']) return 'ACSYNC_TEST_HOSTNAME and ACSYNC_TEST_API_KEY are not set';
  const ci = env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== '0' && env['CI'] !== 'false';
  if (ci && env['ACSYNC_CONTRACT_IN_CI'] !== '1') return 'CI is set (set ACSYNC_CONTRACT_IN_CI=1 to run against the account in CI)';
  return undefined;
}

export async function contractTarget(env: NodeJS.ProcessEnv = process.env): Promise<ContractTarget> {
  const emailDomain = env['ACSYNC_TEST_EMAIL_DOMAIN'] || DEFAULT_TEST_DOMAIN;
  if (realAccountSkipReason(env) === undefined) {
    // Two seconds are enough on a real account: what matters is that events fall in different seconds.
    const pass = (): Promise<void> => new Promise((r) => setTimeout(r, 2_000));
    return { kind: 'activecampaign', hostname: env['ACSYNC_TEST_HOSTNAME']!, apiKey: env['ACSYNC_TEST_API_KEY']!, env: {}, emailDomain, stop: async () => {}, pass };
  }
  return emulatorTarget(emailDomain);
}

/** The bundled emulator as the contract target: the reference profile, or with quirks (emulator/quirks.ts). */
export async function emulatorTarget(emailDomain = DEFAULT_TEST_DOMAIN, quirks?: QuirksOption): Promise<ContractTarget> {
  const clock = new MovableClock();
  const emulator = await fastEmulator({ seedLists: 0, seedFields: [], now: clock.now, ...(quirks !== undefined ? { quirks } : {}) });
  const pass = async (seconds: number): Promise<void> => clock.advance(seconds);
  return { kind: 'emulator', hostname: emulator.hostname, apiKey: emulator.apiKey, env: { ACSYNC_RATE_LIMITS: 'rps=1000,bulk=20000,single=4000' }, emailDomain, stop: () => emulator.stop(), pass, emulator };
}

export interface Member {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  status: number;
  tags: string[];
  fields: Record<string, string>;
}

type Json = Record<string, unknown>;

/** Setup, observation and cleanup over the raw API, paced, with what was created remembered for cleanup. */
export class ContractAccount {
  /** A short random id: every name and email of one run carries it, so runs never meet. */
  readonly runId = randomBytes(4).toString('hex');
  readonly #base: string;
  readonly #spacingMs: number;
  #last = 0;
  readonly #created: { lists: string[]; fields: string[]; emails: Set<string> } = { lists: [], fields: [], emails: new Set() };

  constructor(readonly target: ContractTarget) {
    this.#base = `${target.kind === 'emulator' ? 'http' : 'https'}://${target.hostname}/api/3`;
    this.#spacingMs = target.kind === 'emulator' ? 0 : REAL_SPACING_MS;
  }

  email(name: string): string {
    const e = `${this.runId}-${name}@${this.target.emailDomain}`;
    this.#created.emails.add(e);
    return e;
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    for (let attempt = 0; ; attempt++) {
      const wait = this.#last + this.#spacingMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.#last = Date.now();
      const res = await fetch(`${this.#base}${path}`, {
        method,
        headers: { 'Api-Token': this.target.apiKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'manual',
      });
      const text = await res.text();
      if (res.status === 429 && attempt < MAX_429_RETRIES) {
        const after = Number(res.headers.get('retry-after'));
        await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? after * 1000 : DEFAULT_RETRY_AFTER_MS));
        continue;
      }
      let json: Json = {};
      try {
        json = text.trim() === '' ? {} : (JSON.parse(text) as Json);
      } catch {
        // Not JSON (an HTML error page): the status says enough for setup and cleanup.
      }
      return { status: res.status, json };
    }
  }

  private async must(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`contract setup: ${method} ${path} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }

  /** A new list of this run (ActiveCampaign requires a sender URL and reminder on lists). */
  async createList(name: string): Promise<string> {
    const json = await this.must('POST', '/lists', {
      list: { name: `acsync contract ${this.runId} ${name}`, stringid: `acsync-contract-${this.runId}-${name}`, sender_url: 'https://acsync.example', sender_reminder: 'You are on an acsync contract-test list.' },
    });
    const id = String((json['list'] as Json)['id']);
    this.#created.lists.push(id);
    return id;
  }

  /** A text custom field related to the list; returns its personalization tag. */
  async createField(listId: string): Promise<string> {
    const perstag = `ACSYNC_CT_${this.runId.toUpperCase()}`;
    const json = await this.must('POST', '/fields', { field: { type: 'text', title: `acsync contract ${this.runId}`, perstag } });
    const id = String((json['field'] as Json)['id']);
    this.#created.fields.push(id);
    await this.must('POST', '/fieldRels', { fieldRel: { field: id, relid: listId } });
    return perstag;
  }

  async contactId(email: string): Promise<string | undefined> {
    const json = await this.must('GET', `/contacts?email=${encodeURIComponent(email)}`);
    const c = (json['contacts'] as Json[] | undefined)?.[0];
    return c === undefined ? undefined : String(c['id']);
  }

  /** What a person does with the unsubscribe link: list status 2, set by the person, not by acsync. */
  async unsubscribeAsPerson(email: string, listId: string): Promise<void> {
    const id = await this.contactId(email);
    if (id === undefined) throw new Error(`contract: no contact ${email}`);
    await this.must('POST', '/contactLists', { contactList: { list: listId, contact: id, status: 2 } });
  }

  /** The person subscribes again, as through a form (the API's contactLists status 1, as a form would set). */
  async subscribeAsPerson(email: string, listId: string): Promise<void> {
    const id = await this.contactId(email);
    if (id === undefined) throw new Error(`contract: no contact ${email}`);
    await this.must('POST', '/contactLists', { contactList: { list: listId, contact: id, status: 1 } });
  }

  /** A contact someone adds to the list by hand in ActiveCampaign. */
  async addByHand(email: string, listId: string): Promise<void> {
    const json = await this.must('POST', '/contact/sync', { contact: { email, firstName: 'Hand' } });
    const id = String((json['contact'] as Json)['id']);
    await this.must('POST', '/contactLists', { contactList: { list: listId, contact: id, status: 1 } });
  }

  /** Every member of the list (all statuses), with tags and field values by personalization tag. */
  async members(listId: string): Promise<Member[]> {
    const tagNames = new Map<string, string>();
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.must('GET', `/tags?search=acsync&limit=${PAGE}&offset=${offset}`);
      const tags = (page['tags'] as Json[] | undefined) ?? [];
      for (const t of tags) tagNames.set(String(t['id']), String(t['tag']));
      if (tags.length < PAGE) break;
    }
    const perstags = new Map<string, string>();
    const fields = await this.must('GET', `/fields?limit=${PAGE}`);
    for (const f of (fields['fields'] as Json[] | undefined) ?? []) perstags.set(String(f['id']), String(f['perstag']));
    const out: Member[] = [];
    let after = '0';
    for (;;) {
      const page = await this.must('GET', `/contacts?listid=${listId}&status=-1&orders[id]=ASC&id_greater=${after}&limit=${PAGE}&include=contactLists,contactTags,fieldValues`);
      const contacts = (page['contacts'] as Json[] | undefined) ?? [];
      const rel = (key: string): Json[] => (page[key] as Json[] | undefined) ?? [];
      for (const c of contacts) {
        const id = String(c['id']);
        const membership = rel('contactLists').find((x) => String(x['contact']) === id && String(x['list']) === listId);
        const fv: Record<string, string> = {};
        for (const v of rel('fieldValues')) if (String(v['contact']) === id) fv[perstags.get(String(v['field'])) ?? String(v['field'])] = String(v['value'] ?? '');
        out.push({
          id,
          email: String(c['email']),
          firstName: String(c['firstName'] ?? ''),
          lastName: String(c['lastName'] ?? ''),
          status: Number(membership?.['status'] ?? -1),
          tags: rel('contactTags').filter((t) => String(t['contact']) === id).map((t) => tagNames.get(String(t['tag'])) ?? String(t['tag'])),
          fields: fv,
        });
      }
      if (contacts.length < PAGE) break;
      after = String(contacts[contacts.length - 1]!['id']);
    }
    return out;
  }

  /** Deletes what this run made: its contacts, acsync's tags for its lists, its lists and its field. Best effort. */
  async cleanup(): Promise<string[]> {
    const left: string[] = [];
    for (const email of this.#created.emails) {
      const id = await this.contactId(email).catch(() => undefined);
      if (id !== undefined && (await this.call('DELETE', `/contacts/${id}`)).status >= 300) left.push(`contact ${email}`);
    }
    for (const listId of this.#created.lists) {
      for (const name of [`acsync:list-${listId}`, `acsync:unsubscribed-list-${listId}`]) {
        const found = await this.call('GET', `/tags?search=${encodeURIComponent(name)}`);
        for (const t of (found.json['tags'] as Json[] | undefined) ?? []) {
          if (t['tag'] === name && (await this.call('DELETE', `/tags/${String(t['id'])}`)).status >= 300) left.push(`tag ${name}`);
        }
      }
      if ((await this.call('DELETE', `/lists/${listId}`)).status >= 300) left.push(`list ${listId}`);
    }
    for (const fieldId of this.#created.fields) if ((await this.call('DELETE', `/fields/${fieldId}`)).status >= 300) left.push(`field ${fieldId}`);
    return left;
  }
}
