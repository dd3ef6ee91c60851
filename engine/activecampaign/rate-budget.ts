/**
 * The rate budget of one ActiveCampaign ACCOUNT. ActiveCampaign counts requests per account, not per key or per
 * connection, so every client (every export) talking to one hostname in this process shares one budget.
 *
 * Two rolling windows: every request counts against the per-second window; bulk imports also count against their
 * per-minute window. Waiters are served first come, first served, except that a bulk import waiting for its
 * per-minute window does not hold back ordinary requests behind it (polls and reads go on while imports wait).
 *
 * A process starts knowing nothing of what the account used before it (a run that ended a moment ago, another
 * integration), so it starts gently: one request at a time until an answer says how much of the window is left
 * (`RateLimit-Remaining`, docs/activecampaign-api.md "Rate limits"). From then on what the server counts beyond
 * our own requests is counted in our window too. A 429 that comes before this process could have used the budget
 * is someone else's (`inherited`): waited out as any 429, but not this run's doing (issue 16 item 13).
 */
import { systemClock, type SleepClock } from '../clock.ts';

/** 5 requests per second per account (developers.activecampaign.com/reference/rate-limits). */
export const REQUESTS_PER_SECOND = 5;
/** 100 multi-contact bulk import requests per rolling minute (developers.activecampaign.com/reference/bulk-import-contacts). */
export const BULK_IMPORTS_PER_MINUTE = 100;
/** 20 single-contact bulk import requests per rolling minute (same page). */
export const BULK_SINGLE_IMPORTS_PER_MINUTE = 20;

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
/**
 * ActiveCampaign counts a request when it arrives, we count it when we send it; network jitter can bring two
 * requests sent a full window apart closer together on arrival. This much extra spacing absorbs that.
 */
export const WINDOW_MARGIN_MS = 25;
/** The longest pause a server's Retry-After can impose on the account (see transport.ts MAX_SERVER_WAIT_MS). */
export const MAX_PAUSE_MS = 5 * 60_000;
/** With no Retry-After on a 429, the account is paused for one full per-second window. */
const DEFAULT_429_PAUSE_MS = SECOND_MS;

export type RequestKind = 'request' | 'bulk-import' | 'bulk-import-single';

export interface RateLimits {
  requestsPerSecond: number;
  bulkPerMinute: number;
  bulkSinglePerMinute: number;
}

export const ACTIVECAMPAIGN_LIMITS: Readonly<RateLimits> = {
  requestsPerSecond: REQUESTS_PER_SECOND,
  bulkPerMinute: BULK_IMPORTS_PER_MINUTE,
  bulkSinglePerMinute: BULK_SINGLE_IMPORTS_PER_MINUTE,
};

/** Time, injectable so tests can drive the budget without waiting: the engine's one clock (engine/clock.ts). */
export type Clock = SleepClock;
export { systemClock };

export interface RateBudgetStats {
  /** Requests let through, by kind. */
  granted: Record<RequestKind, number>;
  /** Total time callers spent waiting in acquire (summed over callers). */
  waitedMs: number;
  /** Pauses imposed by the server (429, Retry-After, bulk rate-limit rejections, RateLimit-Remaining: 0). */
  pauses: number;
  /** Of those, refusals that came before this process could have used the budget (see `inherited`). */
  inheritedPauses: number;
  /** Requests the server counted in its window beyond ours (RateLimit-Remaining), counted in our window too. */
  foreignCounted: number;
  /** The longest queue seen. */
  maxQueue: number;
}

/** What onResponse concluded: a pause of the whole account (or of bulk imports) in milliseconds, or none. */
export interface BudgetReaction {
  pausedMs: number;
  scope: 'account' | 'bulk' | 'none';
  /**
   * Set on a refusal this process cannot have caused: it came while we were still sending one request at a time
   * (before any answer that was not a refusal), or within the first window of this process's requests while they
   * were fewer than the limit. The budget was used before this run (a previous run, another integration).
   */
  inherited?: true;
}

/**
 * The requests of one rolling window. A request counts from when it is sent until one window after its response
 * came back: ActiveCampaign received it somewhere in between, so that is the one moment we know is not too early.
 * Counting from the send time alone lets a slow or queued request arrive inside the next window.
 */
class RollingWindow {
  /** Response times of finished requests, ascending. */
  private readonly finished: number[] = [];
  private inFlight = 0;
  constructor(
    public limit: number,
    private readonly windowMs: number,
  ) {}

  private prune(now: number): void {
    while (this.finished.length > 0 && now - (this.finished[0] as number) >= this.windowMs + WINDOW_MARGIN_MS) this.finished.shift();
  }

  /**
   * The earliest time at which one more request keeps at most `limit` in any window; +Infinity when requests in
   * flight alone fill the window (the next response decides).
   */
  freeAt(now: number): number {
    this.prune(now);
    const room = this.limit - this.inFlight;
    if (room <= 0) return Number.POSITIVE_INFINITY;
    if (this.finished.length < room) return now;
    const blocking = this.finished[this.finished.length - room] as number;
    return blocking + this.windowMs + WINDOW_MARGIN_MS;
  }

  /** Requests counted in the window now (finished within it, and in flight). */
  used(now: number): number {
    this.prune(now);
    return this.finished.length + this.inFlight;
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Counts `n` requests someone else sent as if answered now: the window holds them for a full window from now. */
  occupy(n: number, now: number): void {
    for (let i = 0; i < n; i++) this.finish(now, false);
  }

  start(): void {
    this.inFlight++;
  }

  finish(now: number, wasOurs = true): void {
    if (wasOurs) this.inFlight = Math.max(0, this.inFlight - 1);
    let i = this.finished.length;
    while (i > 0 && (this.finished[i - 1] as number) > now) i--;
    this.finished.splice(i, 0, now);
  }
}

/** Permission to send one request. Call done() when its response (or failure) is in. */
export interface BudgetTicket {
  /** How long acquire waited. */
  waitedMs: number;
  done(): void;
}

interface Waiter {
  kind: RequestKind;
  enqueuedAt: number;
  resolve: (ticket: BudgetTicket) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RateBudget {
  private readonly clock: Clock;
  private limits: RateLimits;
  private readonly requests: RollingWindow;
  private readonly bulk: RollingWindow;
  private readonly bulkSingle: RollingWindow;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private bulkPausedUntil = 0;
  /** Whether an answer that was not a refusal has come back: until then, one request at a time. */
  private known = false;
  /** Whether an answer carried RateLimit-Remaining. */
  private remainingSeen = false;
  /** When this budget let its first request (of each window's kind) through. */
  private readonly firstGrantAt = new Map<RequestKind, number>();
  private pumping = false;
  private kicked = false;
  private wake: AbortController | undefined;
  private readonly counters: RateBudgetStats = {
    granted: { request: 0, 'bulk-import': 0, 'bulk-import-single': 0 },
    waitedMs: 0,
    pauses: 0,
    inheritedPauses: 0,
    foreignCounted: 0,
    maxQueue: 0,
  };

  constructor(limits: Partial<RateLimits> = {}, clock: Clock = systemClock) {
    this.clock = clock;
    this.limits = { ...ACTIVECAMPAIGN_LIMITS, ...limits };
    this.requests = new RollingWindow(this.limits.requestsPerSecond, SECOND_MS);
    this.bulk = new RollingWindow(this.limits.bulkPerMinute, MINUTE_MS);
    this.bulkSingle = new RollingWindow(this.limits.bulkSinglePerMinute, MINUTE_MS);
  }

  get currentLimits(): Readonly<RateLimits> {
    return this.limits;
  }

  /** Changes the limits (e.g. an emulator scaled for tests, or a lower RateLimit-Limit announced by the server). */
  setLimits(limits: Partial<RateLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.requests.limit = this.limits.requestsPerSecond;
    this.bulk.limit = this.limits.bulkPerMinute;
    this.bulkSingle.limit = this.limits.bulkSinglePerMinute;
    this.kick();
  }

  /**
   * Waits until a request of this kind may be sent, then counts it as in flight until the ticket's done().
   * Rejects with the signal's reason when aborted while waiting (nothing is counted then).
   */
  acquire(kind: RequestKind, signal?: AbortSignal): Promise<BudgetTicket> {
    signal?.throwIfAborted();
    return new Promise<BudgetTicket>((resolve, reject) => {
      const waiter: Waiter = { kind, enqueuedAt: this.clock.now(), resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
          this.kick();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.counters.maxQueue = Math.max(this.counters.maxQueue, this.queue.length);
      this.kick();
    });
  }

  /**
   * Adapts to what the server said. 429 (or a bulk import refused with "Rate limit exceeded.") pauses the whole
   * account (or bulk imports) until Retry-After, and says whether the refusal was inherited. Any other answer ends
   * the gentle start, and its RateLimit-Remaining tells how many requests the server counted in its window: those
   * beyond our own are someone else's and are counted in our window too, so we wait for them to age out.
   */
  onResponse(
    headers: Headers | Record<string, string | string[] | undefined>,
    status: number,
    options: { bulkRateLimited?: boolean; maxWaitMs?: number; kind?: RequestKind } = {},
  ): BudgetReaction {
    const now = this.clock.now();
    const asked = parseRetryAfter(headerValue(headers, 'retry-after'), now);
    // What a server may ask is clamped: one absurd Retry-After must not freeze every export of the account.
    const retryAfter = asked === undefined ? undefined : Math.min(asked, options.maxWaitMs ?? MAX_PAUSE_MS);
    const announcedLimit = Number(headerValue(headers, 'ratelimit-limit'));
    if (Number.isInteger(announcedLimit) && announcedLimit > 0 && announcedLimit < this.limits.requestsPerSecond) {
      this.setLimits({ requestsPerSecond: announcedLimit });
    }
    if (options.bulkRateLimited === true) {
      const ms = retryAfter ?? Math.ceil(MINUTE_MS / Math.max(1, this.limits.bulkPerMinute));
      const inherited = this.inherited(options.kind === 'bulk-import-single' ? 'bulk-import-single' : 'bulk-import', now);
      this.bulkPausedUntil = Math.max(this.bulkPausedUntil, now + ms);
      return this.paused(ms, 'bulk', inherited);
    }
    if (status === 429) {
      const ms = retryAfter ?? DEFAULT_429_PAUSE_MS;
      const inherited = this.inherited('request', now);
      this.pausedUntil = Math.max(this.pausedUntil, now + ms);
      return this.paused(ms, 'account', inherited);
    }
    // An outage's 5xx (often from a gateway, without the headers) says nothing of the account's window.
    if (status < 500) this.known = true;
    const remaining = Number(headerValue(headers, 'ratelimit-remaining') ?? Number.NaN);
    if (Number.isInteger(remaining) && remaining >= 0) {
      this.remainingSeen = true;
      // The server counted `limit - remaining` requests in its window, this one included. Ours in our window are
      // at least those it counted of ours (we hold each for a full window after its answer), so what is left over
      // is certainly someone else's. At full speed our own traffic drives Remaining to 0 and nothing is left over.
      const foreign = this.limits.requestsPerSecond - remaining - this.requests.used(now);
      if (foreign > 0) {
        this.requests.occupy(foreign, now);
        this.counters.foreignCounted += foreign;
        this.kick();
        const pausedMs = Math.max(0, this.requests.freeAt(now) - now);
        if (pausedMs > 0) return { pausedMs, scope: 'account' };
      }
    }
    return { pausedMs: 0, scope: 'none' };
  }

  private paused(ms: number, scope: 'account' | 'bulk', inherited: boolean): BudgetReaction {
    this.counters.pauses++;
    if (!inherited) return { pausedMs: ms, scope };
    this.counters.inheritedPauses++;
    return { pausedMs: ms, scope, inherited: true };
  }

  /**
   * Whether a refusal of this kind cannot be this process's doing: still in the gentle start (one request at a
   * time, each after the pause before it), or, with nothing better to go by (no RateLimit-Remaining; bulk imports
   * have no such header), within the first window of our requests of this kind while they fit its limit.
   */
  private inherited(kind: RequestKind, now: number): boolean {
    if (kind === 'request' && !this.known) return true;
    // Once the server said what others used (RateLimit-Remaining), that is in our window: a 429 after it means
    // someone sent requests since, while this run was going. Without that header only the first window can tell.
    if (kind === 'request' && this.remainingSeen) return false;
    const first = this.firstGrantAt.get(kind);
    if (first === undefined) return true;
    const window = this.windowFor(kind) ?? this.requests;
    const windowMs = kind === 'request' ? SECOND_MS : MINUTE_MS;
    const limit = kind === 'request' ? this.limits.requestsPerSecond : window.limit;
    // The refused request is in our window already (its ticket is done): it and ours before it fit the limit.
    return now - first < windowMs + WINDOW_MARGIN_MS && window.used(now) <= limit;
  }

  /**
   * Whether this process is using at least half the account's per-second budget: a 503 then is most likely
   * ActiveCampaign's rate limit in another guise (transport.ts), not an outage.
   */
  nearLimit(): boolean {
    return this.requests.used(this.clock.now()) * 2 >= this.limits.requestsPerSecond || this.pausedFor() > 0;
  }

  /** Milliseconds until the account may send again because of a server-imposed pause (0 when none). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  stats(): RateBudgetStats {
    return { ...this.counters, granted: { ...this.counters.granted } };
  }

  private windowFor(kind: RequestKind): RollingWindow | undefined {
    if (kind === 'bulk-import') return this.bulk;
    if (kind === 'bulk-import-single') return this.bulkSingle;
    return undefined;
  }

  private kick(): void {
    if (this.pumping) {
      this.kicked = true;
      this.wake?.abort();
      return;
    }
    this.pumping = true;
    this.kicked = false;
    void this.pump().finally(() => {
      this.pumping = false;
      // Something changed after the loop's last look (between its return and here).
      if (this.kicked) this.kick();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      this.kicked = false;
      const now = this.clock.now();
      let wakeAt = Number.POSITIVE_INFINITY;
      let granted = false;
      if (now < this.pausedUntil) {
        wakeAt = this.pausedUntil;
      } else if (!this.known && this.requests.pending > 0) {
        // The gentle start: the answer in flight tells what is left of the account's window; done() kicks us.
        return;
      } else {
        const requestFree = this.requests.freeAt(now);
        for (const waiter of this.queue) {
          const window = this.windowFor(waiter.kind);
          if (window !== undefined) {
            const bulkFree = Math.max(window.freeAt(now), this.bulkPausedUntil);
            if (bulkFree > now) {
              // Imports of this kind queue behind each other; ordinary requests behind them go on.
              wakeAt = Math.min(wakeAt, bulkFree);
              continue;
            }
          }
          if (requestFree > now) {
            wakeAt = Math.min(wakeAt, requestFree);
            break;
          }
          this.grant(waiter, now, window);
          granted = true;
          break;
        }
      }
      if (granted) continue;
      // Nothing to wake for but a response coming back: done() kicks the pump again.
      if (!Number.isFinite(wakeAt)) return;
      this.wake = new AbortController();
      try {
        await this.clock.sleep(Math.max(0, wakeAt - now), this.wake.signal);
      } catch {
        // Woken early: something changed (a new waiter, an abort, new limits).
      } finally {
        this.wake = undefined;
      }
    }
  }

  private grant(waiter: Waiter, now: number, window: RollingWindow | undefined): void {
    this.queue.splice(this.queue.indexOf(waiter), 1);
    this.requests.start();
    window?.start();
    if (waiter.signal !== undefined && waiter.onAbort !== undefined) waiter.signal.removeEventListener('abort', waiter.onAbort);
    const waitedMs = now - waiter.enqueuedAt;
    // Every request counts in the per-second window ('request'); imports in their own as well.
    if (!this.firstGrantAt.has('request')) this.firstGrantAt.set('request', now);
    if (!this.firstGrantAt.has(waiter.kind)) this.firstGrantAt.set(waiter.kind, now);
    this.counters.granted[waiter.kind]++;
    this.counters.waitedMs += waitedMs;
    let finished = false;
    waiter.resolve({
      waitedMs,
      done: () => {
        if (finished) return;
        finished = true;
        const at = this.clock.now();
        this.requests.finish(at);
        window?.finish(at);
        this.kick();
      },
    });
  }
}

function headerValue(headers: Headers | Record<string, string | string[] | undefined>, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const budgets = new Map<string, RateBudget>();

/**
 * The one budget of the account at this hostname, created on first use. Limits passed later adjust it
 * (the emulator can run with scaled-down limits).
 */
export function getAccountBudget(hostname: string, limits?: Partial<RateLimits>): RateBudget {
  const key = hostname.trim().toLowerCase();
  let budget = budgets.get(key);
  if (budget === undefined) {
    budget = new RateBudget(limits);
    budgets.set(key, budget);
  } else if (limits !== undefined) {
    budget.setLimits(limits);
  }
  return budget;
}
