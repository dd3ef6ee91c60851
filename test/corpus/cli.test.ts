/**
 * The corpus as a person meets it: `acsync apply --auto-approve` (a real subprocess, CI=true) on a few broken
 * inputs prints file:line, the problem and a hint, exits 1, and the emulator receives no write at all, not even
 * for the exports of the same run that were fine.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pMap from 'p-map';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { csv, fastEmulator, Workspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

interface CliCase {
  name: string;
  /** Prepares the workspace (a valid config with two exports and segments exists already). */
  setup(ws: Workspace): Promise<void>;
  env?: NodeJS.ProcessEnv;
  /** Lines that must appear in stderr+stdout. */
  expect: RegExp[];
}

const CASES: CliCase[] = [
  {
    name: 'a config error: file:line:column, path, message, hint',
    async setup(ws) {
      const file = path.join(ws.dir, 'acsync.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('onLeave: keep', 'onLeave: delete'));
    },
    expect: [/^acsync\.yaml:18:14 error exports\.first\.onLeave: must be one of: keep, unsubscribe$/m, /^1 error$/m],
  },
  {
    name: "a broken segment of one export: the other export is not applied either",
    async setup(ws) {
      await ws.write('b.csv', 'Email;First;Last;Phone;Tier\nb@acsync-corpus.example;B;;;\n');
    },
    expect: [/b\.csv:1: columns Email, First, Last, Phone, Tier not found/, /hint: the file looks `;`-separated/],
  },
  {
    name: 'a wrong key: named by its variable, never shown',
    async setup() {},
    env: { AC_API_KEY: 'cli-corpus-WRONG-key-123' },
    expect: [/rejected the API key of connection 'ac' \(403\)/, /hint: Check the variable AC_API_KEY/],
  },
  {
    name: 'a missing segment file',
    async setup(ws) {
      await rm(path.join(ws.dir, 'a.csv'));
    },
    expect: [/a\.csv: segment file not found/, /hint: check the `segment:` path/],
  },
];

describe('broken input through the CLI: exit 1, file and line, a hint, no write', { timeout: 60_000 }, () => {
  it('every case', async () => {
    emulator.reset();
    const results = await pMap(
      CASES,
      async (c) => {
        const ws = await Workspace.create(emulator);
        try {
          await ws.write('a.csv', csv([['a@acsync-corpus.example', 'A']]));
          await ws.write('b.csv', csv([['b@acsync-corpus.example', 'B']]));
          await ws.config([
            { name: 'first', segment: 'a.csv', listId: 1 },
            { name: 'second', segment: 'b.csv', listId: 2 },
          ]);
          await c.setup(ws);
          const r = await ws.cli(['apply', '--auto-approve'], { env: c.env ?? {} });
          return { c, code: r.code, out: `${r.stdout}\n${r.stderr}` };
        } finally {
          await ws.dispose();
        }
      },
      { concurrency: 2 },
    );
    for (const { c, code, out } of results) {
      expect(code, `${c.name}\n${out}`).toBe(1);
      for (const re of c.expect) expect(out, c.name).toMatch(re);
      expect(out).not.toContain('cli-corpus-WRONG-key-123');
      expect(out).not.toMatch(/\n\s+at .*\.ts:\d+/);
    }
    const writes = Object.entries(emulator.stats().byEndpoint).filter(([k]) => !k.startsWith('GET '));
    expect(writes).toEqual([]);
  });
});
