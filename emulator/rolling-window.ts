/**
 * Timestamps of events within the last `windowMs`: the shape of ActiveCampaign's limits ("5 requests per
 * second", "100 imports per minute") taken as rolling windows, which is stricter than fixed buckets: a
 * client cannot burst 2x at a bucket boundary.
 */
export class RollingWindow {
  private times: number[] = [];
  private head = 0;

  constructor(readonly windowMs: number) {}

  private prune(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  add(now: number): void {
    this.times.push(now);
  }

  /** Whole seconds until one more event fits under `limit` (at least 1). */
  retryAfterSeconds(now: number, limit: number): number {
    this.prune(now);
    const over = this.times.length - this.head - limit;
    const t = this.times[this.head + Math.max(0, over)];
    if (t === undefined) return 1;
    return Math.max(1, Math.ceil((t + this.windowMs - now) / 1000));
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}
