/* @jsxRuntime automatic @jsxImportSource react */
/**
 * `acsync watch` in a terminal (the 'ink' format's watch screen): the WatchView redrawn from the session's events,
 * at most every RENDER_INTERVAL_MS and every second anyway for the relative times (and at once when the terminal
 * is resized: the frame is fitted to its height), with the notices printed above it as a log. On stderr, like the
 * other commands' screens: stdout keeps only data (the closing summary).
 */
import { render, renderToString, type Instance } from 'ink';
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import type { WatchSessionEvent, WatchSummary } from '../../engine/watch/events.ts';
import { initialStatus, reduceStatus, type WatchStatus } from '../../engine/watch/status.ts';
import { WatchView } from '../ui/WatchView.tsx';
import { PLAIN_WIDTH, visibleLength, wrapText } from './layout.ts';
import type { LiveScreen, ReporterOptions } from './reporter.ts';
import { clock, eventTime, formatSummary, formatWatchLine, isNotice } from './watch-text.ts';

/** The screen is redrawn at most this often: smooth to the eye, and cheap when an apply emits an event per contact. */
export const RENDER_INTERVAL_MS = 100;

export class WatchScreen implements LiveScreen {
  private status: WatchStatus = initialStatus();
  /** Every notice so far: Ink's <Static> prints each once and needs the whole list to know which are new. */
  private readonly notices: string[] = [];
  private readonly instance: Instance;
  private readonly stream: NodeJS.WriteStream;
  private readonly onResize = (): void => {
    this.dirty = true;
  };
  /** The width the frame on screen was drawn for. */
  private columns: number;
  /**
   * Runs before Ink's own resize handler. A narrower terminal reflows each line of the frame that no longer fits
   * onto two rows or more, but Ink then erases only as many rows as the frame had lines: the rows above them (the
   * header first) stay on screen, and a copy of the header is left above the new frame. So the rows the reflow
   * added are deleted first (ESC[nM at the frame's top), and Ink's erase then takes exactly the rest.
   */
  private readonly beforeInkResize = (): void => {
    const now = this.stream.columns;
    const before = this.columns;
    this.columns = now;
    if (!(now > 0) || !(before > now)) return;
    const lines = renderToString(this.view(true), { columns: before }).split('\n');
    const rows = lines.reduce((sum, line) => sum + Math.max(1, Math.ceil(visibleLength(line) / now)), 0);
    const extra = rows - lines.length;
    // Up to the frame's top, delete the extra rows there (what is below moves up), back down under the frame.
    if (extra > 0) this.stream.write(`\u001b[${rows}A\u001b[${extra}M\u001b[${lines.length}B\r`);
  };
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly now: () => number;
  private dirty = false;
  private summary: WatchSummary | undefined;

  constructor(private readonly opts: ReporterOptions) {
    this.now = opts.now ?? Date.now;
    this.stream = opts.stderr as NodeJS.WriteStream;
    this.instance = render(this.view(), { stdout: this.stream, exitOnCtrlC: false, patchConsole: false });
    this.columns = this.stream.columns;
    this.stream.on('resize', this.onResize);
    this.stream.prependListener('resize', this.beforeInkResize);
    let ticks = 0;
    this.timer = setInterval(() => {
      ticks++;
      if (this.dirty || ticks % Math.round(1000 / RENDER_INTERVAL_MS) === 0) this.instance.rerender(this.view());
      this.dirty = false;
    }, RENDER_INTERVAL_MS);
  }

  /** The screen; `live` leaves the notices out (they are above the frame, not part of it). */
  private view(live = false) {
    const rows = this.stream.rows;
    return <WatchView status={this.status} now={this.now()} notices={live ? [] : [...this.notices]} color={this.opts.color} {...(rows ? { rows } : {})} />;
  }

  watchEvent(e: WatchSessionEvent): void {
    this.status = reduceStatus(this.status, e);
    if (isNotice(e)) {
      const line = formatWatchLine(e, this.opts.cwd);
      // Laid out as the plain lines are (broken between words, continuations indented): Ink would wrap at any column.
      if (line !== undefined) this.notices.push(wrapText(`${clock(eventTime(e, this.now))} ${line}`, this.stream.columns || PLAIN_WIDTH));
    }
    this.dirty = true;
  }

  watchStopped(summary: WatchSummary): void {
    this.summary = summary;
  }

  event(e: EngineEvent): void {
    this.watchEvent(e);
  }

  stopping(text: string): void {
    // watch stops through its own session events (watch:stopping); apply's sentence is not used here.
    void text;
  }

  result(_r: RunResult): void {
    // Watch runs report through watch:run-done.
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stream.off('resize', this.onResize);
    this.stream.off('resize', this.beforeInkResize);
    this.instance.rerender(this.view());
    this.instance.unmount();
    await this.instance.waitUntilExit();
    if (this.summary !== undefined && this.summary.exports.length > 0) this.opts.stdout.write(formatSummary(this.summary).join('\n') + '\n');
  }
}
