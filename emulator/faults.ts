/**
 * Deterministic fault injection. Every API request draws the same number of values from one seeded PRNG,
 * whatever the outcome, so the same sequence of requests meets the same faults on every run.
 */
import type { FaultConfig } from './types.ts';
import { mulberry32 as prng } from './prng.ts';

export type RequestFault =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'reset'; latencyMs: number }
  | { kind: 'error'; status: number; latencyMs: number }
  | { kind: 'storm'; retryAfterSeconds: number; latencyMs: number };

export type BatchFault = { kind: 'none' } | { kind: 'failed' } | { kind: 'interrupted'; applyFraction: number };

const DEFAULT_ERROR_STATUSES = [500, 502, 503];

export class FaultInjector {
  private config: FaultConfig | undefined;
  private rand: () => number = prng(1);
  private batchRand: () => number = prng(1);
  private stormLeft = 0;
  private failEmails = new Set<string>();

  constructor(config?: FaultConfig) {
    this.set(config);
  }

  set(config: FaultConfig | undefined): void {
    this.config = config;
    const seed = config?.seed ?? 1;
    this.rand = prng(seed);
    // A separate stream for batches, so adding a poll does not change which batch fails.
    this.batchRand = prng(seed ^ 0x5bd1e995);
    this.stormLeft = 0;
    this.failEmails = new Set((config?.failEmails ?? []).map((e) => e.trim().toLowerCase()));
  }

  get(): FaultConfig | undefined {
    return this.config;
  }

  /** The fault for one API request of the given kind ("GET /api/3/contacts"). */
  forRequest(kind: string): RequestFault {
    const c = this.config;
    if (c === undefined) return { kind: 'none', latencyMs: 0 };
    if (c.only !== undefined && !c.only.includes(kind)) return { kind: 'none', latencyMs: 0 };
    const [rLatency, rReset, rError, rStatus, rStorm] = [this.rand(), this.rand(), this.rand(), this.rand(), this.rand()];
    let latencyMs = 0;
    if (typeof c.latencyMs === 'number') latencyMs = c.latencyMs;
    else if (c.latencyMs !== undefined) latencyMs = Math.round(c.latencyMs.min + rLatency * (c.latencyMs.max - c.latencyMs.min));
    if (this.stormLeft > 0) {
      this.stormLeft--;
      return { kind: 'storm', retryAfterSeconds: c.storm?.retryAfterSeconds ?? 1, latencyMs };
    }
    if (c.resetRate !== undefined && rReset < c.resetRate) return { kind: 'reset', latencyMs };
    if (c.errorRate !== undefined && rError < c.errorRate) {
      const statuses = c.errorStatuses !== undefined && c.errorStatuses.length > 0 ? c.errorStatuses : DEFAULT_ERROR_STATUSES;
      const status = statuses[Math.floor(rStatus * statuses.length)] ?? 500;
      return { kind: 'error', status, latencyMs };
    }
    if (c.storm !== undefined && rStorm < c.storm.probability && c.storm.length > 0) {
      this.stormLeft = c.storm.length - 1;
      return { kind: 'storm', retryAfterSeconds: c.storm.retryAfterSeconds ?? 1, latencyMs };
    }
    return { kind: 'none', latencyMs };
  }

  /** How a bulk batch ends; drawn once, when it is queued. */
  forBatch(): BatchFault {
    const c = this.config;
    if (c === undefined) return { kind: 'none' };
    const [rFail, rInterrupt, rPrefix] = [this.batchRand(), this.batchRand(), this.batchRand()];
    if (c.bulkFailRate !== undefined && rFail < c.bulkFailRate) return { kind: 'failed' };
    if (c.bulkInterruptRate !== undefined && rInterrupt < c.bulkInterruptRate) return { kind: 'interrupted', applyFraction: rPrefix };
    return { kind: 'none' };
  }

  emailFails(email: string): boolean {
    return this.failEmails.has(email.trim().toLowerCase());
  }
}
