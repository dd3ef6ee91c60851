import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { countLine, formatDiagnostic, formatDiagnostics } from '../../cli/diagnostics.ts';
import type { Diagnostic } from '../../engine/config/model.ts';
import { BASE, edit, posOf } from '../config/helpers.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { type CliRun, runBin } from '../helpers/workspace.ts';

/** The CLI in-process (cli/main.ts, as the bin runs it) in `cwd` with a clean, CI-like environment. */
async function acsync(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(args, { cwd, env: { PATH: process.env.PATH ?? '', CI: 'true', ...env } });
}

/** The real CLI as a subprocess in `cwd` with a clean, CI-like environment; resolves with the exit code instead of throwing. */
function sub(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runBin(args, { cwd, env: { PATH: process.env.PATH ?? '', CI: 'true', ...env } });
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'acsync-validate-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const SECRET = 'sk_live_5e4d3c2b1a0f9e8d';

describe('acsync validate (one test as a subprocess, the rest in-process)', () => {
  it('exits 0 for a valid ./acsync.yaml, showing warnings and a summary', async () => {
    const dir = project({ 'acsync.yaml': BASE });
    const r = await sub(['validate'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('acsync.yaml:10:13 warning connections.marketing.apiKey: environment variable AC_API_KEY is not set');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('acsync.yaml is valid: 2 exports on 1 connection (3 warnings)');
  });

  it('exits 1 and prints file:line:column severity path: message, a hint and the count', async () => {
    const broken = edit(edit(BASE, 'connection: marketing', 'connection: marketting'), 'apiKey: ${AC_API_KEY}', `apiKey: ${SECRET}`);
    const dir = project({ 'custom.yaml': broken });
    const r = await acsync(['validate', '-c', 'custom.yaml', '--no-color'], dir, { AC_API_KEY: 'x' });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(
      'custom.yaml:10:13 error connections.marketing.apiKey: apiKey must reference an environment variable: a literal API key is not allowed in the config file',
    );
    expect(lines).toContain("custom.yaml:16:17 error exports.vip.connection: unknown connection 'marketting'");
    expect(lines).toContain("  hint: did you mean 'marketing'?");
    expect(lines.at(-1)).toBe('2 errors, 2 warnings');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('--json prints one object per diagnostic, then the result', async () => {
    const dir = project({ 'acsync.yaml': edit(BASE, 'version: 1', 'version: 2') });
    const r = await acsync(['validate', '--json'], dir, { AC_API_KEY: 'x' });
    expect(r.code).toBe(1);
    const objects = expectValidEvents(r.stdout);
    // One shape for `diagnostic` in every command (JSON-EVENTS.md): the diagnostic nested under its name.
    expect(objects[0]).toMatchObject({ type: 'diagnostic', diagnostic: { severity: 'error', file: 'acsync.yaml', line: 1, column: 10, path: 'version' } });
    expect(objects.at(-1)).toEqual({ type: 'result', file: 'acsync.yaml', valid: false, errors: 1, warnings: 2 });
  });

  it('a missing config file is an error with advice, exit 1', async () => {
    const dir = project({});
    const r = await acsync(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('acsync.yaml error: config file not found');
    expect(r.stdout).toContain('acsync init');
  });

  it('emits GitHub workflow annotations under GITHUB_ACTIONS=true (CI=true GITHUB_ACTIONS=true acsync validate -c broken.yaml)', async () => {
    const broken = edit(BASE, 'connection: marketing', 'connection: marketting');
    const dir = project({ 'broken.yaml': broken });
    const r = await sub(['validate', '-c', 'broken.yaml'], dir, { GITHUB_ACTIONS: 'true', AC_API_KEY: 'x' });
    expect(r.code).toBe(1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toContain(
      "::error file=broken.yaml,line=16,col=17,title=acsync%3A exports.vip.connection::unknown connection 'marketting'%0Ahint: did you mean 'marketing'?",
    );
    // The human lines are still there, and warnings are annotated too.
    expect(r.stdout).toContain("broken.yaml:16:17 error exports.vip.connection: unknown connection 'marketting'");
    expect(annotations.some((l) => l.startsWith('::warning file=broken.yaml'))).toBe(true);
    // With --json, stdout stays pure NDJSON: the annotations go to stderr (the runner reads both).
    const json = await acsync(['validate', '-c', 'broken.yaml', '--json'], dir, { GITHUB_ACTIONS: 'true', AC_API_KEY: 'x' });
    expect(expectValidEvents(json.stdout).at(-1)).toMatchObject({ type: 'result', valid: false });
    expect(json.stderr).toContain('::error file=broken.yaml,line=16,col=17');
  });

  it('--connect checks the mapped columns of a CSV segment against its header, at the mapping line; offline it does not', async () => {
    const config = edit(BASE, '      email: EmailAddress', '      email: EmailAddress\n      firstName: First\n      lastName: Surname');
    const dir = project({ 'acsync.yaml': config });
    mkdirSync(path.join(dir, 'segments'));
    writeFileSync(path.join(dir, 'segments', 'vip.csv'), 'EmailAddress,First,Last\r\nana@contoso.example,Ana,Silva\r\n');
    writeFileSync(path.join(dir, 'segments', 'news.ndjson'), '{"email":"ben@contoso.example"}\n');
    const offline = await acsync(['validate'], dir, { AC_API_KEY: 'k' });
    expect(offline.code, offline.stdout).toBe(0);
    const r = await acsync(['validate', '--connect'], dir, { AC_API_KEY: 'k' });
    expect(r.code, r.stdout).toBe(1);
    const at = posOf(config, 'lastName: Surname');
    expect(r.stdout).toContain(
      `acsync.yaml:${at.line}:${at.column + 'lastName: '.length} error exports.vip.mapping.lastName: the segment has no column Surname; it has 'EmailAddress', 'First', 'Last'\n  hint: fix the mapping (names are case-sensitive) or the header of the file`,
    );
    expect(r.stdout).not.toContain('mapping.firstName');
    // NDJSON has no header to check (plan checks each record).
    expect(r.stdout).not.toContain('exports.newsletter');
  });

  it('an unknown flag is a clear error, exit 1; --help exits 0', async () => {
    const dir = project({});
    const bad = await acsync(['validate', '--strict'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Unknown option '--strict'");
    expect(bad.stderr).toContain('Usage: acsync validate');
    const help = await acsync(['validate', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--config PATH');
  });
});

describe('formatDiagnostic', () => {
  const d: Diagnostic = {
    severity: 'error',
    file: 'acsync.yaml',
    line: 9,
    column: 15,
    path: 'connections.marketing.hostname',
    message: 'hostname only, without https://',
    hint: 'write hostname: contoso.api-us1.com',
  };

  it('prints the location line and the hint line', () => {
    expect(formatDiagnostic(d, { color: false })).toBe(
      'acsync.yaml:9:15 error connections.marketing.hostname: hostname only, without https://\n  hint: write hostname: contoso.api-us1.com',
    );
  });

  it('colours only when asked, with the same text underneath', () => {
    const coloured = formatDiagnostic(d, { color: true });
    expect(coloured).toMatch(/\u001b\[31m/);
    expect(stripVTControlCharacters(coloured)).toBe(formatDiagnostic(d, { color: false }));
  });

  it('leaves out an empty path and the position of a whole-file problem', () => {
    expect(formatDiagnostic({ severity: 'warning', file: 'a.yaml', line: 0, column: 0, path: '', message: 'm' }, { color: false })).toBe('a.yaml warning: m');
  });

  it('counts errors and warnings', () => {
    const w: Diagnostic = { ...d, severity: 'warning' };
    expect(countLine([])).toBe('no problems');
    expect(countLine([d, d, w])).toBe('2 errors, 1 warning');
    expect(countLine([w, w])).toBe('2 warnings');
    expect(formatDiagnostics([d, w], { color: false }).split('\n').at(-1)).toBe('1 error, 1 warning');
  });
});
