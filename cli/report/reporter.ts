/**
 * The contract between the commands and the ways acsync talks to people and machines; each format is one file:
 *  - 'ink'   a live terminal UI on stderr (a TTY, CI unset): ink-reporter.tsx, watch-screen.tsx for watch;
 *  - 'lines' append-only plain lines (CI, pipes, files): lines-reporter.ts;
 *  - 'json'  NDJSON on stdout (`--json`): json-reporter.ts, its events described by schemas/events.schema.json.
 * Every command's output goes through one: validate's diagnostics and verdict, show's saved plan, plan's and
 * apply's engine events and result, watch's session events and closing summary. GitHub Actions annotations and the
 * step summary are added on top of any of them (github.ts).
 * Where output goes: the plan and the final summary are data and go to stdout; progress (what started, heartbeats,
 * retries, rate-limit pauses) goes to stderr. `acsync plan > plan.txt` therefore captures exactly the plan.
 * The Ink reporter keeps this split too: when stdout is not a terminal, it draws progress on stderr and writes the
 * plain plan to stdout.
 * Ink and React are loaded only when the Ink reporter or the prompt is used.
 */
import type { ConfirmAnswer } from '../ui/ConfirmPrompt.tsx';
import type { Diagnostic } from '../../engine/config/model.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import type { SavedPlan } from '../../engine/saved-plan.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import type { OutStream } from '../io.ts';
import { emitGithubDiagnostics, isGithubActions, writeStepSummary } from './github.ts';
import { JsonReporter } from './json-reporter.ts';
import { LinesReporter } from './lines-reporter.ts';
import { isCI, liveScreen } from './output-policy.ts';
import { redactEvent, redactResult, redactWatchEvent } from './mask.ts';

export { isCI } from './output-policy.ts';

/** What a config check found: every diagnostic, and the counts of a config that loaded. */
export interface ConfigCheck {
  /** The config file as the user named it. */
  file: string;
  diagnostics: readonly Diagnostic[];
  /** Present when the config is valid (warnings allowed). */
  valid?: { exports: number; connections: number };
}

/** A saved plan file, as `acsync show` renders it. */
export interface SavedPlanView {
  file: string;
  saved: SavedPlan;
}

export interface Reporter {
  /**
   * The config's diagnostics (validate's output, or what plan, apply and watch found at start). validate also gets
   * its verdict line; plan and apply, when the config is invalid, their closing `result` in JSON.
   */
  config(check: ConfigCheck): void;
  event(e: EngineEvent): void;
  result(r: RunResult): void;
  /** `acsync show`. */
  savedPlan(view: SavedPlanView): void;
  /** `acsync watch`: the session's events (its own and, while a run goes, the engine's). */
  watchEvent(e: WatchSessionEvent): void;
  /** `acsync watch`: the closing summary, once the session stopped. */
  watchStopped(summary: WatchSummary): void;
  /** A sentence from the command itself (refusals, "cancelled"): always stderr, whatever the format. */
  notice(text: string): void;
  /**
   * Ctrl-C during apply: the command's sentence about stopping, shown once, above a live screen rather than
   * through it; progress shows no ETA from then on (nothing new is sent).
   */
  stopping(text: string): void;
  /** Flushes and releases the terminal; always await it before printing anything else or exiting. */
  close(): Promise<void>;
  /**
   * Before apply asks: the plan's totals are shown (the question is about them), and a live screen is up with every
   * event so far, so that the prompt is drawn inside it, below the plan, instead of by a second Ink app fighting
   * it for the same lines.
   */
  beforeAsk(): Promise<void>;
}

export type ReporterMode = 'plan' | 'apply' | 'watch' | 'validate' | 'show';

export interface ReporterOptions {
  mode: ReporterMode;
  color: boolean;
  maskEmails: boolean;
  full: boolean;
  stdout: OutStream;
  stderr: OutStream;
  heartbeatMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Connection id → display name. */
  connectionNames?: Record<string, string>;
  /** Folder that paths in watch lines are shown relative to. */
  cwd?: string;
  /** The clock of heartbeats, ETAs and watch times. */
  now?: () => number;
  /** Where the Ink screen reads keys (the approval prompt). */
  stdin?: NodeJS.ReadStream;
  /** Columns plain text on stdout is laid out for: the terminal's when stdout is one, else layout.ts PLAIN_WIDTH. */
  columns?: number;
  /** The same for sentences on stderr (notices). */
  stderrColumns?: number;
}

export type ReporterKind = 'ink' | 'lines' | 'json';

/** What `apply` says when it would have to ask but cannot (no terminal to ask on). */
export const NO_TTY_MESSAGE =
  'refusing to apply without confirmation: there is no terminal to ask on. Pass --auto-approve, or a saved plan (`acsync plan --out plan.json`, then `acsync apply plan.json`)';

/**
 * Ink only on a terminal outside CI: with CI set, Ink itself suppresses every frame but the last, and without a
 * TTY it writes cursor-movement sequences into the file (toolchain gotcha 5). Commands that print once (validate,
 * show) pass `live: false` and get lines.
 */
export function chooseReporterKind(opts: {
  json: boolean;
  stderrIsTTY: boolean;
  stdoutIsPipe?: boolean | undefined;
  env: NodeJS.ProcessEnv;
  live?: boolean;
}): ReporterKind {
  if (opts.json) return 'json';
  if (opts.live !== false && liveScreen(opts)) return 'ink';
  return 'lines';
}

export function createReporter(kind: ReporterKind, opts: ReporterOptions): Reporter {
  const base = kind === 'json' ? new JsonReporter(opts) : kind === 'lines' ? new LinesReporter(opts) : new LazyInkReporter(opts);
  const env = opts.env ?? process.env;
  return new RedactingReporter(isGithubActions(env) ? new GithubReporter(base, kind, opts, env) : base);
}

/** A reporter that hands everything to another: the wrappers below override only what they add to. */
class ForwardingReporter implements Reporter {
  constructor(protected readonly inner: Reporter) {}
  config(check: ConfigCheck): void {
    this.inner.config(check);
  }
  event(e: EngineEvent): void {
    this.inner.event(e);
  }
  result(r: RunResult): void {
    this.inner.result(r);
  }
  savedPlan(view: SavedPlanView): void {
    this.inner.savedPlan(view);
  }
  watchEvent(e: WatchSessionEvent): void {
    this.inner.watchEvent(e);
  }
  watchStopped(summary: WatchSummary): void {
    this.inner.watchStopped(summary);
  }
  notice(text: string): void {
    this.inner.notice(text);
  }
  stopping(text: string): void {
    this.inner.stopping(text);
  }
  beforeAsk(): Promise<void> {
    return this.inner.beforeAsk();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every reporter sees sensitive values as `(sensitive)`, whatever its format or flags (engine/sensitive.ts). */
class RedactingReporter extends ForwardingReporter {
  override event(e: EngineEvent): void {
    this.inner.event(redactEvent(e));
  }
  override result(r: RunResult): void {
    this.inner.result(redactResult(r));
  }
  override watchEvent(e: WatchSessionEvent): void {
    this.inner.watchEvent(redactWatchEvent(e));
  }
}

/**
 * Adds GitHub Actions output to any reporter: diagnostics (the config's, the engine's, a reloaded config's in
 * watch) as annotations, and the step summary. With --json the annotations go to stderr so stdout stays pure
 * NDJSON (the runner reads workflow commands from both).
 */
class GithubReporter extends ForwardingReporter {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    inner: Reporter,
    private readonly kind: ReporterKind,
    private readonly opts: ReporterOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    super(inner);
  }

  private annotate(list: readonly Diagnostic[]): void {
    emitGithubDiagnostics(list, this.kind === 'json' ? this.opts.stderr : this.opts.stdout);
  }

  override config(check: ConfigCheck): void {
    this.inner.config(check);
    this.annotate(check.diagnostics);
  }

  override event(e: EngineEvent): void {
    this.inner.event(e);
    if (e.type === 'diagnostic') this.annotate([e.diagnostic]);
  }

  override result(r: RunResult): void {
    this.inner.result(r);
    const summary = {
      maskEmails: this.opts.maskEmails,
      full: this.opts.full,
      ...(this.opts.connectionNames ? { connectionNames: this.opts.connectionNames } : {}),
    };
    this.pending = writeStepSummary(r, summary, this.env).catch((err: unknown) => {
      // A summary that cannot be written must not fail the sync itself.
      this.opts.stderr.write(`acsync: could not write the GitHub step summary: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  }

  override watchEvent(e: WatchSessionEvent): void {
    this.inner.watchEvent(e);
    if (e.type === 'watch:config-error' || e.type === 'watch:config-reloaded') this.annotate(e.diagnostics);
    else if (e.type === 'diagnostic') this.annotate([e.diagnostic]);
  }

  override async close(): Promise<void> {
    await this.pending;
    await this.inner.close();
  }
}

/** The Ink screens: what `load` resolves to (ink-reporter.tsx for plan and apply, watch-screen.tsx for watch). */
export type LiveScreen = Pick<Reporter, 'event' | 'result' | 'close' | 'stopping'> & Partial<Pick<Reporter, 'watchEvent' | 'watchStopped'>>;

/**
 * Queues events while Ink and React load (a few hundred ms), then hands everything to the real Ink screen. What is
 * printed once rather than drawn (the config's diagnostics before a run, a saved plan, the command's notices) is
 * the same in a terminal as in a log, so it goes through the lines reporter, in colour.
 */
class LazyInkReporter implements Reporter {
  private real: LiveScreen | undefined;
  private readonly queue: Array<(r: LiveScreen) => void> = [];
  private loading: Promise<void> | undefined;
  private readonly printed: LinesReporter;

  constructor(private readonly opts: ReporterOptions) {
    this.printed = new LinesReporter({ ...opts, heartbeatMs: 0 });
  }

  private screen(f: (r: LiveScreen) => void): void {
    if (this.real !== undefined) {
      f(this.real);
      return;
    }
    this.queue.push(f);
    this.loading ??= (
      this.opts.mode === 'watch'
        ? import('./watch-screen.tsx').then(({ WatchScreen }) => new WatchScreen(this.opts))
        : import('./ink-reporter.tsx').then(
            ({ InkReporter }) =>
              new InkReporter(this.opts, { ...(this.opts.stdin ? { stdin: this.opts.stdin } : {}), ...(this.opts.now ? { now: this.opts.now } : {}) }),
          )
    ).then((real: LiveScreen) => {
      for (const g of this.queue.splice(0)) g(real);
      this.real = real;
    });
  }

  config(check: ConfigCheck): void {
    this.printed.config(check);
  }

  event(e: EngineEvent): void {
    this.screen((r) => r.event(e));
  }

  result(r: RunResult): void {
    this.screen((x) => x.result(r));
  }

  savedPlan(view: SavedPlanView): void {
    this.printed.savedPlan(view);
  }

  watchEvent(e: WatchSessionEvent): void {
    this.screen((r) => r.watchEvent?.(e));
  }

  watchStopped(summary: WatchSummary): void {
    this.screen((r) => r.watchStopped?.(summary));
  }

  notice(text: string): void {
    this.printed.notice(text);
  }

  stopping(text: string): void {
    this.screen((r) => r.stopping(text));
  }

  async beforeAsk(): Promise<void> {
    // Even with nothing queued, the prompt needs the screen it is drawn in.
    this.screen(() => undefined);
    await this.loading;
  }

  async close(): Promise<void> {
    await this.loading;
    await this.real?.close();
    await this.printed.close();
  }
}
/**
 * Asks for approval on the terminal: only 'yes' and Enter approve (as Terraform asks). When an Ink reporter is live on the same stream, the prompt is
 * drawn inside it, below the plan; otherwise a small Ink app of its own asks.
 */
export async function confirm(
  question: string,
  io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream | NodeJS.WritableStream },
  reporter?: Reporter,
): Promise<ConfirmAnswer> {
  await reporter?.beforeAsk();
  const { askYesNo } = await import('./ink-reporter.tsx');
  return askYesNo(question, io);
}
