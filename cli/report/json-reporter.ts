/**
 * `--json`: one JSON object per line on stdout, one per event. The vocabulary is documented in JSON-EVENTS.md and
 * described by schemas/events.schema.json; it is stable: fields may be added, never renamed or removed.
 * plan and apply end with a `{"type":"result","result":RunResult}` line (also when the config is invalid),
 * validate with `{"type":"result","file",...,"valid"}`, show writes one `saved-plan` line per export, watch ends with
 * `watch:stopped`. Emails and personal fields are masked when maskEmails is on (the default in CI), full otherwise.
 */
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import { maskEvent, maskPlan, maskResult, maskWatchEvent } from './mask.ts';
import type { ConfigCheck, Reporter, ReporterOptions, SavedPlanView } from './reporter.ts';

export class JsonReporter implements Reporter {
  /** Exports whose plan this stream carried already (plan:done). */
  private readonly planned = new Set<string>();

  constructor(private readonly opts: ReporterOptions) {}

  config(check: ConfigCheck): void {
    for (const d of check.diagnostics) this.line({ type: 'diagnostic', diagnostic: d });
    const errors = check.diagnostics.filter((d) => d.severity === 'error').length;
    if (this.opts.mode === 'validate') {
      const file = check.valid !== undefined ? check.file : (check.diagnostics[0]?.file ?? check.file);
      this.line({ type: 'result', file, valid: check.valid !== undefined, errors, warnings: check.diagnostics.length - errors });
    } else if ((this.opts.mode === 'plan' || this.opts.mode === 'apply') && check.valid === undefined) {
      // The stream always ends with a result, so a consumer waiting for it never hangs on a broken config.
      this.result({ mode: this.opts.mode, ok: false, changesPending: false, exports: [] });
    }
  }

  event(e: EngineEvent): void {
    if (e.type === 'plan:done') this.planned.add(e.export);
    this.line(this.opts.maskEmails ? maskEvent(e) : e);
  }

  /**
   * Each export of the result has its plan's `counts`; the whole `plan` (every change, possibly a million) only
   * when no plan:done line carried it already (a saved plan applied): it used to be sent twice.
   */
  result(r: RunResult): void {
    const shown = this.opts.maskEmails ? maskResult(r) : r;
    const exports = shown.exports.map((e) => {
      if (e.plan === undefined) return e;
      const { plan, ...rest } = e;
      return this.planned.has(e.export) ? { ...rest, counts: plan.counts } : { ...rest, plan, counts: plan.counts };
    });
    this.line({ type: 'result', result: { ...shown, exports } });
  }

  savedPlan(view: SavedPlanView): void {
    for (const e of view.saved.exports) {
      this.line({ type: 'saved-plan', export: e.export, connection: e.connection, listId: e.listId, plan: this.opts.maskEmails ? maskPlan(e.plan) : e.plan });
    }
  }

  watchEvent(e: WatchSessionEvent): void {
    this.line(this.opts.maskEmails ? maskWatchEvent(e) : e);
  }

  watchStopped(_summary: WatchSummary): void {
    // Already said: the session's last event, watch:stopped, carries the summary.
  }

  notice(text: string): void {
    // stdout carries only JSON lines.
    this.opts.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  stopping(text: string): void {
    this.notice(text);
  }

  async beforeAsk(): Promise<void> {
    // --json never asks (apply refuses without --auto-approve or a saved plan).
  }

  async close(): Promise<void> {
    // Nothing buffered: each line is written as it comes, so a consumer sees events live.
  }

  private line(value: unknown): void {
    this.opts.stdout.write(JSON.stringify(value) + '\n');
  }
}
