/**
 * `poll: 5m` for a query segment on a database: watch re-reads the segment that often and runs the export only
 * when the rows changed (their fingerprint differs from the last run's), so an unchanged warehouse table costs a
 * read, not an ActiveCampaign round. The read goes through the same source as a plan (engine/segment/open-source.ts).
 */
import type { Config, ExportConfig } from '../config/model.ts';
import { mappedColumns } from '../segment/normalize.ts';
import { segmentRoots } from '../segment/locate.ts';
import { openSegmentSource } from '../segment/open-source.ts';
import { segmentBatches } from '../segment/source.ts';
import type { TimerClock, TimerHandle } from '../clock.ts';

/** Reads the segment to its end and returns the fingerprint of what it streamed. */
export type FingerprintFn = (config: Config, exp: ExportConfig, env: NodeJS.ProcessEnv) => Promise<string>;

export const fingerprintSegment: FingerprintFn = async (config, exp, env) => {
  const source = await openSegmentSource(config, exp, segmentRoots(config.file, env), env);
  try {
    for await (const _batch of segmentBatches(source, mappedColumns(exp.mapping))) {
      // only the fingerprint matters here: rows are not decoded
    }
    return source.fingerprint();
  } finally {
    await source.close();
  }
};

export class SegmentPoller {
  #timer: TimerHandle | undefined;
  #stopped = false;
  /** The fingerprint of the rows the last run planned from (or the last poll saw). */
  last: string | undefined;

  constructor(
    private readonly o: {
      everyMs: number;
      clock: TimerClock;
      read: () => Promise<string>;
      /** The rows changed: run the export. */
      onChange: () => void;
      onError: (err: unknown) => void;
    },
  ) {}

  start(): void {
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.o.clock.setTimer(() => void this.#tick(), this.o.everyMs);
  }

  async #tick(): Promise<void> {
    try {
      const now = await this.o.read();
      if (this.#stopped) return;
      if (now !== this.last) {
        this.last = now;
        this.o.onChange();
      }
    } catch (err) {
      if (!this.#stopped) this.o.onError(err);
    } finally {
      this.#arm();
    }
  }
}
