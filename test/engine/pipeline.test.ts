/**
 * The pipeline's rules for a run (engine/pipeline/run.ts), through the engine and the real CLI against the
 * emulator: apply writes nothing while any selected export cannot be planned, and people are compared
 * case-insensitively at run time as `acsync validate` compares them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import type { ExportRunResult } from '../../engine/model.ts';
import { csv, jsonResult, listMembers, withEmulatorWorkspace } from '../helpers/workspace.ts';

const setup = withEmulatorWorkspace();

/** Two exports: `good` plans, `broken` maps a column its segment lacks. */
async function oneGoodOneBroken(): Promise<void> {
  await setup.ws.write('good.csv', csv([['ana@contoso.example', 'Ana'], ['ben@contoso.example', 'Ben']]));
  await setup.ws.write('broken.csv', 'Mail,First\ncleo@contoso.example,Cleo\n');
  await setup.ws.config([
    { name: 'good', segment: 'good.csv', listId: 1, fields: false },
    { name: 'broken', segment: 'broken.csv', listId: 2, fields: false },
  ]);
}

describe('apply writes nothing while any selected export cannot be planned', () => {
  it('through the engine (as watch calls it) and through `acsync apply`, alike', async () => {
    await oneGoodOneBroken();
    const engine = await runExports(await setup.ws.load(), { mode: 'apply', sink: () => {}, env: setup.ws.env });
    expect(engine.ok).toBe(false);
    const good = engine.exports.find((e) => e.export === 'good')!;
    const broken = engine.exports.find((e) => e.export === 'broken')!;
    expect(good.plan?.counts.create).toBe(2);
    expect(good.applied).toBeUndefined();
    expect(broken.error).toMatchObject({ kind: 'user', message: expect.stringMatching(/broken\.csv:1: columns Email, Last, Phone not found/), file: expect.stringMatching(/broken\.csv$/), line: 1 });
    expect(await listMembers(setup.emulator, 1)).toEqual([]);
    expect(Object.keys(setup.emulator.stats().byEndpoint).filter((k) => !k.startsWith('GET '))).toEqual([]);

    const viaCli = await setup.ws.cli(['apply', '--auto-approve', '--json']);
    expect(viaCli.code).toBe(1);
    const result = jsonResult<{ exports: ExportRunResult[] }>(viaCli.stdout);
    // The CLI runs in the workspace, the engine here in the repo: the same message, the file named from each cwd.
    const shown = (e: ExportRunResult) => [e.export, e.applied, e.error?.kind, e.error?.message.replace(/^.*broken\.csv:/, 'broken.csv:')];
    expect(result?.exports.map(shown)).toEqual(engine.exports.map(shown));
    expect(await listMembers(setup.emulator, 1)).toEqual([]);
  });

  it('the same run with only the export that plans applies it', async () => {
    await oneGoodOneBroken();
    const r = await runExports(await setup.ws.load(), { mode: 'apply', exports: ['good'], sink: () => {}, env: setup.ws.env });
    expect(r.ok).toBe(true);
    expect((await listMembers(setup.emulator, 1)).map((m) => m.email).sort()).toEqual(['ana@contoso.example', 'ben@contoso.example']);
  });
});

describe('roles', () => {
  it('an admin written in another case is the same person at run time as in validate', async () => {
    await setup.ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
    const file = await setup.ws.config([{ segment: 'seg.csv', fields: false }]);
    const yaml = await readFile(file, 'utf8');
    await writeFile(file, yaml.replace('admins: [ana@contoso.example]', 'admins: [Ana@Contoso.Example]'));
    const loaded = await loadConfig(file, { cwd: setup.ws.dir });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const r = await runExports(loaded.config!, { mode: 'apply', sink: () => {}, env: setup.ws.env });
    expect(r.exports[0]!.error).toBeUndefined();
    expect(r.exports[0]!.applied).toBe(1);
  });
});
