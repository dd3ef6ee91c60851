/**
 * What a command may touch of the outside world: its streams, environment, working folder, terminal facts, clock,
 * signals and the way out. Commands take a CliIo instead of reaching for `process`, so tests run them in-process
 * through the same entry the bin uses (cli/main.ts `main(argv, io)`), and a reporter never guesses where it writes.
 */
import { fstatSync } from 'node:fs';
import { registeredSecrets, scrubSecrets } from '../engine/secrets.ts';
import { printableOutput } from './report/printable.ts';

export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

export type SignalName = 'SIGINT' | 'SIGTERM';

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  /** For the approval prompt; only read when stdin and stderr are terminals. */
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
  /** The folder relative paths are resolved against. */
  cwd: string;
  /** Terminal facts, read once at start. */
  isTTY: { stdin: boolean; stdout: boolean; stderr: boolean };
  /**
   * stdout is a pipe or socket (`acsync apply | tee log`): what is written there may come back onto this very
   * terminal, late and out of our hands, so nothing may redraw lines on it (output-policy.ts, liveScreen).
   */
  stdoutIsPipe?: boolean;
  /** Width of the terminal stderr draws on, when it is one. */
  columns: number | undefined;
  /** The one clock of the CLI layer (epoch ms). */
  now: () => number;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe. */
  onSignal(signal: SignalName, handler: (signal: SignalName) => void): () => void;
  /** Leaves at once (a second Ctrl-C); commands otherwise return their exit code. */
  exit(code: number): never;
}

/**
 * A stream whose writes pass two last nets: no secret acsync holds (engine/secrets.ts) is ever written, in any
 * encoding; and, on a log or a pipe, no control character from data can move the cursor or erase lines when the
 * output is replayed in a terminal (cli/report/printable.ts). Live terminal output keeps Ink's cursor movement.
 */
export function guardedStream(stream: OutStream, isTerminal: boolean): OutStream {
  type WriteFn = (chunk: unknown, ...rest: unknown[]) => boolean;
  const write = (stream.write as WriteFn).bind(stream);
  const guard = (chunk: unknown): unknown => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text === undefined) return chunk;
    const safe = scrubSecrets(isTerminal ? text : printableOutput(text), registeredSecrets());
    return safe === text ? chunk : safe;
  };
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return (chunk: unknown, ...rest: unknown[]) => write(guard(chunk), ...rest);
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The real process's I/O, for the bin. */
export function processIo(): CliIo {
  return {
    stdout: guardedStream(process.stdout, process.stdout.isTTY === true),
    stderr: guardedStream(process.stderr, process.stderr.isTTY === true),
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    isTTY: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    stdoutIsPipe: isPipe(1),
    columns: process.stderr.isTTY === true ? process.stderr.columns : undefined,
    now: Date.now,
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
    exit: (code) => process.exit(code),
  };
}

function isPipe(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
