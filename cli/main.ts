/**
 * The `acsync` entry point: parses the command name and hands the rest of argv to the command module.
 * Each command lives in cli/commands/<name>.ts and exports `run(argv: string[], io: CliIo): Promise<number>`
 * (the exit code; io is the command's streams, env, terminal, clock and signals: cli/io.ts). Tests call `main`
 * in-process with an io of their own. Modules are imported lazily so `acsync validate` never loads Ink or undici.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processIo, type CliIo } from './io.ts';
import { closest } from './suggest.ts';
import { pleaseReportLine } from './report/bug-report.ts';

export interface CommandModule {
  run(argv: string[], io: CliIo): Promise<number>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  init: { summary: 'scaffold acsync.yaml and a sample segment in the current folder', load: () => import('./commands/init.ts') },
  validate: { summary: 'check the config file and report every problem with file:line:column', load: () => import('./commands/validate.ts') },
  plan: { summary: 'show what would change in each ActiveCampaign list, and why', load: () => import('./commands/plan.ts') },
  apply: { summary: 'make each ActiveCampaign list match its segment', load: () => import('./commands/apply.ts') },
  show: { summary: 'render a saved plan file', load: () => import('./commands/show.ts') },
  watch: { summary: 're-export when a segment file changes, and on each export schedule', load: () => import('./commands/watch.ts') },
  emulator: { summary: 'run the bundled ActiveCampaign-compatible API emulator', load: () => import('./commands/emulator.ts') },
  demo: { summary: 'run the quickstart end to end on the bundled emulator', load: () => import('./commands/demo.ts') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'acsync: export customer segments into ActiveCampaign lists, as config-as-code',
    '',
    'Usage: acsync <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `acsync <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]] !== undefined) {
    // `acsync help plan` is `acsync plan --help`.
    return main([rest[0], '--help'], io);
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    const [{ readFileSync }, { packageFile }] = await Promise.all([import('node:fs'), import('../engine/package-root.ts')]);
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
    io.stdout.write(pkg.version + '\n');
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    const meant = closest(name.replace(/^-+/, ''), Object.keys(COMMANDS));
    io.stderr.write(`acsync: unknown command '${name}'${meant !== undefined ? `; did you mean '${meant}'?` : ''}\n\n${usage()}\n`);
    return 1;
  }
  const mod = await entry.load();
  return mod.run(rest, io);
}

function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    const self = realpathSync(fileURLToPath(import.meta.url));
    const bin = realpathSync(arg);
    return bin === self || bin.endsWith('/bin/acsync.js') || bin.endsWith('\\bin\\acsync.js');
  } catch {
    return false;
  }
}

/**
 * Runs a command as this process: its exit code, or an internal error when it throws. Node also ends a process
 * whose event loop has emptied while the command's promise is still pending (our bug: it awaits something that
 * can no longer happen), and that exit would be 0 and silent, as if the command had succeeded. 'beforeExit' is
 * emitted exactly then: the command is reported as an internal error and the exit code is 1, never 0.
 */
export function runAsProcess(argv: readonly string[], command: Promise<number>, proc: NodeJS.Process = process): void {
  let settled = false;
  const internal = (what: string): void => {
    proc.stderr.write(`acsync: internal error: ${what}\n${pleaseReportLine()}\n`);
    proc.exitCode = 1;
  };
  const unsettled = (): void => {
    // Writing the message schedules work, so 'beforeExit' comes once more after it: report only once.
    if (settled) return;
    settled = true;
    const name = argv[0] === undefined ? 'acsync' : `acsync ${argv[0]}`;
    internal(
      `${name} stopped before it finished: it was left waiting for something that can no longer happen (no stack: nothing failed, nothing was left to run)`,
    );
  };
  proc.on('beforeExit', unsettled);
  const done = (): boolean => {
    proc.off('beforeExit', unsettled);
    if (settled) return false;
    settled = true;
    return true;
  };
  command.then(
    (code) => {
      if (done()) proc.exitCode = code;
    },
    (err: unknown) => {
      // Ours, not the user's: show the stack and ask for a report. Errors that are the user's or the
      // remote's are turned into messages by the commands themselves.
      if (done()) internal(err instanceof Error ? (err.stack ?? err.message) : String(err));
    },
  );
}

if (isEntryPoint()) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const argv = process.argv.slice(2);
  runAsProcess(argv, main(argv));
}
