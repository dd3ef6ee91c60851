/**
 * What an apply has done so far, from its engine events: for the one summary that cannot wait for the engine,
 * the one printed when the grace period after Ctrl-C ends while batches are still running at ActiveCampaign.
 */
import type { EngineEvent } from '../../engine/events.ts';
import { num, plural } from './plan-text.ts';

export class ApplyTally {
  #total = 0;
  #applied = 0;
  #failed = 0;
  readonly #inFlight = new Map<string, { export: string; contacts: number }>();

  event(e: EngineEvent): void {
    switch (e.type) {
      case 'apply:start':
        this.#total += e.total;
        break;
      case 'change:applied':
        this.#applied++;
        break;
      case 'change:failed':
        this.#failed++;
        break;
      case 'batch:sent':
        this.#inFlight.set(`${e.export}\u0000${e.id}`, { export: e.export, contacts: e.contacts });
        break;
      case 'batch:done':
        this.#inFlight.delete(`${e.export}\u0000${e.id}`);
        break;
      default:
        break;
    }
  }

  /** The summary when acsync stops waiting: what was applied, what failed, what never left, what is unknown. */
  graceSummary(graceMs: number): string {
    const running = [...this.#inFlight.values()];
    const unknown = running.reduce((n, b) => n + b.contacts, 0);
    const notSent = Math.max(0, this.#total - this.#applied - this.#failed - unknown);
    const exports = [...new Set(running.map((b) => b.export))];
    return [
      `acsync apply: stopped waiting after ${Math.round(graceMs / 1000)} s: ${plural(running.length, 'batch', 'batches')} (${plural(unknown, 'change')}) ` +
        `still running at ActiveCampaign${exports.length > 0 ? ` for ${exports.join(', ')}` : ''}, their fate unknown.`,
      `  ${num(this.#applied)} applied, ${num(this.#failed)} failed, ${num(notSent)} not sent, ${num(unknown)} unknown.`,
      '  hint: run apply again: it reads the list afresh and sends only what is still missing (a batch that landed is not sent twice).',
    ].join('\n');
  }
}
