/**
 * Preloaded into a real CLI subprocess (`node --import tsx --import ./test/helpers/bug-in-planner.ts bin/acsync.js`)
 * to plant a bug inside the plan stage: the only way to see how acsync reports its own bugs, since it has none
 * we know of. It replaces nothing else.
 */
import { Planner } from '../../engine/plan.ts';

Planner.prototype.finish = function finish(): never {
  const notAPlan = undefined as unknown as { changes: unknown[] };
  // A TypeError, as a real slip would throw it.
  return notAPlan.changes as never;
};
