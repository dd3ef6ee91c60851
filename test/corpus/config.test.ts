/**
 * Bad-input corpus, configs: each malformed acsync.yaml gets an error that names the file, the line (and column),
 * what is wrong and, where there is something to say, what to do; and a config with errors never loads, so no
 * command can send anything. One case per row.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';

/** A valid config; each case breaks it in one place. Line numbers below refer to this text. */
const BASE = `version: 1
roles:
  admins: [ana@contoso.example]
connections:
  ac:
    type: activecampaign
    displayName: Test account
    hostname: 127.0.0.1:4999
    apiKey: \${AC_API_KEY}
    dataPrivacyConsent: true
    exportUser: ana@contoso.example
exports:
  customers:
    connection: ac
    owner: ana@contoso.example
    segment: seg.csv
    listId: 1
    onLeave: keep
    mapping:
      email: Email
      firstName: First
      fields:
        LOYALTY_TIER: Tier
`;

function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`case edits '${from}', which BASE does not contain`);
  return BASE.replace(from, to);
}

interface ConfigCase {
  name: string;
  source: string | Buffer;
  /** The error expected: its line (0: the whole file), dotted path, message and hint. */
  line: number;
  path?: string;
  message: RegExp;
  hint?: RegExp;
}

const CASES: ConfigCase[] = [
  { name: 'YAML syntax: an unclosed [', source: edit('listId: 1', 'listId: [1'), line: 18, message: /YAML syntax/, hint: /indentation/ },
  { name: 'a tab used for indentation', source: edit('    listId: 1', '\tlistId: 1'), line: 17, message: /Tabs are not allowed/, hint: /spaces, not tabs/ },
  { name: 'a duplicate key', source: edit('    listId: 1', '    listId: 1\n    listId: 2'), line: 18, path: 'exports.customers.listId', message: /duplicate key 'listId' \(first defined at line 17\)/, hint: /keeps only the last one/ },
  { name: 'a misspelled top-level key', source: BASE + 'exprots: {}\n', line: 24, path: 'exprots', message: /unknown property 'exprots'/, hint: /did you mean 'exports'/ },
  { name: 'a misspelled export key (case)', source: edit('onLeave: keep', 'onleave: keep'), line: 18, path: 'exports.customers.onleave', message: /unknown property 'onleave'/, hint: /did you mean 'onLeave'/ },
  { name: 'no version', source: edit('version: 1\n', ''), line: 1, message: /missing required property 'version'/, hint: /Only 1 exists/ },
  { name: 'a future version', source: edit('version: 1', 'version: 2'), line: 1, path: 'version', message: /unsupported config version 2/, hint: /version: 1/ },
  { name: 'listId not a number', source: edit('listId: 1', 'listId: abc'), line: 17, path: 'exports.customers.listId', message: /positive whole number/ },
  { name: 'listId 0', source: edit('listId: 1', 'listId: 0'), line: 17, path: 'exports.customers.listId', message: /at least 1/ },
  { name: 'onLeave: delete', source: edit('onLeave: keep', 'onLeave: delete'), line: 18, path: 'exports.customers.onLeave', message: /one of: keep, unsubscribe/ },
  { name: 'maxUnsubscribe above 1', source: edit('onLeave: keep', 'onLeave: keep\n    maxUnsubscribe: 2'), line: 19, path: 'exports.customers.maxUnsubscribe', message: /at most 1/ },
  { name: 'an unknown connection', source: edit('connection: ac', 'connection: nope'), line: 14, path: 'exports.customers.connection', message: /unknown connection 'nope'/, hint: /defined connections: ac/ },
  { name: 'an owner not in roles', source: edit('owner: ana@contoso.example', 'owner: zoe@contoso.example'), line: 15, path: 'exports.customers.owner', message: /zoe@contoso\.example is not listed in roles/, hint: /add this person to roles/ },
  { name: 'an exportUser who is not an admin', source: edit('exportUser: ana@contoso.example', 'exportUser: zoe@contoso.example'), line: 11, path: 'connections.ac.exportUser', message: /not listed in roles\.admins/, hint: /add this person to roles\.admins/ },
  { name: 'no data privacy consent', source: edit('dataPrivacyConsent: true', 'dataPrivacyConsent: false'), line: 10, path: 'connections.ac.dataPrivacyConsent', message: /no data privacy consent/, hint: /set dataPrivacyConsent: true/ },
  { name: 'a hostname with https://', source: edit('hostname: 127.0.0.1:4999', 'hostname: https://contoso.api-us1.com'), line: 8, path: 'connections.ac.hostname', message: /without https:\/\//, hint: /hostname: contoso\.api-us1\.com/ },
  { name: 'a hostname with a path', source: edit('hostname: 127.0.0.1:4999', 'hostname: contoso.api-us1.com/api/3'), line: 8, path: 'connections.ac.hostname', message: /without a path/ },
  { name: 'an API key written in the file', source: edit('apiKey: ${AC_API_KEY}', 'apiKey: 0123456789abcdef0123456789abcdef'), line: 9, path: 'connections.ac.apiKey', message: /literal API key is not allowed/, hint: /environment variable.*rotate it/ },
  { name: 'a connection type acsync does not know', source: edit('type: activecampaign', 'type: mailchimp'), line: 6, path: 'connections.ac.type', message: /must be "activecampaign"/ },
  { name: 'no email mapping', source: edit('      email: Email\n', ''), line: 19, path: 'exports.customers.mapping', message: /missing required property 'email'/ },
  { name: 'a segment that is not csv/ndjson/json', source: edit('segment: seg.csv', 'segment: seg.xlsx'), line: 16, path: 'exports.customers.segment', message: /'seg.xlsx' as a segment: unknown file type/ },
  { name: 'an invalid cron schedule', source: edit('onLeave: keep', 'onLeave: keep\n    schedule: "99 * * * *"'), line: 19, path: 'exports.customers.schedule', message: /invalid cron schedule/, hint: /five fields/ },
  {
    name: 'two exports writing one list',
    source: BASE + '  again:\n    connection: ac\n    owner: ana@contoso.example\n    segment: seg.csv\n    listId: 1\n    mapping:\n      email: Email\n',
    line: 28,
    path: 'exports.again.listId',
    message: /already written by export 'customers' \(line 17\)/,
    hint: /merge their segments/,
  },
  { name: 'an admin that is not an email', source: edit('admins: [ana@contoso.example]', 'admins: [ana]'), line: 3, path: 'roles.admins.0', message: /must be an email address/ },
  { name: 'an empty file', source: '', line: 1, message: /the config file is empty/, hint: /acsync init/ },
  { name: 'a YAML list instead of a map', source: '- a\n- b\n', line: 1, message: /must be a map .*not a list/ },
  { name: 'binary data (a PNG)', source: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3, 0xff, 0xfe]), line: 1, message: /not valid UTF-8 \(byte 0x89 at line 1, column 1\)/, hint: /save the config as UTF-8/ },
  { name: 'saved as Latin-1 (é is one byte 0xE9)', source: Buffer.from(edit('displayName: Test account', 'displayName: Café account'), 'latin1'), line: 7, message: /not valid UTF-8 \(byte 0xe9 at line 7, column 21\)/, hint: /UTF-8/ },
  {
    name: 'an alias bomb (billion laughs)',
    source: 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
    line: 0,
    message: /resource exhaustion/,
  },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-corpus-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bad configs: file, line, what is wrong, what to do; nothing loads', () => {
  it.each(CASES)('$name', async (c) => {
    const caseDir = await mkdtemp(path.join(dir, 'case-'));
    await writeFile(path.join(caseDir, 'acsync.yaml'), c.source);
    const r = await loadConfig(path.join(caseDir, 'acsync.yaml'), { cwd: caseDir });
    expect(r.config).toBeUndefined();
    const match = r.diagnostics.find((d) => d.severity === 'error' && c.message.test(d.message));
    expect(match, JSON.stringify(r.diagnostics, null, 1)).toBeDefined();
    expect(match!.file).toBe('acsync.yaml');
    expect(match!.line).toBe(c.line);
    if (c.line > 0) expect(match!.column).toBeGreaterThan(0);
    if (c.path !== undefined) expect(match!.path).toBe(c.path);
    if (c.hint !== undefined) expect(match!.hint).toMatch(c.hint);
  });

  it.each([
    ['a missing config file', 'missing.yaml', /config file not found/, /acsync init.*-c PATH/],
    ['a folder named as the config', 'folder.yaml', /a folder, not a config file/, /-c PATH/],
  ])('%s', async (_name, file, message, hint) => {
    await mkdir(path.join(dir, 'folder.yaml'), { recursive: true });
    const r = await loadConfig(path.join(dir, file), { cwd: dir });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file, line: 0, message: expect.stringMatching(message), hint: expect.stringMatching(hint) })]);
  });
});
