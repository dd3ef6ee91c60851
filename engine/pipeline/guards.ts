/** Stage 6, guards: the safety checks before apply writes. A broken upstream job looks exactly like a mass unsubscribe. */
import type { PlannedExport } from './types.ts';

/** What stops this export's apply (empty: it may go), unless the user allows mass unsubscribes. */
export function guardProblems(p: Pick<PlannedExport, 'config' | 'plan' | 'managedActive' | 'segmentSize'>): string[] {
  const problems: string[] = [];
  const unsub = p.plan.counts.unsubscribe;
  if (unsub > 0 && p.managedActive > 0 && unsub > p.config.maxUnsubscribe * p.managedActive) {
    problems.push(
      `export '${p.config.name}' would unsubscribe ${unsub} of ${p.managedActive} managed contacts (${pct(unsub / p.managedActive)}), more than maxUnsubscribe ${pct(p.config.maxUnsubscribe)}`,
    );
  }
  if (p.managedActive > 0 && p.segmentSize === 0) {
    problems.push(`export '${p.config.name}': the segment is empty but ${p.managedActive} contacts on list ${p.config.listId} came from it`);
  } else if (p.managedActive > 0 && p.segmentSize < p.managedActive / 2) {
    problems.push(
      `export '${p.config.name}': the segment has ${p.segmentSize} contacts, less than half of the ${p.managedActive} acsync last synced to list ${p.config.listId}`,
    );
  }
  return problems;
}

/** The hint of a guarded export's error. */
export const GUARD_HINT =
  'nothing was applied for this export. If the segment is right, run again with --allow-mass-unsubscribe; otherwise fix the upstream job that writes the segment';

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
