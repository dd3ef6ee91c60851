/**
 * The real CLI in a real pseudo-terminal of a given size (test/helpers/pty-run.py, Python's pty module), for
 * what is about the screen: the approval prompt, Ink's frames, Ctrl-C. No mock of a terminal.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import xterm from '@xterm/headless';

const exec = promisify(execFile);
const RUNNER = path.resolve('test/helpers/pty-run.py');
const BIN = path.resolve('bin/acsync.js');

export type PtyStep = { expect?: string; send?: string; signal?: 'INT' | 'TERM'; resize?: [cols: number, rows: number]; delay?: number };

/** A resize the script made: after `at` characters of output, the terminal became cols × rows. */
export interface PtyResize {
  at: number;
  cols: number;
  rows: number;
}

export interface PtyResult {
  code: number;
  /** Everything written to the terminal, escape sequences included. */
  output: string;
  /** Steps whose text never appeared. */
  pending: string[];
  /** Where the script resized the terminal (replay them with finalScreen). */
  resizes: PtyResize[];
}

export interface PtyOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
  script?: PtyStep[];
  /** `acsync ARGS | tee FILE`, through sh: stdout a pipe whose text comes back onto the same terminal. */
  tee?: string;
  /** Keep CI from `env` (by default it is removed, so the terminal UI runs as for a person at a terminal). */
  ci?: boolean;
}

export async function inPty(args: string[], opts: PtyOptions): Promise<PtyResult> {
  const env: NodeJS.ProcessEnv = { ...opts.env, TERM: 'xterm-256color' };
  if (opts.ci !== true) delete env['CI'];
  delete env['GITHUB_ACTIONS'];
  const command = opts.tee === undefined ? [process.execPath, BIN, ...args] : ['sh', '-c', '"$0" "$@" | tee "$ACSYNC_TEST_TEE"', process.execPath, BIN, ...args];
  if (opts.tee !== undefined) env['ACSYNC_TEST_TEE'] = opts.tee;
  const { stdout } = await exec('python3', [RUNNER, String(opts.cols ?? 80), String(opts.rows ?? 24), JSON.stringify(opts.script ?? []), '--', ...command], {
    cwd: opts.cwd,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PtyResult;
}

/** The terminal output without escape sequences and carriage returns: what a person would have read, roughly. */
export function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001b[\]P^_][^\u0007\u001b]*(\u0007|\u001b\\)/g, '').replace(/\r/g, '');
}

/**
 * What the terminal shows at the end, scrollback included, as a real terminal emulator (xterm.js, headless) draws
 * the output: cursor movement and erasing applied, so a frame Ink failed to erase, or a line it erased that it
 * should not have, is there to see. Lines without trailing spaces; trailing empty lines dropped.
 */
export async function finalScreen(output: string, cols = 80, rows = 24, resizes: readonly PtyResize[] = []): Promise<string[]> {
  const term = new xterm.Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true });
  // A resize at its place in the output: the terminal reflows what it shows then, as a real one does.
  let from = 0;
  for (const r of resizes) {
    const part = output.slice(from, r.at);
    await new Promise<void>((resolve) => term.write(part, resolve));
    term.resize(r.cols, r.rows);
    from = r.at;
  }
  const rest = output.slice(from);
  await new Promise<void>((resolve) => term.write(rest, resolve));
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  term.dispose();
  return lines;
}
