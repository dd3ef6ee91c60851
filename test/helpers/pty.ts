/**
 * The real CLI in a real pseudo-terminal of a given size (test/helpers/pty-run.py, Python's pty module), for
 * what is about the screen: the approval prompt, Ink's frames, Ctrl-C. No mock of a terminal.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const RUNNER = path.resolve('test/helpers/pty-run.py');
const BIN = path.resolve('bin/acsync.js');

export type PtyStep = { expect?: string; send?: string; signal?: 'INT' | 'TERM'; delay?: number };

export interface PtyResult {
  code: number;
  /** Everything written to the terminal, escape sequences included. */
  output: string;
  /** Steps whose text never appeared. */
  pending: string[];
}

export async function inPty(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; cols?: number; rows?: number; script?: PtyStep[] }): Promise<PtyResult> {
  const env: NodeJS.ProcessEnv = { ...opts.env, TERM: 'xterm-256color' };
  delete env['CI'];
  delete env['GITHUB_ACTIONS'];
  const { stdout } = await exec('python3', [RUNNER, String(opts.cols ?? 80), String(opts.rows ?? 24), JSON.stringify(opts.script ?? []), '--', process.execPath, BIN, ...args], {
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
