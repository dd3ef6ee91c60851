/**
 * `acsync init`: scaffolds acsync.yaml and a sample segment, so a new user starts from something that is
 * well-formed and edits it. The data privacy consent is written as false: the "I agree" is an administrator's,
 * never pre-signed by a tool, so `validate` says what is left to do (the consent, the placeholders) until a person
 * has done it. Never overwrites a file: there is deliberately no --force.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCHEMA_URL } from '../../engine/config/schema.ts';
import type { CliIo } from '../io.ts';
import { PLAIN_WIDTH, wrapText } from '../report/layout.ts';

const USAGE = `Usage: acsync init [--dir PATH]

Writes acsync.yaml, segments/customers.csv (a sample segment) and a .gitignore
into the current folder, or into PATH. Never overwrites an existing file.

Options:
      --dir PATH  the folder to scaffold in (created if missing; default: the
                  current folder)
  -h, --help      this help`;

export const CONFIG_FILE = 'acsync.yaml';
export const SEGMENT_FILE = path.join('segments', 'customers.csv');
export const GITIGNORE_FILE = '.gitignore';

/** Customer data and acsync's local state stay out of the config repository (the connector's data-privacy advice). */
export const STARTER_GITIGNORE = `# acsync: keep customer data and local state out of Git.
# Segment data holds personal data: read it where it lives (a warehouse query, a data-lake folder), not from Git.
segments/
lake/
*.parquet
*.csv.gz
*.ndjson.gz
# List snapshots and saved plans hold personal data too.
.acsync/
plan.json
`;

/** The starter config; `schemaRef` is where editors find the JSON Schema (relative to the config). */
export function starterConfig(schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
# acsync: keep ActiveCampaign lists in step with customer segments.
# Check this file with \`acsync validate\`; every property is described in the README's configuration reference.
version: 1

# Who may configure exports. Admins may use every connection; contributors only connections opened to them.
roles:
  admins: [admin@example.com]
  contributors: []

connections:
  marketing:
    type: activecampaign
    displayName: Marketing ActiveCampaign
    # Hostname only, without https:// (ActiveCampaign: Settings > Developer > URL).
    # For the bundled emulator (\`acsync emulator\`), use 127.0.0.1:4010.
    hostname: your-account.api-us1.com
    # The key stays out of this file: set it in the environment, e.g. export AC_API_KEY=...
    apiKey: \${AC_API_KEY}
    usableBy: admins
    # Data privacy and compliance: true means an administrator agrees that profile data, possibly sensitive
    # personal data, leaves your systems for ActiveCampaign, and that you are responsible for ActiveCampaign
    # meeting your privacy and security obligations. No export on this connection runs until an administrator
    # has read this and set it to true; false stops every export on it again.
    dataPrivacyConsent: false
    # The administrator whose identity exports run as.
    exportUser: admin@example.com

exports:
  customers:
    connection: marketing
    owner: admin@example.com
    segment: segments/customers.csv      # relative to this file: .csv, .ndjson/.jsonl or .json
    listId: 1                            # the ActiveCampaign list id (Lists > the list > the id in its URL)
    mapping:
      email: Email                       # required: the column holding the email
      firstName: FirstName
      lastName: LastName
      phone: Phone
      fields:                            # custom fields, by personalization tag
        LOYALTY_TIER: LoyaltyTier
    onLeave: keep                        # or unsubscribe: when a profile leaves the segment
    # schedule: "0 2 * * *"              # refresh every day at 02:00 in \`acsync watch\`
    # timezone: Europe/Paris
`;
}

export const STARTER_SEGMENT = `Email,FirstName,LastName,Phone,LoyaltyTier
maria.garcia@example.com,María,García,+34 612 345 678,Gold
j.smith@example.com,John,Smith,+1 415 555 0142,Silver
Chloe.Dubois@Example.com,Chloé,Dubois,+33 6 12 34 56 78,Gold
kenji.tanaka@example.com,Kenji,Tanaka,,Bronze
anna.kowalska@example.com,Anna,Kowalska,+48 512 345 678,Silver
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values: { dir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`acsync init: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return 0;
  }

  const dir = path.resolve(io.cwd, values.dir ?? '.');
  // Paths below the working folder read best relative; anything else absolute.
  const shown = (p: string): string => {
    const rel = path.relative(io.cwd, path.join(dir, p));
    return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.join(dir, p) : rel;
  };
  const targets = [CONFIG_FILE, SEGMENT_FILE];
  const existing: string[] = [];
  for (const t of targets) {
    if (await stat(path.join(dir, t)).catch(() => undefined)) existing.push(shown(t));
  }
  if (existing.length > 0) {
    io.stderr.write(
      `acsync init: ${existing.join(' and ')} already ${existing.length === 1 ? 'exists' : 'exist'}; init never overwrites files, so nothing was written.\n` +
        `  hint: check the existing config with \`acsync validate\`, or scaffold elsewhere with --dir PATH\n`,
    );
    return 1;
  }

  const schemaRef = path.relative(dir, fileURLToPath(SCHEMA_URL)).split(path.sep).join('/');
  try {
    await mkdir(path.join(dir, 'segments'), { recursive: true });
    // 'wx' fails if the file appeared since the check above: still never an overwrite.
    await writeFile(path.join(dir, CONFIG_FILE), starterConfig(schemaRef), { flag: 'wx' });
    await writeFile(path.join(dir, SEGMENT_FILE), STARTER_SEGMENT, { flag: 'wx' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EEXIST' ? 'a file appeared while writing' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
    io.stderr.write(`acsync init: cannot write into ${shown('.')}: ${why}\n`);
    return 1;
  }
  // An existing .gitignore is the user's: left as it is (init never overwrites), with the advice printed instead.
  const gitignore = await writeFile(path.join(dir, GITIGNORE_FILE), STARTER_GITIGNORE, { flag: 'wx' }).then(
    () => true,
    () => false,
  );

  const cfg = shown(CONFIG_FILE);
  // Laid out for the terminal's width (80 in a log), as every plain text is (layout.ts).
  io.stdout.write(
    wrapText(
      [
        `Created ${cfg} and ${shown(SEGMENT_FILE)}${gitignore ? `, and ${shown(GITIGNORE_FILE)} (keeps segment data and .acsync/ out of Git)` : ''}.`,
        ...(gitignore ? [] : [`${shown(GITIGNORE_FILE)} exists: add segments/, lake/ and .acsync/ to it to keep customer data out of Git.`]),
        'Next:',
        `  1. edit ${cfg}: your hostname, your people under roles, your list id and column names`,
        '  2. an administrator reads the data privacy note in it and sets dataPrivacyConsent: true',
        '  3. export AC_API_KEY=<your ActiveCampaign API key>',
        `  4. acsync validate${values.dir !== undefined ? ` -c ${cfg}` : ''}`,
      ].join('\n'),
      io.columns || PLAIN_WIDTH,
    ) + '\n',
  );
  return 0;
}
