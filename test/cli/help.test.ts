/**
 * The help a newcomer reads first, through the real CLI: every `acsync CMD --help` fits a terminal of 80 columns
 * (it used to run to 144), and names every option the README's heading for that command shows, so the two never
 * disagree about what a command takes. What `emulator`, `init` and `validate` print first fits too.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.ts';
import { inPty, plain } from '../helpers/pty.ts';
import { unwrapped } from '../helpers/workspace.ts';

const COMMANDS = ['init', 'validate', 'plan', 'apply', 'show', 'watch', 'emulator', 'demo'];

const help = (args: string[]) => runCliInProcess(args, { cwd: os.tmpdir(), env: { ...process.env } });

/** The `--options` in the README's `### \`acsync CMD ...\`` heading. */
async function readmeOptions(command: string): Promise<string[]> {
  const readme = await readFile('README.md', 'utf8');
  const heading = readme.split('\n').find((l) => l.startsWith(`### \`acsync ${command}`));
  if (heading === undefined) throw new Error(`README has no heading for acsync ${command}`);
  return [...heading.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
}

describe('acsync --help and each command’s --help', () => {
  it.each([[['--help']], [['help', 'plan']], ...COMMANDS.map((c) => [[c, '--help']])])('acsync %j fits 80 columns', async (args) => {
    const r = await help(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(Usage: acsync|acsync: )/);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('what `acsync emulator` prints at start fits 80 columns too', async () => {
    const r = await runCliInProcess(['emulator', '--port', '0', '--api-key', 'demo', '--seed-lists', '1'], {
      cwd: os.tmpdir(),
      env: { ...process.env },
      interruptWhen: (out) => out.includes('Ctrl-C to stop.'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\n +/g, ' ')).toContain('/__emulator/stats (no key needed). Ctrl-C to stop.');
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it.each(COMMANDS)('acsync %s --help names every option of its README heading', async (command) => {
    const r = await help([command, '--help']);
    for (const option of await readmeOptions(command)) expect(r.stdout, `${option} in acsync ${command} --help`).toContain(option);
  });
});

describe('the first steps in a terminal of 80 columns', () => {
  it('init, then validate of what init wrote: every line broken between words by acsync, not by the terminal', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-first-'));
    try {
      const env = { ...process.env };
      delete env['AC_API_KEY'];
      const init = await inPty(['init'], { cwd: dir, env, cols: 80 });
      expect(init.code).toBe(0);
      const validate = await inPty(['validate'], { cwd: dir, env, cols: 80 });
      // The consent is not pre-signed: an error until an administrator sets it.
      expect(validate.code).toBe(1);
      for (const r of [init, validate]) for (const line of plain(r.output).split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
      const text = unwrapped(plain(validate.output));
      expect(text).toContain('warning connections.marketing.apiKey: environment variable AC_API_KEY is not set: plan and apply will need it');
      expect(text).toContain("hint: use your account's API hostname from ActiveCampaign's Settings > Developer");
      expect(text).toContain('2 errors, 3 warnings');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
