import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadOptions } from '../../engine/config/load.ts';
import type { Diagnostic, LoadResult } from '../../engine/config/model.ts';
import { afterAll } from 'vitest';

/** A valid config the rule tests break one line at a time. */
export const BASE = `version: 1
roles:
  admins: [ana@contoso.example]
  contributors: [ben@contoso.example]
connections:
  marketing:
    type: activecampaign
    displayName: Marketing
    hostname: contoso.api-us1.com
    apiKey: \${AC_API_KEY}
    usableBy: admins
    dataPrivacyConsent: true
    exportUser: ana@contoso.example
exports:
  vip:
    connection: marketing
    owner: ana@contoso.example
    segment: segments/vip.csv
    listId: 3
    mapping:
      email: EmailAddress
    schedule: "0 2 * * *"
  newsletter:
    connection: marketing
    owner: ana@contoso.example
    segment: segments/news.ndjson
    listId: 4
    mapping:
      email: email
`;

/** Replaces the n-th (0-based) occurrence of `from`; throws if it is missing, so a stale edit cannot pass. */
export function edit(src: string, from: string, to: string, occurrence = 0): string {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = src.indexOf(from, at + 1);
    if (at === -1) throw new Error(`edit: '${from}' (occurrence ${occurrence}) not in source`);
  }
  return src.slice(0, at) + to + src.slice(at + from.length);
}

/** 1-based line and column of the n-th occurrence of `needle`: an oracle independent of the YAML parser. */
export function posOf(src: string, needle: string, occurrence = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = src.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`posOf: '${needle}' (occurrence ${occurrence}) not in source`);
  }
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** Folders tempDir made for the test file that imported this one: removed once its tests are done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'acsync-config-'));
  made.push(dir);
  return dir;
}

/** Writes `src` as acsync.yaml in a fresh folder and loads it from there. */
export async function loadSource(src: string, options: LoadOptions = {}): Promise<LoadResult & { dir: string }> {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'acsync.yaml'), src);
  const result = await loadConfig('acsync.yaml', { cwd: dir, ...options });
  return { ...result, dir };
}

export function errors(list: Diagnostic[]): Diagnostic[] {
  return list.filter((d) => d.severity === 'error');
}
