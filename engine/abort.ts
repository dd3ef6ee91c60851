/**
 * The one AbortController of a run: every batch, poll, rate-budget wait and HTTP request of the run listens to
 * its signal at the same time (hundreds during a large apply). Node warns ("MaxListenersExceededWarning: Possible
 * EventTarget memory leak detected. 11 abort listeners") past ten listeners on one signal; here many listeners
 * are the design, not a leak, and each is removed when its operation ends.
 */
import { setMaxListeners } from 'node:events';

export function runAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
