/**
 * Crafted segment values never become data (issue 13, items 3 and 4): a NUL byte anywhere in a mapped value (also
 * past the first 8,000 bytes, where the binary sniffing stops), a lone UTF-16 surrogate, a JSON object in a field,
 * a key written twice. Each is a row error with a reason; arrays of scalars become ActiveCampaign's multi-value
 * text. Through the real CLI against the emulator over loopback, and the emulator's state checked afterwards.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { topLevelKeyCount } from '../../engine/segment/json-values.ts';
import { valueProblem } from '../../engine/segment/normalize.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

/** The real CLI as a subprocess, CI=true (test/helpers/workspace.ts). */
const cli = (args: string[]) => ws.cli(args);

interface JsonChange {
  action: string;
  email: string;
  row?: number;
  reasonCode?: string;
  reason?: string;
}

async function plan(): Promise<JsonChange[]> {
  const r = await cli(['plan', '--json', '--no-mask-emails']);
  expect(r.code, r.stderr).toBe(0);
  // Every event valid against schemas/events.schema.json (invalid-value included).
  const done = (expectValidEvents(r.stdout) as Array<{ type: string; plan?: { changes: JsonChange[] } }>).find((e) => e.type === 'plan:done');
  return done!.plan!.changes;
}

describe('hostile segment values', { timeout: 60_000 }, () => {
  it('a NUL past the first 8,000 bytes of a CSV is a row error, in an email and in a name; nothing of it is sent', async () => {
    const filler: Array<[string, string, string]> = Array.from({ length: 200 }, (_, i) => [`p${i}@contoso.example`, `Name${i}`, 'Filler-filler-filler-filler']);
    const rows: Array<[string, string?, string?]> = [...filler, ['nul\u0000@contoso.example', 'Nul'], ['ana@contoso.example', 'A\u0000na'], ['ben@contoso.example', 'Ben']];
    const text = csv(rows);
    expect(text.indexOf('\u0000')).toBeGreaterThan(8_000);
    await ws.write('seg.csv', text);
    await ws.config([{ segment: 'seg.csv', fields: false }]);

    const changes = await plan();
    const skips = changes.filter((c) => c.reasonCode === 'invalid-value');
    expect(skips.map((s) => [s.row, s.reason])).toEqual([
      [202, 'column Email contains a NUL byte'],
      [203, 'column First contains a NUL byte'],
    ]);
    expect(changes.find((c) => c.email === 'ben@contoso.example')?.action).toBe('create');

    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    const members = await listMembers(emulator, 1);
    expect(members).toHaveLength(201);
    expect(JSON.stringify(members)).not.toContain('\\u0000');
    expect(members.find((m) => m.email === 'ana@contoso.example')).toBeUndefined();
  });

  it('JSON: objects are row errors, arrays become multi-value text, a repeated key and a lone surrogate are row errors', async () => {
    const lines = [
      { Email: 'ana@contoso.example', First: 'Ana', Tier: ['Gold', 'VIP'] },
      { Email: 'ben@contoso.example', First: 'Ben', Tier: { level: 'Gold' } },
      { Email: 'chloe@contoso.example', First: 'Chloé', Tier: [['nested']] },
      { Email: 'dan@contoso.example', First: 'Dan', Last: 'Müller', Phone: '555-0100' },
    ].map((o) => JSON.stringify(o));
    lines.push('{"Email":"eve@contoso.example","First":"Eve","Email":"mallory@contoso.example"}');
    lines.push('{"Email":"fay@contoso.example","First":"F\\ud800ay"}');
    lines.push('{"Email":"gus@contoso.example","First":"Gus \\ud83d\\ude00"}');
    await ws.write('seg.ndjson', lines.join('\n') + '\n');
    await ws.config([{ segment: 'seg.ndjson' }]);

    const changes = await plan();
    const by = (email: string) => changes.find((c) => c.email === email);
    expect(by('ana@contoso.example')).toMatchObject({ action: 'create' });
    expect(by('ben@contoso.example')).toMatchObject({ action: 'skip', reasonCode: 'invalid-value', reason: 'key Tier holds a JSON object; only text, numbers, booleans and arrays of them can be sent' });
    expect(by('chloe@contoso.example')).toMatchObject({ action: 'skip', reasonCode: 'invalid-value', reason: expect.stringContaining('array with an object or array inside') });
    expect(changes.find((c) => c.row === 5)).toMatchObject({ action: 'skip', reasonCode: 'invalid-value', reason: 'key Email appears twice in this profile; acsync cannot tell which value is meant' });
    expect(changes.find((c) => c.row === 6)).toMatchObject({ action: 'skip', reasonCode: 'invalid-value', reason: 'column First contains a lone UTF-16 surrogate (not valid Unicode text)' });
    expect(by('gus@contoso.example')).toMatchObject({ action: 'create' });

    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    const members = await listMembers(emulator, 1);
    expect(members.map((m) => m.email).sort()).toEqual(['ana@contoso.example', 'dan@contoso.example', 'gus@contoso.example']);
    expect(members.find((m) => m.email === 'ana@contoso.example')!.fields['LOYALTY_TIER']).toBe('||Gold||VIP||');
  });

  it('a JSON array segment gets the same rules', async () => {
    await ws.write('seg.json', '[{"Email":"ana@contoso.example","Last":"Silva","Phone":"1","Tier":{"x":1}},\n{"Email":"ben@contoso.example","First":"Ben","First":"B"}]\n');
    await ws.config([{ segment: 'seg.json' }]);
    const changes = await plan();
    expect(changes.map((c) => [c.row, c.reasonCode])).toEqual([
      [1, 'invalid-value'],
      [2, 'invalid-value'],
    ]);
  });
});

describe('value checks', () => {
  it.each([
    ['plain', 'Ana', undefined],
    ['emoji (a valid surrogate pair)', 'Ana \u{1F600}', undefined],
    ['NUL', 'A\u0000', 'contains a NUL byte'],
    ['lone high surrogate', 'A\uD800', 'contains a lone UTF-16 surrogate (not valid Unicode text)'],
    ['lone low surrogate', '\uDC00A', 'contains a lone UTF-16 surrogate (not valid Unicode text)'],
  ])('%s', (_n, value, expected) => {
    expect(valueProblem(value)).toBe(expected);
  });

  it('counts top-level keys only, escapes included', () => {
    expect(topLevelKeyCount('{"a":1,"b":{"a":2}}', 'a')).toBe(1);
    expect(topLevelKeyCount('{"a":1,"a":2}', 'a')).toBe(2);
    expect(topLevelKeyCount('{"a":1,"\\u0061":2}', 'a')).toBe(2);
    expect(topLevelKeyCount('{"x":"\\"a\\":","a":1}', 'a')).toBe(1);
    expect(topLevelKeyCount('{"b":1}', 'a')).toBe(0);
  });
});
