/**
 * What a command may touch of the outside world: its streams, environment, working folder, terminal facts, clock,
 * signals and the way out. Commands take a CliIo instead of reaching for `process`, so tests run them in-process
 * through the same entry the bin uses (cli/main.ts `main(argv, io)`), and a reporter never guesses where it writes.
 */
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
  /** Width of the terminal stderr draws on, when it is one. */
  columns: number | undefined;
  /** The one clock of the CLI layer (epoch ms). */
  now: () => number;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe. */
  onSignal(signal: SignalName, handler: (signal: SignalName) => void): () => void;
  /** Leaves at once (a second Ctrl-C); commands otherwise return their exit code. */
  exit(code: number): never;
}

/** The real process's I/O, for the bin. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    isTTY: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    columns: process.stderr.isTTY === true ? process.stderr.columns : undefined,
    now: Date.now,
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
    exit: (code) => process.exit(code),
  };
}
