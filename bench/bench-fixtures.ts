/**
 * What the apply benchmarks set up around the generated segments (bench/segment-generate.ts): a config file
 * pointing at emulators, the list "as acsync last left it" seeded straight into an emulator, and a segment
 * with a further fraction of profiles changed (the next day's export).
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmulatorHandle } from '../emulator/index.ts';
import type { SeedContact } from '../emulator/seed.ts';
import { managedTag } from '../engine/tags.ts';
import { GENERATED_MAPPING, generateObserved, generateProfiles, SEGMENT_HEADER, type GenerateOptions } from './segment-generate.ts';
import { mulberry32 as rng } from '../emulator/prng.ts';

/** The custom fields the generated segments map. */
export const BENCH_FIELDS = Object.keys(GENERATED_MAPPING.fields);
/** Seeding goes in chunks: one seed() call with a million contacts would hold them all twice. */
const SEED_CHUNK = 50_000;

export interface BenchExport {
  name: string;
  /** Key into `connections`. */
  connection: string;
  segment: string;
  listId: number;
}

/** Writes acsync.yaml with one connection per emulator (API keys from AC_KEY_<n> variables) and the exports. */
export async function writeBenchConfig(dir: string, accounts: Record<string, EmulatorHandle>, exports: BenchExport[]): Promise<string> {
  const m = GENERATED_MAPPING;
  const lines = ['version: 1', 'roles:', '  admins: [bench@acsync.example]', 'connections:'];
  for (const [id, e] of Object.entries(accounts)) {
    lines.push(
      `  ${id}:`,
      '    type: activecampaign',
      `    displayName: Bench ${id}`,
      `    hostname: ${e.hostname}`,
      `    apiKey: \${AC_KEY_${id.toUpperCase()}}`,
      '    dataPrivacyConsent: true',
      '    exportUser: bench@acsync.example',
    );
  }
  lines.push('exports:');
  for (const x of exports) {
    lines.push(
      `  ${x.name}:`,
      `    connection: ${x.connection}`,
      '    owner: bench@acsync.example',
      `    segment: ${x.segment}`,
      `    listId: ${x.listId}`,
      '    onLeave: unsubscribe',
      '    mapping:',
      `      email: ${m.email}`,
      `      firstName: ${m.firstName}`,
      `      lastName: ${m.lastName}`,
      `      phone: ${m.phone}`,
      '      fields:',
      ...Object.entries(m.fields).map(([tag, col]) => `        ${tag}: ${col}`),
    );
  }
  const file = path.join(dir, 'acsync.yaml');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The env that lets the CLI reach the emulators: their keys, and the rate limits they were started with. */
export function benchEnv(accounts: Record<string, EmulatorHandle>, limits: { rps: number; bulk: number; single: number }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', ACSYNC_RATE_LIMITS: `rps=${limits.rps},bulk=${limits.bulk},single=${limits.single}` };
  for (const [id, e] of Object.entries(accounts)) env[`AC_KEY_${id.toUpperCase()}`] = e.apiKey;
  return env;
}

/**
 * Seeds the list as acsync left it after the last apply of this segment, with `changedRate` of the members
 * holding an older value (bench/segment-generate.ts generateObserved). Returns the members seeded.
 */
export function seedAppliedList(e: EmulatorHandle, listId: number, o: GenerateOptions & { changedRate: number }): number {
  const observed = generateObserved(o);
  const tag = managedTag(String(listId));
  for (let from = 0; from < observed.length; from += SEED_CHUNK) {
    const contacts: SeedContact[] = [];
    for (const c of observed.slice(from, from + SEED_CHUNK)) {
      const s: SeedContact = { email: c.email, lists: { [String(listId)]: 1 }, tags: [tag] };
      if (c.firstName !== undefined) s.firstName = c.firstName;
      if (c.lastName !== undefined) s.lastName = c.lastName;
      if (c.phone !== undefined) s.phone = c.phone;
      if (c.fields !== undefined) s.fields = c.fields;
      contacts.push(s);
    }
    e.seed({ contacts });
  }
  return observed.length;
}

const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The generated segment with a further `changedRate` of valid profiles moved to a new loyalty tier. */
export async function writeChangedSegmentCsv(file: string, o: GenerateOptions & { changedRate: number; salt: number }): Promise<number> {
  const r = rng(o.seed ^ o.salt);
  const out = createWriteStream(file);
  let changed = 0;
  let buf = `${SEGMENT_HEADER.join(',')}\r\n`;
  for (const p of generateProfiles(o)) {
    let tier = p.tier;
    if (p.kind === 'valid' && r() < o.changedRate) {
      tier = `diamond-${o.salt}`;
      changed++;
    }
    buf += `${quote(p.email)},${quote(p.firstName)},${quote(p.lastName)},${p.phone},${tier},${quote(p.city)}\r\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return changed;
}
