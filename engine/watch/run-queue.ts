/**
 * One export's run loop as a small state machine: idle → running → queued. Triggers that arrive while a run
 * goes do not start a second run: they merge into ONE follow-up run, which starts when the current one ends.
 */
import type { RunReason } from './events.ts';

export type RunState = 'idle' | 'running' | 'queued';

export type Trigger = 'started' | 'queued' | 'merged' | 'ignored';

/** The pure transition on a trigger: what the state becomes and whether a run starts now. */
export function onTrigger(state: RunState): { state: RunState; outcome: Exclude<Trigger, 'ignored'> } {
  switch (state) {
    case 'idle':
      return { state: 'running', outcome: 'started' };
    case 'running':
      return { state: 'queued', outcome: 'queued' };
    case 'queued':
      return { state: 'queued', outcome: 'merged' };
  }
}

/** The pure transition when a run ends: a queued follow-up starts at once. */
export function onRunEnd(state: RunState): { state: RunState; startNext: boolean } {
  return state === 'queued' ? { state: 'running', startNext: true } : { state: 'idle', startNext: false };
}

/** Runs one export's runs, one at a time. `run` must not reject: errors are its to report. */
export class RunQueue {
  private current: RunState = 'idle';
  private pending: RunReason[] = [];
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly run: (reasons: RunReason[]) => Promise<void>) {}

  get state(): RunState {
    return this.current;
  }

  /** The run going now, if any (the shutdown waits for it). */
  get running(): Promise<void> | undefined {
    return this.inFlight;
  }

  trigger(reason: RunReason): Trigger {
    if (this.closed) return 'ignored';
    const { state, outcome } = onTrigger(this.current);
    this.current = state;
    if (!this.pending.includes(reason)) this.pending.push(reason);
    if (outcome === 'started') this.startRun();
    return outcome;
  }

  /** Takes no more triggers and drops a queued follow-up; a run in flight goes on to its end. */
  close(): void {
    this.closed = true;
    if (this.current === 'queued') {
      this.current = 'running';
      this.pending = [];
    }
  }

  /** Resolves when no run is going or queued. */
  whenIdle(): Promise<void> {
    if (this.current === 'idle') return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startRun(): void {
    const reasons = this.pending;
    this.pending = [];
    this.inFlight = this.run(reasons).then(() => this.ended(), () => this.ended());
  }

  private ended(): void {
    this.inFlight = undefined;
    const { state, startNext } = onRunEnd(this.current);
    this.current = state;
    if (startNext) {
      this.startRun();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
