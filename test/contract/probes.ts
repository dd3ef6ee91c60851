/**
 * One probe per open question about ActiveCampaign (shared API notes §9 and §10; docs/activecampaign-api.md): each
 * asks the account over the plain API and records what it answered, so the first run against a real account
 * settles the questions in one go. The answers go to a Markdown table (docs/contract-results.md); the key is never
 * in it (every answer is scrubbed, and only short excerpts are kept).
 */
import { randomUUID } from 'node:crypto';
import type { ContractAccount } from './account.ts';

export interface ProbeResult {
  question: string;
  /** What acsync assumes without an answer (docs/activecampaign-api.md). */
  assumption: string;
  answer: string;
}

type Json = Record<string, unknown>;
const EXCERPT = 160;

function excerpt(v: unknown, key: string): string {
  const text = (typeof v === 'string' ? v : JSON.stringify(v) ?? '').split(key).join('[redacted]').replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

export async function runProbes(account: ContractAccount, listId: string): Promise<ProbeResult[]> {
  const key = account.target.apiKey;
  const x = (v: unknown): string => excerpt(v, key);
  const out: ProbeResult[] = [];
  const probe = async (question: string, assumption: string, ask: () => Promise<string>): Promise<void> => {
    let answer: string;
    try {
      answer = await ask();
    } catch (e) {
      answer = `probe failed: ${x(e instanceof Error ? e.message : String(e))}`;
    }
    out.push({ question, assumption, answer });
  };
  const contact = async (name: string, extra: Json = {}): Promise<{ id: string; json: Json }> => {
    const r = await account.call('POST', '/contact/sync', { contact: { email: account.email(name), ...extra } });
    return { id: String((r.json['contact'] as Json | undefined)?.['id'] ?? ''), json: r.json };
  };

  await probe('Bulk import: is `exclude_automations` accepted at the top level, inside each contact, or both?', 'unknown which AC honours: acsync sends both', async () => {
    const top = await account.call('POST', '/import/bulk_import', { contacts: [{ email: account.email('ea-top') }], exclude_automations: true });
    const per = await account.call('POST', '/import/bulk_import', { contacts: [{ email: account.email('ea-per'), exclude_automations: true }] });
    return `top level: ${top.status} ${x(top.json)}; per contact: ${per.status} ${x(per.json)} (whether automations started needs an automation on the list: check by hand)`;
  });

  await probe('Bulk 400 `failureReasons[].contact`: 0- or 1-based? Every bad contact listed?', 'settled from the refusal, or by one probe like this one', async () => {
    const r = await account.call('POST', '/import/bulk_import', {
      contacts: [{ email: account.email('fr-ok') }, { email: 'bad one@x' }, { email: account.email('fr-ok2') }, { email: 'bad two@x' }, { email: 'bad three@x' }, { email: 'bad four@x' }],
    });
    const idx = ((r.json['failureReasons'] as Json[] | undefined) ?? []).map((f) => (typeof f === 'object' && f !== null ? String((f as Json)['contact']) : 'text'));
    return `${r.status}; bad contacts sent at 0-based 1, 3, 4, 5; indexes answered: [${idx.join(', ')}]; ${x(r.json['message'])}`;
  });

  const tagName = `acsync-probe-${account.runId}`;
  await probe('`POST /tags` with an existing name (and another case): status and body?', 'any refusal is followed by a fresh lookup', async () => {
    const first = await account.call('POST', '/tags', { tag: { tag: tagName, tagType: 'contact', description: 'acsync contract probe' } });
    const again = await account.call('POST', '/tags', { tag: { tag: tagName, tagType: 'contact' } });
    const upper = await account.call('POST', '/tags', { tag: { tag: tagName.toUpperCase(), tagType: 'contact' } });
    return `first ${first.status}; same name ${again.status} ${x(again.json)}; upper case ${upper.status} ${x(upper.json)}`;
  });

  await probe('`POST /contactTags` twice, and without `contact`: status and body?', '422 "Missing attribute" is an error; a 2xx or another 422 means "already tagged"', async () => {
    const c = await contact('ct');
    const tags = await account.call('GET', `/tags?search=${encodeURIComponent(tagName)}`);
    const tagId = String(((tags.json['tags'] as Json[] | undefined) ?? []).find((t) => t['tag'] === tagName)?.['id'] ?? '');
    const one = await account.call('POST', '/contactTags', { contactTag: { contact: c.id, tag: tagId } });
    const two = await account.call('POST', '/contactTags', { contactTag: { contact: c.id, tag: tagId } });
    const missing = await account.call('POST', '/contactTags', { contactTag: { tag: tagId } });
    return `first ${one.status}; again ${two.status} ${x(two.json)}; no contact ${missing.status} ${x(missing.json)}`;
  });

  await probe('`filters[updated_after]`: which forms does AC read (offset, Z, milliseconds, date only)?', 'account offset, whole seconds, 1 s early (a superset is harmless)', async () => {
    const c = await contact('ua', { firstName: 'Probe' });
    await account.call('POST', '/contactLists', { contactList: { list: listId, contact: c.id, status: 1 } });
    const udate = String((c.json['contact'] as Json | undefined)?.['udate'] ?? '');
    const at = Date.parse(udate);
    if (Number.isNaN(at)) return `no readable udate (${x(udate)})`;
    const offset = /([+-]\d{2}:\d{2})$/.exec(udate)?.[1] ?? '+00:00';
    const sign = offset.startsWith('-') ? -1 : 1;
    const offMs = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
    const local = (ms: number): string => new Date(ms + offMs).toISOString().slice(0, 19);
    const forms: Record<string, string> = {
      'offset, 1 s before': `${local(at - 1000)}${offset}`,
      'offset, 1 s after': `${local(at + 1000)}${offset}`,
      'Z, 1 s before': new Date(at - 1000).toISOString().replace('.000', ''),
      'with ms, 1 s before': new Date(at - 1000).toISOString(),
      'no offset, 1 s before (account time)': local(at - 1000).replace('T', ' '),
      'date only, that day': local(at).slice(0, 10),
    };
    const found: string[] = [];
    for (const [name, value] of Object.entries(forms)) {
      const r = await account.call('GET', `/contacts?listid=${listId}&filters[updated_after]=${encodeURIComponent(value)}&limit=100`);
      const has = ((r.json['contacts'] as Json[] | undefined) ?? []).some((k) => String(k['id']) === c.id);
      found.push(`${name} → ${r.status} ${has ? 'found' : 'not found'}`);
    }
    return `udate ${x(udate)}; ${found.join('; ')}`;
  });

  await probe('Page size: bytes of a page with all sideloads; does `limit` over 100 clamp or fail?', 'pages halved past 10 MB; limit never over 100', async () => {
    const r = await account.call('GET', `/contacts?listid=${listId}&limit=100&include=contactLists,fieldValues,contactTags`);
    const bytes = JSON.stringify(r.json).length;
    const n = ((r.json['contacts'] as Json[] | undefined) ?? []).length;
    const big = await account.call('GET', `/contacts?limit=150`);
    return `${n} contacts, ${bytes} bytes (${n > 0 ? Math.round(bytes / n) : 0} per contact); limit=150 → ${big.status}, ${((big.json['contacts'] as Json[] | undefined) ?? []).length} contacts`;
  });

  await probe('`GET /import/info` for an unknown batch id?', 'treated like "not yet registered" (status false) until the batch timeout', async () => {
    const r = await account.call('GET', `/import/info?batchId=${randomUUID()}`);
    return `${r.status} ${x(r.json)}`;
  });

  await probe('A queued bulk import: `success` or `Success`? Which keys?', 'a 2xx with a batchId is queued whatever `success` says', async () => {
    const r = await account.call('POST', '/import/bulk_import', { contacts: [{ email: account.email('shape'), subscribe: [{ listid: Number(listId) }] }] });
    return `${r.status} keys: ${Object.keys(r.json).join(', ')}`;
  });

  await probe('Values round trip: phone, date, number as sent and as read back', 'compared normalised on both sides', async () => {
    const fields = await account.call('GET', '/fields?limit=100');
    const byType = new Map<string, string>();
    for (const f of (fields.json['fields'] as Json[] | undefined) ?? []) if (!byType.has(String(f['type']))) byType.set(String(f['type']), String(f['id']));
    const values: Array<{ field: string; value: string }> = [];
    if (byType.has('date')) values.push({ field: byType.get('date')!, value: '2026-05-01' });
    if (byType.has('number')) values.push({ field: byType.get('number')!, value: '1.50' });
    const c = await contact('values', { phone: '+1 (555) 010-0000', fieldValues: values });
    const back = await account.call('GET', `/contacts/${c.id}`);
    const phone = String((back.json['contact'] as Json | undefined)?.['phone'] ?? '');
    const fv = ((back.json['fieldValues'] as Json[] | undefined) ?? []).filter((v) => values.some((s) => s.field === String(v['field']))).map((v) => String(v['value']));
    return `phone '+1 (555) 010-0000' → '${x(phone)}'; ${values.map((v, i) => `'${v.value}' → '${x(fv[i] ?? '')}'`).join('; ') || 'no date or number field on the account to try'}`;
  });

  await probe('Tag search: exact lookup (`filters[search][eq]`) and `orders[search]=weight`', 'exact lookup with weight order, names compared exactly', async () => {
    for (const t of [`x-${tagName}`, `${tagName}-2`]) await account.call('POST', '/tags', { tag: { tag: t, tagType: 'contact' } });
    const eq = await account.call('GET', `/tags?filters[search][eq]=${encodeURIComponent(tagName)}`);
    const weighted = await account.call('GET', `/tags?search=${encodeURIComponent(tagName)}&orders[search]=weight`);
    const names = (j: Json): string => ((j['tags'] as Json[] | undefined) ?? []).map((t) => String(t['tag'])).join(', ');
    return `eq → [${x(names(eq.json))}]; search+weight → [${x(names(weighted.json))}]`;
  });

  await probe("Does a membership's `sdate` move on unsubscribe (not only on subscribe)?", 'either way: under "moves", acsync never re-subscribes (safe side)', async () => {
    const c = await contact('sdate');
    await account.call('POST', '/contactLists', { contactList: { list: listId, contact: c.id, status: 1 } });
    const read = async (): Promise<string> => {
      const r = await account.call('GET', `/contacts/${c.id}/contactLists`);
      return String(((r.json['contactLists'] as Json[] | undefined) ?? []).find((m) => String(m['list']) === listId)?.['sdate'] ?? '');
    };
    const before = await read();
    await account.target.pass(2);
    await account.call('POST', '/contactLists', { contactList: { list: listId, contact: c.id, status: 2 } });
    const after = await read();
    return `subscribed: sdate ${x(before)}; after unsubscribe: sdate ${x(after)} (${before === after ? 'unchanged' : 'moved'})`;
  });

  return out;
}

export function resultsTable(results: readonly ProbeResult[], target: string, when: Date): string {
  return [
    '# What ActiveCampaign answered to acsync\'s open questions',
    '',
    `Written by \`npm run contract\` (test/contract/probes.contract.test.ts) against **${target}** on ${when.toISOString().slice(0, 10)}.`,
    target.startsWith('the emulator')
      ? 'These are the emulator\'s answers (the reference reading), not evidence: run the contract tests against a real account (docs/contract-tests.md) to replace them.'
      : 'Answers are excerpts, scrubbed of the API key. docs/activecampaign-api.md says what acsync assumes for each question.',
    '',
    '| question | acsync assumes | answer |',
    '| --- | --- | --- |',
    ...results.map((r) => `| ${r.question} | ${r.assumption} | ${r.answer} |`),
    '',
  ].join('\n');
}
