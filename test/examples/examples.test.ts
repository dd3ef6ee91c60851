import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples');
const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(EXAMPLES, d.name, 'acsync.yaml')))
  .map((d) => d.name)
  .sort();

describe('examples', () => {
  it('include a quickstart and a multi-export setup', () => {
    expect(examples).toEqual(expect.arrayContaining(['quickstart', 'multi-export']));
  });

  for (const name of examples) {
    it(`${name}/acsync.yaml is valid, its segment files exist, and its API keys come from the environment`, async () => {
      // No env: an unset variable is a warning, and every other warning would be a real defect in the example.
      const { config, diagnostics } = await loadConfig(path.join('examples', name, 'acsync.yaml'), { cwd: ROOT, checks: { env: {}, segmentFiles: true } });
      expect(config, JSON.stringify(diagnostics, null, 1)).toBeDefined();
      const others = diagnostics.filter((d) => !/environment variable \w+ is not set/.test(d.message));
      expect(others).toEqual([]);
      expect(diagnostics.length).toBe(Object.keys(config!.connections).length);
    });
  }
});

describe('the commands in the examples\' comments', () => {
  // A first-time user copies these lines: the emulator's key and the key exported must be the README's.
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const readmeKey = /acsync emulator --api-key (\S+)/.exec(readme)?.[1];
  it('the README starts the emulator with a key and exports that key', () => {
    expect(readmeKey).toBeDefined();
    expect(readme).toContain(`export AC_API_KEY=${readmeKey}`);
  });
  for (const name of examples) {
    const text = readFileSync(path.join(EXAMPLES, name, 'acsync.yaml'), 'utf8');
    const comment = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    if (!/acsync emulator/.test(comment)) continue;
    it(`${name}: starts the emulator with the README's key and exports that same key`, () => {
      expect(/acsync emulator --api-key (\S+)/.exec(comment)?.[1]).toBe(readmeKey);
      expect([...comment.matchAll(/AC_API_KEY=(\S+)/g)].map((m) => m[1])).toEqual([readmeKey]);
    });
  }
});

describe('the multi-export segments', () => {
  it('parse in their declared formats (CSV, NDJSON, JSON array)', async () => {
    const { config } = await loadConfig(path.join(EXAMPLES, 'multi-export', 'acsync.yaml'));
    const kinds = new Set<string>();
    for (const e of Object.values(config!.exports)) {
      const text = readFileSync(e.segmentPath, 'utf8');
      const ext = path.extname(e.segmentPath);
      kinds.add(ext);
      const records: Array<Record<string, unknown>> =
        ext === '.json' ? JSON.parse(text) : ext === '.csv' ? parse(text, { columns: true }) : text.trim().split('\n').map((l) => JSON.parse(l));
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) expect(r).toHaveProperty(e.mapping.email);
    }
    expect([...kinds].sort()).toEqual(['.csv', '.json', '.ndjson']);
    expect(Object.values(config!.exports).some((e) => e.onLeave === 'unsubscribe' && e.schedule !== undefined)).toBe(true);
  });
});

describe('the quickstart segment', () => {
  const rows = parse(readFileSync(path.join(EXAMPLES, 'quickstart', 'segments', 'customers.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
  const emails = rows.map((r) => (r.EmailAddress ?? '').trim().toLowerCase());
  // Loose on purpose: it only has to show the file carries the invalid rows the demo is meant to skip.
  const plausible = (e: string): boolean => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e);

  it('holds about 50 profiles with accented names and mixed-case emails', async () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
    expect(rows.length).toBeLessThanOrEqual(60);
    expect(rows.some((r) => /[^\x00-\x7f]/.test(`${r.FirstName}${r.LastName}`))).toBe(true);
    expect(rows.some((r) => /[A-Z]/.test(r.EmailAddress ?? ''))).toBe(true);
  });

  it('has 2-3 invalid emails, 2 duplicates (one only by case) and a couple of empty phones', () => {
    const invalid = emails.filter((e) => !plausible(e));
    expect(invalid.length).toBeGreaterThanOrEqual(2);
    expect(invalid.length).toBeLessThanOrEqual(3);
    const valid = emails.filter(plausible);
    expect(valid.length - new Set(valid).size).toBe(2);
    const caseOnly = rows.filter((r) => /[A-Z]/.test(r.EmailAddress ?? '') && emails.filter((e) => e === (r.EmailAddress ?? '').toLowerCase()).length > 1);
    expect(caseOnly.length).toBeGreaterThanOrEqual(1);
    expect(rows.filter((r) => (r.Phone ?? '') === '').length).toBeGreaterThanOrEqual(2);
  });

  it('has every column the quickstart mapping names', async () => {
    const { config } = await loadConfig(path.join(EXAMPLES, 'quickstart', 'acsync.yaml'));
    const m = config!.exports.customers!.mapping;
    const columns = Object.keys(rows[0]!);
    for (const col of [m.email, m.firstName, m.lastName, m.phone, ...Object.values(m.fields)]) expect(columns).toContain(col);
    expect(m.fields).toHaveProperty('LOYALTY_TIER');
    expect(config!.connections.emulator!.hostname).toBe('127.0.0.1:4010');
    expect(config!.connections.emulator!.apiKeyEnv).toBe('AC_API_KEY');
    expect(config!.exports.customers!.listId).toBe('1');
  });

  it('include a GitHub Actions workflow on the action: validate and plan on pull requests (with the comment), apply the saved plan on main', () => {
    type Step = { uses?: string; with?: Record<string, string> };
    const workflow = parseYaml(readFileSync(path.join(EXAMPLES, 'github-actions', 'acsync.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: Record<string, { if?: string; needs?: string; permissions?: Record<string, string>; steps: Step[] }>;
    };
    const action = parseYaml(readFileSync(path.join(EXAMPLES, '..', 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    const commands = (job: string) => workflow.jobs[job]!.steps.filter((s) => /\/acsync@v1$/.test(s.uses ?? '')).map((s) => s.with?.['command']);
    expect(commands('plan')).toEqual(['validate', 'plan']);
    expect(workflow.jobs['plan']!.permissions?.['pull-requests']).toBe('write');
    expect(workflow.jobs['apply']!.needs).toBe('plan');
    expect(workflow.jobs['apply']!.if).toContain('refs/heads/main');
    expect(commands('apply')).toEqual(['apply']);
    for (const job of Object.values(workflow.jobs)) for (const step of job.steps) for (const input of Object.keys(step.with ?? {})) if (/\/acsync@v1$/.test(step.uses ?? '')) expect(action.inputs).toHaveProperty(input);
  });
});
