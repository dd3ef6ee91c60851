/**
 * The contract between the commands and the three ways acsync talks to people and machines:
 *  - 'ink'   a live terminal UI on stderr (a TTY, CI unset);
 *  - 'lines' append-only plain lines (CI, pipes, files);
 *  - 'json'  NDJSON on stdout (`--json`).
 * Where output goes: the plan and the final summary are data and go to stdout; progress (what started, heartbeats,
 * retries, rate-limit pauses) goes to stderr. `acsync plan > plan.txt` therefore captures exactly the plan.
 * The Ink reporter keeps this split too: when stdout is not a terminal, it draws progress on stderr and writes the
 * plain plan to stdout.
 * Ink and React are loaded only when the Ink reporter or the prompt is used.
 */
import type { ConfirmAnswer } from '../ui/ConfirmPrompt.tsx';
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import { emitGithubDiagnostics, isGithubActions, writeStepSummary } from './github.ts';
import { JsonReporter } from './json-reporter.ts';
import { LinesReporter } from './lines-reporter.ts';

export interface Reporter {
  event(e: EngineEvent): void;
  result(r: RunResult): void;
  /** Flushes and releases the terminal; always await it before printing anything else or exiting. */
  close(): Promise<void>;
}

export interface ReporterOptions {
  mode: 'plan' | 'apply' | 'watch';
  color: boolean;
  maskEmails: boolean;
  full: boolean;
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  heartbeatMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Connection id → display name. */
  connectionNames?: Record<string, string>;
}

export type ReporterKind = 'ink' | 'lines' | 'json';

/** What `apply` says when it would have to ask but cannot (no terminal to ask on). */
export const NO_TTY_MESSAGE =
  'refusing to apply without confirmation: there is no terminal to ask on. Pass --auto-approve, or a saved plan (`acsync plan --out plan.json`, then `acsync apply plan.json`)';

/** Same rule as Ink's own (the is-in-ci package): CI set to anything but '0' or 'false', even empty, means CI. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env['CI'];
  if (ci !== undefined) return ci !== '0' && ci !== 'false';
  return env['CONTINUOUS_INTEGRATION'] !== undefined || env['BUILD_NUMBER'] !== undefined || env['RUN_ID'] !== undefined;
}

/**
 * Ink only on a terminal outside CI: with CI set, Ink itself suppresses every frame but the last, and without a
 * TTY it writes cursor-movement sequences into the file (toolchain gotcha 5).
 */
export function chooseReporterKind(opts: { json: boolean; stderrIsTTY: boolean; env: NodeJS.ProcessEnv }): ReporterKind {
  if (opts.json) return 'json';
  if (opts.stderrIsTTY && !isCI(opts.env) && opts.env['TERM'] !== 'dumb') return 'ink';
  return 'lines';
}

export function createReporter(kind: ReporterKind, opts: ReporterOptions): Reporter {
  const base = kind === 'json' ? new JsonReporter(opts) : kind === 'lines' ? new LinesReporter(opts) : new LazyInkReporter(opts);
  const env = opts.env ?? process.env;
  return isGithubActions(env) ? new GithubReporter(base, kind, opts, env) : base;
}

/**
 * Adds GitHub Actions output to any reporter: engine diagnostics as annotations, and the step summary.
 * With --json the annotations go to stderr so stdout stays pure NDJSON (the runner reads commands from both).
 */
class GithubReporter implements Reporter {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: Reporter,
    private readonly kind: ReporterKind,
    private readonly opts: ReporterOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  event(e: EngineEvent): void {
    this.inner.event(e);
    if (e.type === 'diagnostic') emitGithubDiagnostics([e.diagnostic], this.kind === 'json' ? this.opts.stderr : this.opts.stdout);
  }

  result(r: RunResult): void {
    this.inner.result(r);
    const summary = { maskEmails: this.opts.maskEmails, full: this.opts.full, ...(this.opts.connectionNames ? { connectionNames: this.opts.connectionNames } : {}) };
    this.pending = writeStepSummary(r, summary, this.env).catch((err: unknown) => {
      // A summary that cannot be written must not fail the sync itself.
      this.opts.stderr.write(`acsync: could not write the GitHub step summary: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  }

  async close(): Promise<void> {
    await this.pending;
    await this.inner.close();
  }
}

/** Queues events while Ink and React load (a few hundred ms), then hands everything to the real Ink reporter. */
class LazyInkReporter implements Reporter {
  private real: Reporter | undefined;
  private readonly queue: Array<(r: Reporter) => void> = [];
  private readonly loading: Promise<void>;

  constructor(opts: ReporterOptions) {
    this.loading = import('./ink-reporter.tsx').then(({ InkReporter }) => {
      const real = new InkReporter(opts);
      for (const f of this.queue.splice(0)) f(real);
      this.real = real;
    });
  }

  event(e: EngineEvent): void {
    if (this.real !== undefined) this.real.event(e);
    else this.queue.push((r) => r.event(e));
  }

  result(r: RunResult): void {
    if (this.real !== undefined) this.real.result(r);
    else this.queue.push((x) => x.result(r));
  }

  async close(): Promise<void> {
    await this.loading;
    await this.real?.close();
  }
}

/**
 * Asks for approval on the terminal: only 'yes' and Enter approve (as Terraform asks). When an Ink reporter is live on the same stream, the prompt is
 * drawn inside it, below the plan; otherwise a small Ink app of its own asks.
 */
export async function confirm(question: string, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream | NodeJS.WritableStream }): Promise<ConfirmAnswer> {
  const { askYesNo } = await import('./ink-reporter.tsx');
  return askYesNo(question, io);
}
