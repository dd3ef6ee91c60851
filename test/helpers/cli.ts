/**
 * The CLI in-process, through the same entry the bin uses (cli/main.ts `main(argv, io)`), with an I/O context of
 * its own: captured stdout and stderr, no terminal, the env and working folder given. It spares each test a
 * node + tsx start-up (about a second on 2 cores); every command keeps at least one real-subprocess test too.
 * Runs are serialised: the engine still names some paths relative to process.cwd(), so the folder is entered for
 * the run's duration.
 */
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { main } from '../../cli/main.ts';
import type { CliIo, OutStream, SignalName } from '../../cli/io.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A synchronous capture: `write` appends at once, so a test reads what was written as soon as the call returns. */
function capture(): Capture & OutStream {
  const c = new Capture();
  c.write = ((chunk: unknown, ...rest: unknown[]) => {
    c.text += typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as Capture['write'];
  return c;
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit(${code})`);
  }
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `acsync ...args` in-process; resolves with the exit code and what was written. */
export function runCliInProcess(
  args: string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    now?: () => number;
    /** Sends SIGINT (to the command's own handlers) once the output so far passes this test: to stop a watch. */
    interruptWhen?: (output: string) => boolean;
  },
): Promise<CliRun> {
  const next = queue.then(async () => {
    const stdout = capture();
    const stderr = capture();
    const handlers = new Map<SignalName, Set<(s: SignalName) => void>>();
    const io: CliIo = {
      stdout,
      stderr,
      stdin: new PassThrough() as unknown as NodeJS.ReadStream,
      env: opts.env,
      cwd: opts.cwd,
      isTTY: { stdin: false, stdout: false, stderr: false },
      columns: undefined,
      now: opts.now ?? Date.now,
      onSignal(signal, handler) {
        const set = handlers.get(signal) ?? new Set();
        set.add(handler);
        handlers.set(signal, set);
        return () => void set.delete(handler);
      },
      exit(code) {
        throw new ExitCalled(code);
      },
    };
    const interruptWhen = opts.interruptWhen;
    const poll =
      interruptWhen === undefined
        ? undefined
        : setInterval(() => {
            if (!interruptWhen(stdout.text + stderr.text)) return;
            clearInterval(poll);
            for (const h of handlers.get('SIGINT') ?? []) h('SIGINT');
          }, 20);
    const before = process.cwd();
    process.chdir(opts.cwd);
    try {
      const code = await main(args, io);
      return { code, stdout: stdout.text, stderr: stderr.text };
    } catch (err) {
      if (err instanceof ExitCalled) return { code: err.code, stdout: stdout.text, stderr: stderr.text };
      throw err;
    } finally {
      if (poll !== undefined) clearInterval(poll);
      process.chdir(before);
    }
  });
  queue = next.catch(() => undefined);
  return next;
}
