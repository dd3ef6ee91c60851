import { describe, expect, it } from 'vitest';
import { BASE, edit, errors, loadSource, posOf } from './helpers.ts';

interface Expected {
  path: string;
  message: RegExp;
  /** The text whose first character the diagnostic must point at, and which occurrence of it. */
  at: [needle: string, occurrence?: number];
}

interface RuleCase {
  rule: string;
  broken: string;
  errors: Expected[];
  /** A nearby config that the same rule accepts. */
  fixed: string;
}

const CASES: RuleCase[] = [
  {
    rule: 'unknown connection',
    broken: edit(BASE, 'connection: marketing', 'connection: marketting'),
    errors: [{ path: 'exports.vip.connection', message: /unknown connection 'marketting'/, at: ['marketting'] }],
    fixed: BASE,
  },
  {
    rule: 'owner is a contributor on an admins-only connection',
    broken: edit(BASE, 'owner: ana@contoso.example', 'owner: ben@contoso.example', 1),
    errors: [{ path: 'exports.newsletter.owner', message: /contributor.*usable by admins only/, at: ['ben@contoso.example', 1] }],
    fixed: edit(edit(BASE, 'owner: ana@contoso.example', 'owner: ben@contoso.example', 1), 'usableBy: admins', 'usableBy: admins-and-contributors'),
  },
  {
    rule: 'owner is nobody listed in roles',
    broken: edit(BASE, 'owner: ana@contoso.example', 'owner: zed@contoso.example'),
    errors: [{ path: 'exports.vip.owner', message: /zed@contoso\.example is not listed in roles/, at: ['zed@contoso.example'] }],
    fixed: edit(edit(BASE, 'owner: ana@contoso.example', 'owner: zed@contoso.example'), 'admins: [ana@contoso.example]', 'admins: [ana@contoso.example, zed@contoso.example]'),
  },
  {
    rule: 'exportUser is a contributor',
    broken: edit(BASE, 'exportUser: ana@contoso.example', 'exportUser: ben@contoso.example'),
    errors: [{ path: 'connections.marketing.exportUser', message: /contributor, but exports run as an administrator/, at: ['ben@contoso.example', 1] }],
    fixed: BASE,
  },
  {
    rule: 'exportUser is nobody listed',
    broken: edit(BASE, 'exportUser: ana@contoso.example', 'exportUser: Zed@Contoso.example'),
    errors: [{ path: 'connections.marketing.exportUser', message: /not listed in roles\.admins/, at: ['Zed@Contoso.example'] }],
    // People compare case-insensitively.
    fixed: edit(BASE, 'exportUser: ana@contoso.example', 'exportUser: Ana@Contoso.Example'),
  },
  {
    rule: 'dataPrivacyConsent false: the connection and every export on it',
    broken: edit(BASE, 'dataPrivacyConsent: true', 'dataPrivacyConsent: false'),
    errors: [
      { path: 'connections.marketing.dataPrivacyConsent', message: /no data privacy consent/, at: ['false'] },
      { path: 'exports.vip.connection', message: /export 'vip' may not send data/, at: ['marketing', 1] },
      { path: 'exports.newsletter.connection', message: /export 'newsletter' may not send data/, at: ['marketing', 2] },
    ],
    fixed: BASE,
  },
  {
    rule: 'dataPrivacyConsent missing counts as no consent',
    broken: edit(BASE, '    dataPrivacyConsent: true\n', ''),
    errors: [
      { path: 'connections.marketing', message: /no data privacy consent/, at: ['marketing:'] },
      { path: 'exports.vip.connection', message: /may not send data/, at: ['marketing', 1] },
      { path: 'exports.newsletter.connection', message: /may not send data/, at: ['marketing', 2] },
    ],
    fixed: BASE,
  },
  {
    rule: 'hostname with a scheme',
    broken: edit(BASE, 'hostname: contoso.api-us1.com', 'hostname: https://contoso.api-us1.com'),
    errors: [{ path: 'connections.marketing.hostname', message: /hostname only, without https:\/\//, at: ['https://'] }],
    fixed: edit(BASE, 'hostname: contoso.api-us1.com', 'hostname: 127.0.0.1:4010'),
  },
  {
    rule: 'hostname with a path',
    broken: edit(BASE, 'hostname: contoso.api-us1.com', 'hostname: contoso.api-us1.com/api/3'),
    errors: [{ path: 'connections.marketing.hostname', message: /without a path/, at: ['contoso.api-us1.com/api/3'] }],
    fixed: BASE,
  },
  {
    rule: 'hostname with spaces',
    broken: edit(BASE, 'hostname: contoso.api-us1.com', 'hostname: "contoso api-us1.com"'),
    errors: [{ path: 'connections.marketing.hostname', message: /must not contain spaces/, at: ['"contoso api'] }],
    fixed: BASE,
  },
  {
    rule: 'literal apiKey',
    broken: edit(BASE, 'apiKey: ${AC_API_KEY}', 'apiKey: sk_live_0123456789abcdef'),
    errors: [{ path: 'connections.marketing.apiKey', message: /must reference an environment variable/, at: ['sk_live_'] }],
    fixed: BASE,
  },
  {
    rule: 'empty apiKey',
    broken: edit(BASE, 'apiKey: ${AC_API_KEY}', 'apiKey:'),
    errors: [{ path: 'connections.marketing.apiKey', message: /apiKey is empty/, at: ['apiKey:'] }],
    fixed: BASE,
  },
  {
    rule: 'apiKey with text around the reference',
    broken: edit(BASE, 'apiKey: ${AC_API_KEY}', 'apiKey: "Bearer ${AC_API_KEY}"'),
    errors: [{ path: 'connections.marketing.apiKey', message: /exactly one environment variable reference/, at: ['"Bearer'] }],
    fixed: BASE,
  },
  {
    rule: 'two exports writing the same list on the same connection',
    broken: edit(BASE, 'listId: 4', 'listId: "3"'),
    errors: [{ path: 'exports.newsletter.listId', message: /list 3 on connection 'marketing' is already written by export 'vip' \(line 19\)/, at: ['"3"'] }],
    // A disabled export never writes, so it may keep pointing at the list it used to feed.
    fixed: edit(BASE, 'listId: 4', 'listId: 3\n    enabled: false'),
  },
  {
    rule: 'duplicate YAML keys',
    broken: edit(BASE, '    listId: 3\n', '    listId: 3\n    listId: 5\n'),
    errors: [{ path: 'exports.vip.listId', message: /duplicate key 'listId' \(first defined at line 19\)/, at: ['listId: 5'] }],
    fixed: BASE,
  },
  {
    rule: 'version other than 1',
    broken: edit(BASE, 'version: 1', 'version: 2'),
    errors: [{ path: 'version', message: /unsupported config version 2/, at: ['2'] }],
    fixed: BASE,
  },
  {
    rule: 'cron syntax',
    broken: edit(BASE, '"0 2 * * *"', '"0 25 * * *"'),
    errors: [{ path: 'exports.vip.schedule', message: /invalid cron schedule: .*hour/, at: ['"0 25'] }],
    fixed: edit(BASE, '"0 2 * * *"', '"*/15 8-18 * * 1-5"'),
  },
  {
    rule: 'cron with a missing field',
    broken: edit(BASE, '"0 2 * * *"', '"0 2 * *"'),
    errors: [{ path: 'exports.vip.schedule', message: /invalid cron schedule/, at: ['"0 2 * *"'] }],
    fixed: BASE,
  },
  {
    rule: 'time zone not in the IANA database',
    broken: edit(BASE, '    schedule: "0 2 * * *"\n', '    schedule: "0 2 * * *"\n    timezone: Europe/Pariss\n'),
    errors: [{ path: 'exports.vip.timezone', message: /unknown time zone 'Europe\/Pariss'/, at: ['Europe/Pariss'] }],
    fixed: edit(BASE, '    schedule: "0 2 * * *"\n', '    schedule: "0 2 * * *"\n    timezone: Europe/Paris\n'),
  },
  {
    rule: 'a typo in a property name (additionalProperties)',
    broken: edit(BASE, '    listId: 4\n', '    listId: 4\n    onleave: unsubscribe\n'),
    errors: [{ path: 'exports.newsletter.onleave', message: /unknown property 'onleave'/, at: ['onleave'] }],
    fixed: edit(BASE, '    listId: 4\n', '    listId: 4\n    onLeave: unsubscribe\n'),
  },
];

describe('cross-reference rules', () => {
  it('the base config is valid', async () => {
    const { config, diagnostics } = await loadSource(BASE);
    expect(diagnostics).toEqual([]);
    expect(config).toBeDefined();
  });

  for (const c of CASES) {
    it(`${c.rule}: reported at the exact line and column`, async () => {
      const { config, diagnostics } = await loadSource(c.broken);
      expect(config).toBeUndefined();
      const got = errors(diagnostics).map((d) => ({ path: d.path, line: d.line, column: d.column, message: d.message }));
      const want = c.errors.map((e) => ({ path: e.path, ...posOf(c.broken, e.at[0], e.at[1] ?? 0), message: expect.stringMatching(e.message) }));
      expect(got).toEqual(want);
      for (const d of diagnostics) expect(d.file).toBe('acsync.yaml');
    });

    it(`${c.rule}: a corrected config passes`, async () => {
      const { config, diagnostics } = await loadSource(c.fixed);
      expect(errors(diagnostics)).toEqual([]);
      expect(config).toBeDefined();
    });
  }
});
