/** Test doubles for watch mode's effects: a manual clock, a file watcher driven by hand, a controllable run. */
import type { Config, ExportConfig, LoadResult } from '../../engine/config/model.ts';
import type { TimerClock, TimerHandle } from '../../engine/clock.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import type { FileEventKind, FileWatcher, FileWatcherFactory } from '../../engine/watch/file-watcher.ts';
import type { RunExportsFn } from '../../engine/watch/session.ts';
import { emptyCounts, type RunResult } from '../../engine/model.ts';

/** Lets pending promise callbacks run (several rounds, since chains hop through microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Time moves only when a test calls advance(); due timers fire in order and promise chains settle after each. */
export class ManualClock implements TimerClock {
  private time: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = Date.parse('2026-03-02T08:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const t: Timer = { at: this.time + ms, seq: this.seq++, fn };
    this.timers.push(t);
    return { id: t };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle.id);
  }

  get pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  async advanceTo(iso: string): Promise<void> {
    await this.advance(Date.parse(iso) - this.time);
  }
}

/** A file watcher whose events the test emits itself. */
export class HandWatcher {
  watched: string[] = [];
  closed = false;
  private onEvent: ((file: string, kind: FileEventKind) => void) | undefined;

  readonly factory: FileWatcherFactory = (onEvent) => {
    this.onEvent = onEvent;
    const self = this;
    const watcher: FileWatcher = {
      set(paths) {
        self.watched = [...paths].sort();
      },
      ready: () => Promise.resolve(),
      async close() {
        self.closed = true;
      },
    };
    return watcher;
  };

  emit(file: string, kind: FileEventKind = 'change'): void {
    if (this.onEvent === undefined) throw new Error('no watcher created yet');
    this.onEvent(file, kind);
  }
}

/** A run function whose runs the test finishes by hand; records each call. */
export class HandRuns {
  calls: Array<{ exports: string[]; mode: 'plan' | 'apply'; signal?: AbortSignal; config: Config }> = [];
  private resolvers: Array<{ name: string; finish: (r: RunResult | Error) => void }> = [];
  /** When true, runs finish on their own in the next microtask. */
  auto = false;

  readonly fn: RunExportsFn = (config, options) => {
    const exports = options.exports ?? [];
    this.calls.push({ exports, mode: options.mode, config, ...(options.signal ? { signal: options.signal } : {}) });
    const name = exports[0] ?? '';
    if (this.auto) return Promise.resolve(okResult(name));
    return new Promise<RunResult>((resolve, reject) => {
      this.resolvers.push({ name, finish: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  };

  get inFlight(): string[] {
    return this.resolvers.map((r) => r.name);
  }

  /** Finishes the oldest run of `name` (ok with one create, unless told otherwise). */
  finish(name: string, outcome: RunResult | Error = okResult(name)): void {
    const i = this.resolvers.findIndex((r) => r.name === name);
    const r = this.resolvers[i];
    if (r === undefined) throw new Error(`no run of ${name} in flight`);
    this.resolvers.splice(i, 1);
    r.finish(outcome);
  }

  runsOf(name: string): number {
    return this.calls.filter((c) => c.exports.includes(name)).length;
  }
}

export function okResult(name: string, applied = 1): RunResult {
  const counts = { ...emptyCounts(), create: applied };
  return {
    mode: 'apply',
    ok: true,
    changesPending: false,
    exports: [
      {
        export: name,
        connection: 'main',
        listId: '1',
        plan: { export: name, connection: 'main', listId: '1', changes: [], counts },
        applied,
        failed: 0,
        durationMs: 5,
      },
    ],
  };
}

export function exportConfig(name: string, over: Partial<ExportConfig> = {}): ExportConfig {
  return {
    name,
    connection: 'main',
    owner: 'ada@example.com',
    segment: `segments/${name}.csv`,
    segmentPath: `/project/segments/${name}.csv`,
    listId: '1',
    mapping: { email: 'email', fields: {} },
    onLeave: 'keep',
    enabled: true,
    maxUnsubscribe: 0.1,
    tags: [],
    excludeAutomations: false,
    ...over,
  };
}

export function config(exports: ExportConfig[]): Config {
  return {
    file: '/project/acsync.yaml',
    displayFile: 'acsync.yaml',
    version: 1,
    roles: { admins: ['ada@example.com'], contributors: [] },
    connections: {
      main: {
        id: 'main',
        type: 'activecampaign',
        displayName: 'Main',
        hostname: 'x.api-us1.com',
        apiKeyEnv: 'AC_API_KEY',
        usableBy: 'admins',
        dataPrivacyConsent: true,
        exportUser: 'ada@example.com',
      },
    },
    exports: Object.fromEntries(exports.map((e) => [e.name, e])),
    locations: {},
  };
}

/** A config loader that returns whatever the test set last. */
export class HandConfig {
  constructor(public current: LoadResult) {}
  readonly load = (): Promise<LoadResult> => Promise.resolve(this.current);
}

export function eventsOf<T extends WatchSessionEvent['type']>(events: WatchSessionEvent[], type: T): Array<Extract<WatchSessionEvent, { type: T }>> {
  return events.filter((e): e is Extract<WatchSessionEvent, { type: T }> => e.type === type);
}
