/**
 * `--json`: one JSON object per line on stdout, one per engine event and a last `{"type":"result"}` line.
 * The vocabulary is documented in JSON-EVENTS.md and is stable: fields may be added, never renamed or removed.
 * Emails and personal fields are masked when maskEmails is on (the default in CI), full otherwise.
 */
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import { maskEvent, maskResult } from './mask.ts';
import type { Reporter, ReporterOptions } from './reporter.ts';

export class JsonReporter implements Reporter {
  constructor(private readonly opts: ReporterOptions) {}

  event(e: EngineEvent): void {
    this.line(this.opts.maskEmails ? maskEvent(e) : e);
  }

  result(r: RunResult): void {
    this.line({ type: 'result', result: this.opts.maskEmails ? maskResult(r) : r });
  }

  async close(): Promise<void> {
    // Nothing buffered: each line is written as it comes, so a consumer sees events live.
  }

  private line(value: unknown): void {
    this.opts.stdout.write(JSON.stringify(value) + '\n');
  }
}
