/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The terminal UI (stderr is a TTY, CI unset): plans drawn with colour and word-level field diffs, a live progress
 * area per export during apply, finished work moved into <Static>, a final summary, and the y/N prompt.
 * When stdout is not a terminal (`acsync plan > plan.txt` from a shell), the plan and summary are written there as
 * plain text and the terminal only shows progress.
 */
import { render, renderToString, useStderr, type Instance } from 'ink';
import type { ReactNode } from 'react';
import type { EngineEvent } from '../../engine/events.ts';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import { formatDiagnostic } from '../diagnostics.ts';
import { ConfirmPrompt, type ConfirmAnswer } from '../ui/ConfirmPrompt.tsx';
import { ReporterApp, type StaticItem } from '../ui/ReporterApp.tsx';
import { CHANGES_SHOWN_PER_KIND } from './actions.ts';
import { emailShower } from './mask.ts';
import { describeListRead, renderExportPlan, renderPlanSummary } from './plan-text.ts';
import { ProgressTracker } from './progress.ts';
import { renderApplyResult, renderExportErrors } from './result-text.ts';
import type { LiveScreen, ReporterOptions } from './reporter.ts';
import { painter } from './style.ts';
import { PLAIN_WIDTH } from './layout.ts';

/** Redraws are coalesced to at most one per frame: 10 a second is smooth for a progress bar and cheap on 2 cores. */
export const FRAME_MS = 100;

type Stream = NodeJS.WriteStream | NodeJS.WritableStream;

/** Live Ink reporters by the stream they draw on, so `confirm` can ask inside the running UI instead of fighting it. */
const LIVE = new Map<Stream, InkReporter>();

export class InkReporter implements LiveScreen {
  private readonly tracker: ProgressTracker;
  private readonly items: Array<StaticItem & { id: number }> = [];
  private readonly plans = new Map<string, ExportPlan>();
  private readonly failuresShown = new Map<string, number>();
  private readonly planInTerminal: boolean;
  private readonly instance: Instance;
  private prompt: { question: string; onAnswer: (answer: ConfirmAnswer) => void } | undefined;
  /** Once the result is in, what it adds is kept for the final frame (see ReporterAppProps.tail). */
  private tail: StaticItem[] | undefined;
  private summaryShown = false;
  private tick = 0;
  private pendingFrame: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Ink's own "write above the live area" (useStderr().write), once the app is mounted. */
  private writeAbove: ((data: string) => void) | undefined;
  private readonly unguard: () => void;

  constructor(
    private readonly opts: ReporterOptions,
    io: {
      stdin?: NodeJS.ReadStream;
      now?: () => number;
      /** Ink's debug mode: every frame written in full, Static included (what ink-testing-library does; for tests). */
      debug?: boolean;
    } = {},
  ) {
    this.tracker = new ProgressTracker(io.now ?? Date.now);
    this.planInTerminal = (opts.stdout as NodeJS.WriteStream).isTTY === true;
    // Ink writes through its own view of the stream; anyone else's write goes above the live area (see guardStream).
    const out = inkView(opts.stderr, opts.color);
    this.instance = render(this.app(), {
      stdout: out as NodeJS.WriteStream,
      stderr: out as NodeJS.WriteStream,
      stdin: io.stdin ?? process.stdin,
      // apply handles SIGINT itself (stop sending, wait for batches in flight); the prompt reports Ctrl-C as 'interrupted'.
      exitOnCtrlC: false,
      patchConsole: false,
      ...(io.debug === true ? { debug: true } : {}),
    });
    this.unguard = guardStream(opts.stderr, () => (this.closed ? undefined : this.writeAbove));
    LIVE.set(opts.stderr, this);
    this.ticker = setInterval(() => {
      this.tick++;
      if (this.tracker.list().some((v) => v.phase === 'planning' || v.phase === 'applying')) this.draw();
    }, FRAME_MS);
    this.ticker.unref?.();
  }

  event(e: EngineEvent): void {
    const view = this.tracker.apply(e);
    switch (e.type) {
      case 'diagnostic':
        this.push({ kind: 'text', text: formatDiagnostic(e.diagnostic, { color: true }) });
        break;
      case 'plan:list-read':
        this.push({ kind: 'text', text: `${painter(true)('dim', 'read')} ${describeListRead(e)}` });
        break;
      case 'plan:done':
        this.addPlan(e.plan);
        break;
      case 'apply:start':
        this.showSummaryOnce();
        break;
      case 'change:failed': {
        const n = (this.failuresShown.get(e.export) ?? 0) + 1;
        this.failuresShown.set(e.export, n);
        const show = emailShower(this.opts.maskEmails);
        const p = painter(true);
        if (n <= CHANGES_SHOWN_PER_KIND) this.push({ kind: 'text', text: `${p('red', '✗')} ${e.export}: ${show(e.email)} ${p('dim', `(${e.action})`)} ${e.reason}` });
        break;
      }
      case 'apply:summary': {
        const finished = this.tracker.find(e.export);
        if (finished !== undefined) this.push({ kind: 'finished', view: finished });
        break;
      }
      default:
        void view;
    }
    this.scheduleDraw();
  }

  stopping(text: string): void {
    this.tracker.stop();
    // Into <Static>, above the live rows: written to the stream, it would land inside the live area and the next
    // frame would erase part of it and leave an old frame behind.
    this.push({ kind: 'text', text: text.replace(/^\n+|\n+$/g, '') });
    this.draw();
  }

  result(r: RunResult): void {
    for (const e of r.exports) if (e.plan !== undefined && !this.plans.has(e.export)) this.addPlan(e.plan);
    this.tail = [];
    const errors = renderExportErrors(r.exports, { color: true });
    if (r.mode === 'plan') {
      if (errors.length > 0) this.data(errors.join('\n'), errors.join('\n'));
      this.showSummaryOnce(r.exports.filter((e) => e.plan === undefined).length);
    } else {
      this.showSummaryOnce();
      const text = { maskEmails: this.opts.maskEmails, full: this.opts.full, ...(this.opts.connectionNames ? { connectionNames: this.opts.connectionNames } : {}) };
      this.data(
        '\n' + renderApplyResult(r, { ...text, color: true, width: this.columns() }).trimEnd(),
        renderApplyResult(r, { ...text, color: false, width: PLAIN_WIDTH }),
      );
    }
    this.draw();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.pendingFrame !== undefined) clearTimeout(this.pendingFrame);
    this.prompt?.onAnswer('interrupted');
    this.prompt = undefined;
    // A tail taller than the terminal would make Ink clear the screen to draw it: such a tail goes to <Static> too.
    const rows = (this.opts.stderr as NodeJS.WriteStream).rows ?? 0;
    if (this.tail !== undefined && rows > 0 && this.tailHeight() >= rows - 1) {
      for (const item of this.tail.splice(0)) this.items.push({ ...item, id: this.items.length });
    }
    this.draw(true);
    LIVE.delete(this.opts.stderr);
    this.instance.unmount();
    this.unguard();
    await this.instance.waitUntilExit().catch(() => undefined);
  }

  /** Shows the plan summary and a y/N question below it; resolves with the answer. */
  ask(question: string): Promise<ConfirmAnswer> {
    this.showSummaryOnce();
    return new Promise((resolve) => {
      this.prompt = {
        question,
        onAnswer: (answer) => {
          this.prompt = undefined;
          this.push({ kind: 'text', text: `${question} ${answer}`, gapAfter: true });
          this.draw();
          resolve(answer);
        },
      };
      this.draw();
    });
  }

  private addPlan(plan: ExportPlan): void {
    this.plans.set(plan.export, plan);
    if (this.planInTerminal) this.push({ kind: 'plan', plan });
    else this.opts.stdout.write(renderExportPlan(plan, { ...this.textOptions(), color: false, width: PLAIN_WIDTH }) + '\n\n');
  }

  private showSummaryOnce(unplanned = 0): void {
    if (this.summaryShown || this.plans.size === 0) return;
    this.summaryShown = true;
    const plans = [...this.plans.values()];
    if (this.planInTerminal) this.push({ kind: 'summary', plans, unplanned });
    else this.opts.stdout.write(renderPlanSummary(plans, { ...this.textOptions(), color: false, width: PLAIN_WIDTH }, unplanned) + '\n');
  }

  /** Data goes to the terminal UI when stdout is the terminal, else to stdout as plain text. */
  private data(coloured: string, plain: string): void {
    if (this.planInTerminal) this.push({ kind: 'text', text: coloured });
    else this.opts.stdout.write(plain.endsWith('\n') ? plain : plain + '\n');
  }

  private textOptions() {
    return {
      maskEmails: this.opts.maskEmails,
      full: this.opts.full,
      ...(this.opts.connectionNames ? { connectionNames: this.opts.connectionNames } : {}),
    };
  }

  private push(item: StaticItem): void {
    if (this.tail !== undefined) this.tail.push(item);
    else this.items.push({ ...item, id: this.items.length });
  }

  /** The terminal's width (Ink's own fallback when the stream reports none). */
  private columns(): number {
    return (this.opts.stderr as NodeJS.WriteStream).columns || PLAIN_WIDTH;
  }

  private tailHeight(): number {
    const columns = this.columns();
    const text = renderToString(<ReporterApp items={[]} live={[]} planOptions={this.textOptions()} tick={0} tail={this.tail} />, { columns });
    return text.split('\n').length;
  }

  private scheduleDraw(): void {
    if (this.pendingFrame !== undefined || this.closed) return;
    this.pendingFrame = setTimeout(() => {
      this.pendingFrame = undefined;
      this.draw();
    }, FRAME_MS);
  }

  private draw(final = false): void {
    this.instance.rerender(this.app(final));
  }

  private app(final = false) {
    const live = final ? [] : this.tracker.list().filter((v) => v.phase === 'planning' || v.phase === 'applying');
    // The tail waits for the final frame: drawn earlier, it would sit above progress rows still on screen.
    const tail = final ? this.tail : undefined;
    return (
      <StderrBridge bind={(write) => (this.writeAbove = write)}>
        <ReporterApp items={[...this.items]} live={live} planOptions={this.textOptions()} prompt={this.prompt} tick={this.tick} tail={tail} />
      </StderrBridge>
    );
  }
}

/** The y/N prompt behind `confirm`: inside a live Ink reporter on the same stream, or as a small app of its own. */
export async function askYesNo(question: string, io: { stdin: NodeJS.ReadStream; stdout: Stream }): Promise<ConfirmAnswer> {
  const live = LIVE.get(io.stdout);
  if (live !== undefined) return live.ask(question);
  return new Promise((resolve) => {
    const instance = render(
      <ConfirmPrompt
        question={question}
        onAnswer={(answer) => {
          // Let Ink draw the answer before it lets go of the terminal.
          setTimeout(() => {
            instance.unmount();
            resolve(answer);
          }, 0);
        }}
      />,
      { stdout: io.stdout as NodeJS.WriteStream, stdin: io.stdin, exitOnCtrlC: false, patchConsole: false },
    );
  });
}

/** Hands Ink's write-above function to the reporter. */
function StderrBridge({ bind, children }: { bind: (write: (data: string) => void) => void; children: ReactNode }) {
  bind(useStderr().write);
  return children;
}

type WriteFn = (chunk: unknown, ...rest: unknown[]) => boolean;

/**
 * What Ink draws on: the stream itself, with the write it had before guardStream, and without SGR colour codes for
 * NO_COLOR / --no-color (Ink's cursor movement stays).
 */
function inkView(stream: Stream, colour: boolean): Stream {
  const write = (stream.write as WriteFn).bind(stream);
  // eslint-disable-next-line no-control-regex
  const sgr = /\u001b\[[0-9;]*m/g;
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return (chunk: unknown, ...rest: unknown[]) => write(!colour && typeof chunk === 'string' ? chunk.replace(sgr, '') : chunk, ...rest);
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * While Ink owns the terminal, a write by anyone else (apply's "stopping…" on Ctrl-C, a Node warning) would land in
 * the middle of the live area, and Ink's next redraw would erase the wrong lines and leave old frames behind. Such
 * writes go through Ink's own write-above (clear the live area, write, redraw it). Returns the undo.
 */
function guardStream(stream: Stream, above: () => ((data: string) => void) | undefined): () => void {
  const own = Object.hasOwn(stream, 'write');
  const original = stream.write;
  const guarded = (chunk: unknown, ...rest: unknown[]): boolean => {
    const write = above();
    // Before Ink is mounted (or once it is closing) there is no live area to protect.
    if (write === undefined) return (original as WriteFn).call(stream, chunk, ...rest);
    write(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  };
  (stream as { write: unknown }).write = guarded;
  return () => {
    if (own) (stream as { write: unknown }).write = original;
    else delete (stream as { write?: unknown }).write;
  };
}
