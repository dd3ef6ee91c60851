/**
 * For CI logs and pipes: append-only plain lines, no cursor movement. The plan and the final summary are data and
 * go to stdout; progress (what started, failures, rate-limit pauses, a heartbeat every 10 s) goes to stderr.
 * validate's diagnostics and verdict are its data (stdout); show prints the saved plan; watch prints a timed line
 * per session event that matters (a run's result on stdout, what led to it on stderr) and the closing summary.
 */
import type { EngineEvent } from '../../engine/events.ts';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import { countLine, formatDiagnostic, formatDiagnostics } from '../diagnostics.ts';
import { CHANGES_SHOWN_PER_KIND } from './actions.ts';
import { emailShower } from './mask.ts';
import { connectionLabel, describeListRead, num, plural, renderExportPlan, renderPlanSummary, renderPlanText } from './plan-text.ts';
import { formatCount, formatDuration, ProgressTracker, type ProgressView } from './progress.ts';
import { renderApplyResult, renderExportErrors, resentPhrase } from './result-text.ts';
import type { ConfigCheck, Reporter, ReporterOptions, SavedPlanView } from './reporter.ts';
import { painter, type Painter } from './style.ts';
import { clock, eventTime, formatSummary, formatWatchLine } from './watch-text.ts';
import { PLAIN_WIDTH, wrapText } from './layout.ts';
import { printable } from './printable.ts';

/** The issue asks for a sign of life every 10 s: CI systems kill jobs silent for too long (GitLab: 1 h, Travis: 10 min). */
export const HEARTBEAT_MS = 10_000;

export class LinesReporter implements Reporter {
  private readonly tracker: ProgressTracker;
  private readonly plans = new Map<string, ExportPlan>();
  private readonly failuresShown = new Map<string, number>();
  private readonly p: Painter;
  private readonly show: (email: string) => string;
  private timer: ReturnType<typeof setInterval> | undefined;
  private sawResult = false;
  private summaryShown = false;

  private readonly now: () => number;

  /** `heartbeatMs: 0` turns the heartbeat off (commands that print once, watch: its runs say enough). */
  constructor(
    private readonly opts: ReporterOptions,
    now: () => number = opts.now ?? Date.now,
  ) {
    this.now = now;
    this.tracker = new ProgressTracker(now);
    this.p = painter(opts.color);
    this.show = emailShower(opts.maskEmails);
    const every = opts.heartbeatMs ?? (opts.mode === 'plan' || opts.mode === 'apply' ? HEARTBEAT_MS : 0);
    if (every > 0) {
      this.timer = setInterval(() => this.heartbeat(), every);
      // A heartbeat must never keep the process alive on its own.
      this.timer.unref?.();
    }
  }

  config(check: ConfigCheck): void {
    const { diagnostics, valid } = check;
    if (this.opts.mode !== 'validate') {
      // Before a run: the problems are why it cannot start (or warnings): progress, not data.
      if (diagnostics.length > 0) this.err(formatDiagnostics(diagnostics, { color: this.opts.color }));
      return;
    }
    const out: string[] = [];
    if (diagnostics.length > 0) out.push(formatDiagnostics(diagnostics, { color: this.opts.color }));
    if (valid !== undefined) {
      const summary = `${check.file} is valid: ${plural(valid.exports, 'export')} on ${plural(valid.connections, 'connection')}`;
      out.push(diagnostics.length > 0 ? `${summary} (${countLine(diagnostics)})` : summary);
    }
    // In a terminal, laid out for its width (layout.ts): the terminal's own wrap broke "AC_" / "API_KEY". Elsewhere
    // one line per problem, as the README shows: `file:line:column severity ...` is what tools and grep read.
    const text = out.join('\n');
    this.out(this.opts.stdout.isTTY === true ? wrapText(text, this.opts.columns ?? PLAIN_WIDTH) : text);
  }

  savedPlan(view: SavedPlanView): void {
    const { saved, file } = view;
    this.out(`Saved plan ${file}, made ${saved.createdAt} from ${saved.config.file}\n\n`);
    this.out(
      renderPlanText(
        saved.exports.map((e) => e.plan),
        this.textOptions(),
      ) + '\n',
    );
  }

  watchEvent(e: WatchSessionEvent): void {
    const line = formatWatchLine(e, this.opts.cwd);
    if (line === undefined) return;
    // A run's result is data (stdout); what led to it is progress (stderr), as for plan and apply.
    const text = `${clock(eventTime(e, this.now))} ${line}`;
    if (e.type === 'watch:run-done') this.out(text);
    else this.err(text);
  }

  watchStopped(summary: WatchSummary): void {
    if (summary.exports.length > 0) this.out(formatSummary(summary).join('\n'));
  }

  notice(text: string): void {
    const wrapped = wrapText(text.replace(/\n$/, ''), this.opts.stderrColumns ?? PLAIN_WIDTH);
    this.opts.stderr.write(wrapped + '\n');
  }

  event(e: EngineEvent): void {
    const progress = this.tracker.apply(e);
    const p = this.p;
    switch (e.type) {
      case 'diagnostic':
        this.err(formatDiagnostic(e.diagnostic, { color: this.opts.color }));
        break;
      case 'plan:start':
        this.err(`${p('dim', 'planning')} ${e.export}: list ${e.listId} on ${connectionLabel(e, this.opts.connectionNames)}`);
        break;
      case 'plan:list-read':
        this.err(`${p('dim', 'read')} ${describeListRead(e)}`);
        break;
      case 'plan:done':
        this.plans.set(e.export, e.plan);
        this.out(renderExportPlan(e.plan, this.textOptions()) + '\n\n');
        break;
      case 'apply:start':
        this.summaryOnce();
        this.err(`${p('dim', 'applying')} ${e.export}: ${num(e.total)} ${e.total === 1 ? 'change' : 'changes'}`);
        break;
      case 'change:failed': {
        const n = (this.failuresShown.get(e.export) ?? 0) + 1;
        this.failuresShown.set(e.export, n);
        // The summary lists every failure; the live log shows the first ones so a flood does not bury the rest.
        if (n <= CHANGES_SHOWN_PER_KIND) this.err(`${p('red', '✗')} ${e.export}: ${this.show(e.email)} (${e.action}): ${printable(e.reason)}`);
        else if (n === CHANGES_SHOWN_PER_KIND + 1) this.err(p('dim', `  ${e.export}: more failures; all of them are listed at the end`));
        break;
      }
      case 'batch:waiting':
        // ActiveCampaign gives no ETA for its import queue: say how long it has been, never a guess.
        this.err(
          `${e.export}: batch ${e.id} ${e.status === 'waiting' ? 'queued' : e.status} at ActiveCampaign for ${formatDuration(e.waitedMs)}${e.outstanding !== undefined ? ` (${num(e.outstanding)} batches outstanding in the account)` : ''}`,
        );
        break;
      case 'ratelimit:wait':
        // An inherited 429 (a budget used before this run) is no warning: only a long wait gets a plain note.
        if (e.reason === 'inherited' && e.ms >= 5_000)
          this.err(p('dim', `${e.connection}: waiting ${formatDuration(e.ms)}: the account's rate limit was used up before this run`));
        else if (e.reason !== 'budget' && e.reason !== 'inherited')
          this.err(`${p('yellow', 'rate limited')} by ActiveCampaign on ${e.connection}: waiting ${formatDuration(e.ms)} (${e.reason})`);
        break;
      case 'request:retry':
        if (e.inherited !== true)
          this.err(
            `${p('yellow', 'retrying')} ${e.method} ${e.path}${e.status !== undefined ? ` (HTTP ${e.status})` : ''}: attempt ${e.attempt} in ${formatDuration(e.delayMs)}`,
          );
        break;
      case 'apply:summary': {
        const notSent = e.notSent ?? 0;
        const mark = e.failed > 0 ? p('red', '✗') : notSent > 0 ? p('yellow', '■') : p('green', '✓');
        const stopped = notSent > 0 ? `, ${num(notSent)} not sent (stopped)` : '';
        const resent = e.batchesResent !== undefined ? `, ${resentPhrase(e.batchesResent)}` : '';
        this.err(`${mark} ${e.export}: ${num(e.applied)} applied, ${num(e.failed)} failed${stopped}${resent}; applying took ${formatDuration(e.durationMs)}`);
        break;
      }
      default:
        void progress;
    }
  }

  result(r: RunResult): void {
    this.sawResult = true;
    this.stopHeartbeat();
    const opts = this.textOptions();
    // Plans that arrived without a plan:done event (a saved plan) are still shown.
    for (const e of r.exports)
      if (e.plan !== undefined && !this.plans.has(e.export)) {
        this.plans.set(e.export, e.plan);
        this.out(renderExportPlan(e.plan, opts) + '\n\n');
      }
    if (r.mode === 'plan') {
      const errors = renderExportErrors(r.exports, opts);
      if (errors.length > 0) this.out(wrapText(errors.join('\n'), opts.width) + '\n\n');
      const plans = r.exports.flatMap((e) => (e.plan === undefined ? [] : [e.plan]));
      this.out(renderPlanSummary(plans, opts, r.exports.length - plans.length) + '\n');
    } else {
      this.out(renderApplyResult(r, opts));
    }
  }

  stopping(text: string): void {
    this.tracker.stop();
    this.notice(text);
  }

  async beforeAsk(): Promise<void> {
    this.summaryOnce();
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    if (this.opts.mode === 'watch') return;
    // Refused or cancelled before a result: the plans already printed are the record; say the totals once.
    if (!this.sawResult && this.opts.mode !== 'plan') this.summaryOnce();
  }

  /** apply's plan totals, once: before it asks or starts writing (as the terminal UI shows them). */
  private summaryOnce(): void {
    if (this.summaryShown || this.plans.size === 0) return;
    this.summaryShown = true;
    this.out(renderPlanSummary([...this.plans.values()], this.textOptions()) + '\n');
  }

  /** One line per export still at work: reading progress while planning, or done/total, rate and ETA. */
  heartbeatLines(): string[] {
    return this.tracker
      .list()
      .filter((v) => v.phase === 'planning' || v.phase === 'applying')
      .map((v) => `${this.p('dim', '…')} ${v.export}: ${describeProgress(v)}`);
  }

  private heartbeat(): void {
    for (const line of this.heartbeatLines()) this.err(line);
  }

  private stopHeartbeat(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private textOptions() {
    return {
      width: this.opts.columns ?? PLAIN_WIDTH,
      color: this.opts.color,
      maskEmails: this.opts.maskEmails,
      full: this.opts.full,
      ...(this.opts.connectionNames !== undefined ? { connectionNames: this.opts.connectionNames } : {}),
    };
  }

  private out(text: string): void {
    this.opts.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  private err(line: string): void {
    this.opts.stderr.write(wrapText(line, this.opts.stderrColumns ?? PLAIN_WIDTH) + '\n');
  }
}

/** `applying 1,200/5,000 contacts (24%) · 38/s · 2 batches in flight · 4.8/5 req/s · waited 3.2s · ETA 1m 40s`. */
export function describeProgress(v: ProgressView): string {
  if (v.phase === 'planning') {
    const r = v.reading;
    if (r === undefined) return 'planning';
    if (r.phase === 'segment') return `reading segment: ${num(r.done)} rows`;
    if (r.phase === 'lookup') return `looking up newcomers in the account: ${formatCount(r.done, r.total ?? r.done)}`;
    return r.total !== undefined ? `reading list: ${formatCount(r.done, r.total)}` : `reading list: ${num(r.done)} contacts`;
  }
  const parts = [`applying ${formatCount(v.done, v.total)}`];
  if (v.rate !== undefined) parts.push(`${v.rate.toFixed(v.rate < 10 ? 1 : 0)}/s`);
  if (v.batchesInFlight > 0) parts.push(`${v.batchesInFlight} ${v.batchesInFlight === 1 ? 'batch' : 'batches'} in flight`);
  if (v.requestsPerSecond !== undefined) parts.push(`${v.requestsPerSecond.toFixed(1)}/${v.requestBudget} req/s`);
  if (v.pausedForMs !== undefined) parts.push(`ActiveCampaign rate limit (429): retry in ${formatDuration(v.pausedForMs)}`);
  else if (v.waitedMs > 0) parts.push(`waited ${formatDuration(v.waitedMs)} on rate limits`);
  if (v.failed > 0) parts.push(`${num(v.failed)} failed`);
  if (v.etaMs !== undefined) parts.push(`ETA ${formatDuration(v.etaMs)}`);
  if (v.stopping === true) parts.push('stopping');
  return parts.join(' · ');
}
