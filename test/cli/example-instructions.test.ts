/**
 * Each example says at its top how to try it: an `npx acsync emulator ...` line, then `npx acsync plan`. A newcomer
 * copies those lines as written, so they are run as written here: the emulator with exactly those flags (on a free
 * port instead of 4010, at its real limits), then `acsync plan` in a copy of the example. Every export has to plan
 * (examples/warehouse once said only `--api-key demo`: its second list did not exist).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEmulatorArgs } from '../../cli/commands/emulator.ts';
import { startEmulator } from '../../emulator/index.ts';
import { unwrapped, Workspace } from '../helpers/workspace.ts';

/** The flags of the example's `npx acsync emulator` comment line, up to a `&` or a comment. */
function emulatorFlags(yaml: string): string[] {
  const line = yaml.split('\n').find((l) => /^#\s+npx acsync emulator\b/.test(l));
  if (line === undefined) throw new Error('no `npx acsync emulator` line at the top of the example');
  const command = line.replace(/^#\s+npx acsync emulator/, '').split(/\s[&#]/)[0] ?? '';
  return command.trim().split(/\s+/).filter(Boolean);
}

describe('the instructions at the top of each example', () => {
  it.each(['quickstart', 'warehouse'])('examples/%s plans every export on the emulator started as its comment says', { timeout: 120_000 }, async (name) => {
    const source = path.resolve('examples', name);
    const yaml = await readFile(path.join(source, 'acsync.yaml'), 'utf8');
    const parsed = parseEmulatorArgs(emulatorFlags(yaml));
    if (!('options' in parsed)) throw new Error(`the example's emulator flags do not parse: ${JSON.stringify(parsed)}`);
    expect(yaml).toMatch(/AC_API_KEY=demo/);
    expect(parsed.options.apiKey).toBe('demo');
    const emulator = await startEmulator({ ...parsed.options, port: 0 });
    const ws = await Workspace.create(emulator);
    try {
      await cp(source, ws.dir, { recursive: true });
      const file = path.join(ws.dir, 'acsync.yaml');
      await writeFile(file, yaml.replace('hostname: 127.0.0.1:4010', `hostname: ${emulator.hostname}`));
      const plan = await ws.cli(['plan']);
      const text = unwrapped(plan.stdout + plan.stderr);
      expect(plan.code, text).toBe(0);
      expect(text).not.toMatch(/could not be planned|has no list with id|no custom field/);
    } finally {
      await ws.dispose();
      await emulator.stop();
    }
  });
});
