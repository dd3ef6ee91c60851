/**
 * `apply plan.json` applies exactly what it shows (issue 13, item 2): a saved plan whose changes were edited is
 * refused before any write, both when the edit breaks the checksum and when the checksum was recomputed to match
 * (the changes then differ from what acsync computes from the same inputs). The real CLI against the emulator.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, listMembers, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana', 'Silva', '', 'Gold'], ['ben@contoso.example', 'Ben', 'Okafor', '', 'Silver']]));
  await ws.config([{ segment: 'seg.csv' }]);
});

/** The real CLI as a subprocess, CI=true (test/helpers/workspace.ts). */
const cli = (args: string[]) => ws.cli(args);

type Saved = { exports: Array<{ export: string; listId: string; plan: { changes: Array<{ email: string; after?: { firstName?: string } }> } }>; checksum: string };

/** The checksum as the format defines it (canonical JSON, sorted keys), recomputed the way a careful forger would. */
function recompute(saved: Saved): string {
  const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (x === null || typeof x !== 'object' || Array.isArray(x) ? x : Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]]))));
  return createHash('sha256').update(canonical(saved.exports.map((e) => ({ export: e.export, listId: e.listId, plan: e.plan })))).digest('hex');
}

describe('an edited saved plan', { timeout: 60_000 }, () => {
  it('is refused when its changes no longer match their checksum', async () => {
    expect((await cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    const file = path.join(ws.dir, 'plan.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Saved;
    saved.exports[0]!.plan.changes[0]!.after!.firstName = 'Mallory';
    await writeFile(file, JSON.stringify(saved));
    const before = JSON.stringify(emulator.stats().byEndpoint);
    const r = await cli(['apply', 'plan.json']);
    expect(r.code).toBe(1);
    expect(unwrapped(r.stderr)).toContain('was altered after `acsync plan --out` wrote it');
    // Refused before any request at all.
    expect(JSON.stringify(emulator.stats().byEndpoint)).toBe(before);
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });

  it('is refused when the checksum was recomputed but the changes differ from the fresh plan', async () => {
    expect((await cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    const file = path.join(ws.dir, 'plan.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Saved;
    saved.exports[0]!.plan.changes[0]!.after!.firstName = 'Mallory';
    saved.exports[0]!.plan.changes.pop();
    saved.checksum = recompute(saved);
    await writeFile(file, JSON.stringify(saved));
    const r = await cli(['apply', 'plan.json']);
    expect(r.code).toBe(1);
    expect(unwrapped(r.stderr)).toContain("the saved changes of export 'customers' differ from what acsync computes from the same inputs");
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });

  it('an untouched plan applies exactly what it shows', async () => {
    expect((await cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    const r = await cli(['apply', 'plan.json']);
    expect(r.code, r.stderr).toBe(0);
    const members = await listMembers(emulator, 1);
    expect(members.map((m) => [m.email, m.firstName]).sort()).toEqual([
      ['ana@contoso.example', 'Ana'],
      ['ben@contoso.example', 'Ben'],
    ]);
  });
});
