import { describe, expect, it } from 'vitest';
import type { RunReason } from '../../engine/watch/events.ts';
import { onRunEnd, onTrigger, RunQueue, type RunState } from '../../engine/watch/run-queue.ts';
import { settle } from './fakes.ts';

describe('run state machine: transitions', () => {
  it.each<[RunState, RunState, string]>([
    ['idle', 'running', 'started'],
    ['running', 'queued', 'queued'],
    ['queued', 'queued', 'merged'],
  ])('a trigger when %s → %s (%s)', (from, to, outcome) => {
    expect(onTrigger(from)).toEqual({ state: to, outcome });
  });

  it.each<[RunState, RunState, boolean]>([
    ['running', 'idle', false],
    ['queued', 'running', true],
  ])('a run ending when %s → %s (next starts: %s)', (from, to, startNext) => {
    expect(onRunEnd(from)).toEqual({ state: to, startNext });
  });
});

/** A queue whose runs the test ends by hand. */
function handQueue() {
  const runs: RunReason[][] = [];
  const enders: Array<() => void> = [];
  const q = new RunQueue((reasons) => {
    runs.push(reasons);
    return new Promise<void>((resolve) => enders.push(resolve));
  });
  const endRun = async () => {
    enders.shift()?.();
    await settle();
  };
  return { q, runs, endRun };
}

describe('RunQueue', () => {
  it('a burst of triggers while idle starts one run, the rest merge into one follow-up', async () => {
    const { q, runs, endRun } = handQueue();
    expect(q.trigger('change')).toBe('started');
    expect(q.trigger('change')).toBe('queued');
    expect(q.trigger('schedule')).toBe('merged');
    expect(q.trigger('change')).toBe('merged');
    expect(runs).toEqual([['change']]);
    await endRun();
    expect(runs).toEqual([['change'], ['change', 'schedule']]);
    expect(q.state).toBe('running');
    await endRun();
    expect(q.state).toBe('idle');
    expect(runs).toHaveLength(2);
  });

  it('a run that rejects still ends, and the queued follow-up runs', async () => {
    const runs: number[] = [];
    const q = new RunQueue(async () => {
      runs.push(runs.length);
      if (runs.length === 1) throw new Error('network down');
    });
    q.trigger('initial');
    q.trigger('change');
    await q.whenIdle();
    expect(runs).toEqual([0, 1]);
  });

  it('close() drops a queued follow-up but lets the run in flight end', async () => {
    const { q, runs, endRun } = handQueue();
    q.trigger('initial');
    q.trigger('change');
    q.close();
    expect(q.trigger('change')).toBe('ignored');
    const idle = q.whenIdle();
    await endRun();
    await idle;
    expect(runs).toHaveLength(1);
    expect(q.state).toBe('idle');
  });
});
