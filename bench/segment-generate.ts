/**
 * Seeded generator of realistic segments (names with accents, mixed-case emails, a few invalid and duplicate rows)
 * and of the ActiveCampaign list that matches them with a chosen fraction changed. Same seed, same bytes: runs
 * are comparable. Used by the segment benchmark and reusable by `npm run bench`.
 */
import { createWriteStream } from 'node:fs';
import type { MappingConfig } from '../engine/config/model.ts';
import type { ObservedContact } from '../engine/model.ts';
import { toObserved } from '../engine/observe.ts';
import { ObservedList } from '../engine/observed-list.ts';
import { mulberry32 as rng } from '../emulator/prng.ts';

const FIRST = ['Zoë', 'José', 'Ana', 'Łukasz', 'Chloé', 'Søren', 'Mía', 'Jürgen', 'Ines', 'François', 'Noah', 'Aïcha', 'Björn', 'Emma', 'Öykü', 'Liam'];
const LAST = ['Núñez', 'García', 'Müller', 'Dubois', 'Kowalski', 'Østergaard', 'Smith', "O'Brien", 'Rossi', 'Çelik', 'Nguyễn', 'Silva', 'Łęcka', 'Jones'];
const DOMAINS = ['example.com', 'Example.org', 'mail.example.net', 'EXAMPLE.co.uk'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const CITIES = ['Lyon', 'São Paulo', 'Zürich', 'Kraków', 'Málaga', 'Reykjavík', 'New York, NY', 'Montréal'];

export const SEGMENT_HEADER = ['Email', 'FirstName', 'LastName', 'Phone', 'LoyaltyTier', 'City'] as const;

/** The mapping that reads a generated segment. */
export const GENERATED_MAPPING = {
  email: 'Email',
  firstName: 'FirstName',
  lastName: 'LastName',
  phone: 'Phone',
  fields: { LOYALTY_TIER: 'LoyaltyTier', CITY: 'City' },
};

export interface GeneratedProfile {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  tier: string;
  city: string;
  kind: 'valid' | 'invalid' | 'duplicate';
}

export interface GenerateOptions {
  rows: number;
  seed: number;
  /** Fraction of rows with an unusable email (default 0.1%). */
  invalidRate?: number;
  /** Fraction of rows repeating an earlier email in another case (default 0.1%). */
  duplicateRate?: number;
}

const ascii = (s: string) => s.normalize('NFD').replace(/[^A-Za-z]/g, '');
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** The profiles of a generated segment, in row order. */
export function* generateProfiles(o: GenerateOptions): Generator<GeneratedProfile> {
  const r = rng(o.seed);
  const invalid = o.invalidRate ?? 0.001;
  const duplicate = o.duplicateRate ?? 0.001;
  /** Recent valid emails, so a duplicate repeats a real earlier row (in another case). */
  const recent: string[] = [];
  for (let i = 0; i < o.rows; i++) {
    const firstName = pick(r, FIRST);
    const lastName = pick(r, LAST);
    const phone = `+1 555 ${String(Math.floor(r() * 1e7)).padStart(7, '0')}`;
    const tier = pick(r, TIERS);
    const city = pick(r, CITIES);
    const roll = r();
    const domain = pick(r, DOMAINS);
    let email = `${ascii(firstName)}.${ascii(lastName)}.${i}@${domain}`;
    let kind: GeneratedProfile['kind'] = 'valid';
    if (roll < invalid) {
      email = `${ascii(firstName)}.${i} at ${domain}`;
      kind = 'invalid';
    } else if (roll < invalid + duplicate && recent.length > 0) {
      email = pick(r, recent).toUpperCase();
      kind = 'duplicate';
    } else {
      recent[i % 1000] = email;
    }
    yield { email, firstName, lastName, phone, tier, city, kind };
  }
}

const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Writes a generated segment as CSV (CRLF, as spreadsheets export it). */
export async function writeSegmentCsv(path: string, o: GenerateOptions): Promise<void> {
  const out = createWriteStream(path);
  let buf = `${SEGMENT_HEADER.join(',')}\r\n`;
  for (const p of generateProfiles(o)) {
    buf += `${quote(p.email)},${quote(p.firstName)},${quote(p.lastName)},${p.phone},${p.tier},${quote(p.city)}\r\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/**
 * The list as ActiveCampaign would return it after the segment was last applied, with `changedRate` of the
 * members differing (an older loyalty tier), so a re-plan finds that many updates.
 */
export function generateObserved(o: GenerateOptions & { changedRate: number }): ObservedContact[] {
  const r = rng(o.seed ^ 0x5eed);
  const seen = new Set<string>();
  const out: ObservedContact[] = [];
  let id = 1;
  for (const p of generateProfiles(o)) {
    if (p.kind !== 'valid') continue;
    const key = p.email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const changed = r() < o.changedRate;
    out.push({
      id: String(id++),
      email: key,
      key,
      firstName: p.firstName,
      lastName: p.lastName,
      phone: p.phone,
      fields: { LOYALTY_TIER: changed ? `was-${p.tier}` : p.tier, CITY: p.city },
      listStatus: 1,
      managed: true,
      unsubscribedByAcsync: false,
    });
  }
  return out;
}

/**
 * The same list as the CLI holds it: each member as ActiveCampaign's reader (or the snapshot under .acsync/)
 * hands it over, every string parsed from JSON text (none shared, unlike generateObserved's), turned into the
 * planner's contact by the code a plan runs (engine/observe.ts). Custom fields 1 and 2, acsync's managed tag 7.
 */
export function generateObservedAsRead(o: GenerateOptions & { changedRate: number }): ObservedContact[] {
  const ctx = { perstagByFieldId: new Map([['1', 'LOYALTY_TIER'], ['2', 'CITY']]), managedTagId: '7' };
  const r = rng(o.seed ^ 0x5eed);
  const out: ObservedContact[] = [];
  let id = 1;
  for (const p of generateProfiles(o)) {
    // Valid rows have distinct emails (each carries its row number); the others never reach the list.
    if (p.kind !== 'valid') continue;
    const key = p.email.toLowerCase();
    const changed = r() < o.changedRate;
    const contactId = String(id++);
    const wire = JSON.stringify({
      id: contactId,
      email: key,
      firstName: p.firstName,
      lastName: p.lastName,
      phone: p.phone,
      updatedAt: '2026-11-30T10:00:00-06:00',
      listStatus: 1,
      fieldValues: { '1': changed ? `was-${p.tier}` : p.tier, '2': p.city },
      contactTags: [{ id: String(5_000_000 + id), tagId: '7' }],
    });
    out.push(toObserved(JSON.parse(wire), ctx));
  }
  return out;
}

/**
 * The list indexed member by member, as observe-list.ts does while the pages arrive (the members' array is not
 * kept). Timed apart: it is part of the list read, not of the plan.
 */
export function indexList(members: ObservedContact[], mapping: MappingConfig = GENERATED_MAPPING): { observed: ObservedList; indexMs: number } {
  const t0 = performance.now();
  // With the export's mapping, as observe-list.ts makes it: the members' prints are taken as they are indexed.
  const observed = ObservedList.of(members, mapping);
  return { observed, indexMs: performance.now() - t0 };
}
