import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { type CliRun, runBin, unwrapped } from '../helpers/workspace.ts';

/** The CLI in-process through cli/main.ts (as the bin runs it), CI-like env. */
async function acsync(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(args, { cwd, env: { PATH: process.env.PATH ?? '', CI: 'true' } });
}

/** The real bin as a subprocess. */
function sub(args: string[], cwd: string): Promise<CliRun> {
  return runBin(args, { cwd, env: { PATH: process.env.PATH ?? '', CI: 'true' } });
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const tmp = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'acsync-init-'));
  made.push(dir);
  return dir;
};

describe('acsync init (the first test as a subprocess, the rest in-process)', () => {
  it('writes acsync.yaml and a sample segment that validate once a person gave the consent and replaced the placeholders', async () => {
    const dir = tmp();
    const r = await sub(['init'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Created acsync.yaml and segments/customers.csv');
    expect(unwrapped(r.stdout)).toContain('sets dataPrivacyConsent: true');
    // Laid out for 80 columns, broken between words (the first line ran to 108).
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    // As written: the consent is not pre-signed (an error until an administrator sets it), the placeholders warn.
    const written = await loadConfig('acsync.yaml', { cwd: dir, checks: { env: { AC_API_KEY: 'x' }, segmentFiles: true } });
    expect(written.diagnostics.map((d) => [d.severity, d.path])).toEqual(
      expect.arrayContaining([
        ['error', 'connections.marketing.dataPrivacyConsent'],
        ['warning', 'connections.marketing.hostname'],
        ['warning', 'roles.admins.0'],
      ]),
    );
    const v = await sub(['validate'], dir);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toMatch(/acsync\.yaml:\d+:\d+ error connections\.marketing\.dataPrivacyConsent/);
    expect(v.stdout + v.stderr).toMatch(/your-account\.api-us1\.com is the placeholder acsync init writes/);

    const file = path.join(dir, 'acsync.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('dataPrivacyConsent: false', 'dataPrivacyConsent: true')
        .replace('your-account.api-us1.com', 'contoso.api-us1.com')
        .replaceAll('admin@example.com', 'ana@contoso.example'),
    );
    const { config, diagnostics } = await loadConfig('acsync.yaml', { cwd: dir, checks: { env: { AC_API_KEY: 'x' }, segmentFiles: true } });
    expect(diagnostics).toEqual([]);
    const csv = readFileSync(path.join(dir, 'segments', 'customers.csv'), 'utf8');
    const header = csv.split('\n')[0]!.split(',');
    const m = config!.exports.customers!.mapping;
    for (const col of [m.email, m.firstName, m.lastName, m.phone, ...Object.values(m.fields)]) expect(header).toContain(col);
    // Editors find the schema through the modeline, relative to the new file.
    const modeline = /\$schema=(\S+)/.exec(readFileSync(path.join(dir, 'acsync.yaml'), 'utf8'))![1]!;
    expect(JSON.parse(readFileSync(path.resolve(dir, modeline), 'utf8'))).toHaveProperty('title', 'acsync configuration');
  });

  it('never overwrites: refuses, names the file and writes nothing', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'acsync.yaml'), 'mine: true\n');
    const r = await acsync(['init'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('acsync.yaml already exists');
    expect(r.stderr).toContain('never overwrites');
    expect(readFileSync(path.join(dir, 'acsync.yaml'), 'utf8')).toBe('mine: true\n');
    expect(() => readFileSync(path.join(dir, 'segments', 'customers.csv'))).toThrow();
  });

  it('--dir scaffolds into another folder, creating it', async () => {
    const dir = tmp();
    const r = await acsync(['init', '--dir', 'exports/new'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`acsync validate -c ${path.join('exports', 'new', 'acsync.yaml')}`);
    // Found and well-formed there; the only errors are the consent an administrator still has to give.
    const { diagnostics } = await loadConfig(path.join('exports', 'new', 'acsync.yaml'), { cwd: dir });
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.path)).toEqual([
      'connections.marketing.dataPrivacyConsent',
      'exports.customers.connection',
    ]);
  });

  it('rejects --force and other unknown flags with usage, exit 1', async () => {
    const r = await acsync(['init', '--force'], tmp());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Unknown option '--force'");
    expect(r.stderr).toContain('Usage: acsync init');
  });
});
