import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig, resolveApiKey } from '../../engine/config/load.ts';
import { BASE, edit, errors, loadSource, posOf, tempDir } from './helpers.ts';

const SECRET = 'sk_live_9f8e7d6c5b4a39281706';

describe('loadConfig: the resolved config', () => {
  it('resolves listId to a string, the segment path against the config folder, and applies defaults', async () => {
    const { config, dir } = await loadSource(BASE);
    expect(config).toBeDefined();
    const vip = config!.exports.vip!;
    expect(vip.listId).toBe('3');
    expect(vip.segmentPath).toBe(path.join(dir, 'segments', 'vip.csv'));
    expect(vip.segment).toBe('segments/vip.csv');
    expect(vip).toMatchObject({
      onLeave: 'keep',
      enabled: true,
      maxUnsubscribe: 0.1,
      tags: [],
      excludeAutomations: false,
      schedule: '0 2 * * *',
      mapping: { email: 'EmailAddress', fields: {} },
    });
    expect(vip).not.toHaveProperty('timezone');
    expect(config!.connections.marketing).toEqual({
      id: 'marketing',
      type: 'activecampaign',
      displayName: 'Marketing',
      hostname: 'contoso.api-us1.com',
      apiKeyEnv: 'AC_API_KEY',
      usableBy: 'admins',
      dataPrivacyConsent: true,
      exportUser: 'ana@contoso.example',
    });
    expect(config!.roles).toEqual({ admins: ['ana@contoso.example'], contributors: ['ben@contoso.example'] });
    expect(config!.file).toBe(path.join(dir, 'acsync.yaml'));
    expect(config!.displayFile).toBe('acsync.yaml');
  });

  it('defaults usableBy to admins and contributors to none', async () => {
    const src = edit(edit(BASE, '    usableBy: admins\n', ''), '  contributors: [ben@contoso.example]\n', '');
    const { config } = await loadSource(src);
    expect(config!.connections.marketing!.usableBy).toBe(CONFIG_DEFAULTS.usableBy);
    expect(config!.roles.contributors).toEqual([]);
  });

  it('keeps the optional fields the user set', async () => {
    const src = edit(
      BASE,
      '    mapping:\n      email: email\n',
      '    mapping:\n      email: email\n      firstName: given\n      phone: tel\n      fields:\n        LOYALTY_TIER: tier\n' +
        '    onLeave: unsubscribe\n    maxUnsubscribe: 0.25\n    tags: [acsync, news]\n    excludeAutomations: true\n    enabled: false\n',
    );
    const { config } = await loadSource(src);
    expect(config!.exports.newsletter).toMatchObject({
      mapping: { email: 'email', firstName: 'given', phone: 'tel', fields: { LOYALTY_TIER: 'tier' } },
      onLeave: 'unsubscribe',
      maxUnsubscribe: 0.25,
      tags: ['acsync', 'news'],
      excludeAutomations: true,
      enabled: false,
    });
    expect(config!.exports.newsletter!.mapping).not.toHaveProperty('lastName');
  });

  it('records positions by dotted path for later stages', async () => {
    const { config } = await loadSource(BASE);
    expect(config!.locations['exports.vip.mapping.email']).toEqual(posOf(BASE, 'EmailAddress'));
    expect(config!.locations['exports.newsletter.segment']).toEqual(posOf(BASE, 'segments/news.ndjson'));
    // Maps point at their key: that is where "exports.vip" reads as a place.
    expect(config!.locations['exports.vip']).toEqual({ line: 15, column: 3 });
    expect(config!.locations['roles.admins.0']).toEqual(posOf(BASE, 'ana@contoso.example'));
  });
});

describe('loadConfig: schema errors point at the YAML', () => {
  it('a missing required property points at the map that lacks it', async () => {
    const src = edit(BASE, '      email: email\n', '      firstName: given\n');
    const { diagnostics } = await loadSource(src);
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({ path: 'exports.newsletter.mapping', line: 28, column: 5, message: "missing required property 'email'" }),
    ]);
    expect(diagnostics[0]!.hint).toMatch(/email address/);
  });

  it('a wrong type and a wrong enum value point at the value', async () => {
    const src = edit(edit(BASE, 'listId: 4', 'listId: [4]'), '    listId: 3\n', '    listId: 3\n    onLeave: delete\n');
    const { diagnostics } = await loadSource(src);
    expect(errors(diagnostics).map((d) => [d.path, d.line, d.column, d.message])).toEqual([
      ['exports.vip.onLeave', ...Object.values(posOf(src, 'delete')), 'must be one of: keep, unsubscribe'],
      ['exports.newsletter.listId', ...Object.values(posOf(src, 'listId: [4]')), 'must be a whole number or a string, not a list'],
    ]);
  });

  it('an unknown property gets a did-you-mean hint naming the right one', async () => {
    const src = edit(BASE, '      email: email\n', '      email: email\n      fristName: given\n');
    const { diagnostics } = await loadSource(src);
    expect(diagnostics).toEqual([
      expect.objectContaining({ path: 'exports.newsletter.mapping.fristName', ...posOf(src, 'fristName'), hint: "did you mean 'firstName'?" }),
    ]);
  });

  it('an invalid custom field tag points at the key', async () => {
    const src = edit(BASE, '      email: email\n', '      email: email\n      fields:\n        "%tier%": Tier\n');
    const { diagnostics } = await loadSource(src);
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({ path: 'exports.newsletter.mapping.fields.%tier%', ...posOf(src, '"%tier%"'), message: expect.stringMatching(/personalization tag in capitals/) }),
    ]);
  });

  it('reports every problem of a file in one run, sorted by position', async () => {
    let src = edit(BASE, 'version: 1', 'version: 3');
    src = edit(src, 'hostname: contoso.api-us1.com', 'hostname: http://contoso.api-us1.com/');
    src = edit(src, 'connection: marketing', 'connection: nope', 1);
    src = edit(src, '    listId: 3\n', '    listId: 3\n    enabeld: true\n');
    const { diagnostics } = await loadSource(src);
    expect(diagnostics.map((d) => d.path)).toEqual(['version', 'connections.marketing.hostname', 'exports.vip.enabeld', 'exports.newsletter.connection']);
    const lines = diagnostics.map((d) => d.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});

describe('loadConfig: the API key is a secret', () => {
  const variants: Array<[string, string]> = [
    ['a literal key', edit(BASE, 'apiKey: ${AC_API_KEY}', `apiKey: ${SECRET}`)],
    ['a quoted literal key', edit(BASE, 'apiKey: ${AC_API_KEY}', `apiKey: "${SECRET}"`)],
    ['a key on a line with a YAML syntax error', edit(BASE, 'apiKey: ${AC_API_KEY}', `apiKey: "${SECRET}`)],
    ['a key under a misspelled property', edit(BASE, 'apiKey: ${AC_API_KEY}', `apiKey: \${AC_API_KEY}\n    api_key: ${SECRET}`)],
  ];
  for (const [name, src] of variants) {
    it(`never repeats ${name} in any diagnostic`, async () => {
      const { diagnostics, config } = await loadSource(src);
      expect(config).toBeUndefined();
      expect(diagnostics.length).toBeGreaterThan(0);
      expect(JSON.stringify(diagnostics)).not.toContain(SECRET);
      expect(JSON.stringify(diagnostics)).not.toContain(SECRET.slice(0, 12));
    });
  }

  it('resolveApiKey names the variable when it is unset, and returns the key when set', () => {
    const conn = { id: 'marketing', type: 'activecampaign', displayName: 'M', hostname: 'h.example', apiKeyEnv: 'AC_TEST_KEY', usableBy: 'admins', dataPrivacyConsent: true, exportUser: 'a@b.example' } as const;
    const missing = resolveApiKey(conn, {});
    expect(missing).toEqual({ error: expect.stringContaining('AC_TEST_KEY'), hint: expect.stringContaining('AC_TEST_KEY') });
    expect(resolveApiKey(conn, { AC_TEST_KEY: '   ' })).toHaveProperty('error');
    expect(resolveApiKey(conn, { AC_TEST_KEY: `${SECRET}\n` })).toEqual({ key: SECRET });
  });
});

describe('loadConfig: the file itself', () => {
  it('a YAML syntax error is reported at its line and column, and stops there', async () => {
    const src = edit(BASE, 'admins: [ana@contoso.example]', 'admins: [ana@contoso.example');
    const { diagnostics } = await loadSource(src);
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', path: '', line: 4, column: 3, message: expect.stringMatching(/^YAML syntax: .*\]/) }),
    ]);
  });

  it('a tab used for indentation is a syntax error with a hint', async () => {
    const src = edit(BASE, '    type: activecampaign', '\ttype: activecampaign');
    const { diagnostics } = await loadSource(src);
    expect(diagnostics[0]).toMatchObject({ line: 7, column: 1, message: expect.stringMatching(/YAML syntax/) });
  });

  it('a missing file is one diagnostic about the whole file', async () => {
    const dir = tempDir();
    const r = await loadConfig('nope.yaml', { cwd: dir });
    expect(r).toEqual({ diagnostics: [{ severity: 'error', file: 'nope.yaml', line: 0, column: 0, path: '', message: 'config file not found', hint: expect.stringContaining('acsync init') }] });
  });

  it('an empty file says so', async () => {
    const { diagnostics } = await loadSource('# nothing yet\n');
    expect(diagnostics).toEqual([expect.objectContaining({ line: 1, column: 1, message: 'the config file is empty' })]);
  });

  it('names the file relative to cwd, or absolute when outside it', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'conf'));
    writeFileSync(path.join(dir, 'conf', 'a.yaml'), 'version: 1\n');
    const inside = await loadConfig('conf/a.yaml', { cwd: dir });
    expect(inside.diagnostics[0]!.file).toBe(path.join('conf', 'a.yaml'));
    const outside = await loadConfig(path.join(dir, 'conf', 'a.yaml'), { cwd: path.join(dir, 'conf', 'elsewhere') });
    expect(outside.diagnostics[0]!.file).toBe(path.join(dir, 'conf', 'a.yaml'));
  });
});

describe('loadConfig: checks of the world around the file (validate)', () => {
  it('warns about unset apiKey variables and missing segment files, and the config stays valid', async () => {
    const { config, diagnostics, dir } = await loadSource(BASE, { checks: { env: {}, segmentFiles: true } });
    expect(config).toBeDefined();
    expect(diagnostics.map((d) => [d.severity, d.path, d.line, d.column])).toEqual([
      ['warning', 'connections.marketing.apiKey', ...Object.values(posOf(BASE, '${AC_API_KEY}'))],
      ['warning', 'exports.vip.segment', ...Object.values(posOf(BASE, 'segments/vip.csv'))],
      ['warning', 'exports.newsletter.segment', ...Object.values(posOf(BASE, 'segments/news.ndjson'))],
    ]);
    expect(diagnostics[0]!.message).toContain('AC_API_KEY');
    expect(dir).toBeTruthy();
  });

  it('is quiet when the variable is set and the segments exist', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'segments'));
    writeFileSync(path.join(dir, 'segments', 'vip.csv'), 'EmailAddress\n');
    writeFileSync(path.join(dir, 'segments', 'news.ndjson'), '');
    writeFileSync(path.join(dir, 'acsync.yaml'), BASE);
    const r = await loadConfig('acsync.yaml', { cwd: dir, checks: { env: { AC_API_KEY: 'x' }, segmentFiles: true } });
    expect(r.diagnostics).toEqual([]);
  });
});
