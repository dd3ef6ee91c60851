/**
 * The output rules every command follows, each defined here and nowhere else:
 *  - CI:      CI set to anything but '0' or 'false' (an empty CI= included), or, without CI, one of
 *             CONTINUOUS_INTEGRATION, BUILD_NUMBER (Jenkins, TeamCity) or RUN_ID. Ink decides by the same rule
 *             (the is-in-ci package), so the reporter choice and Ink never disagree.
 *  - masking: emails and personal fields are masked by default in CI; --mask-emails / --no-mask-emails decide.
 *  - live:    the Ink screen (lines redrawn in place) only on a terminal stderr outside CI, TERM not 'dumb', and
 *             stdout not a pipe: `acsync apply | tee log` prints the plan and result on the same terminal, late,
 *             through tee, and every redraw would then erase tee's lines instead of its own (stale frames, a wiped
 *             "Apply complete"). A file (`> plan.txt`) is fine: nothing of it reaches the screen.
 *  - colour:  --no-color, then NO_COLOR (non-empty), then FORCE_COLOR ('0'/'false' = off, else on), then whether
 *             the stream is a terminal (and TERM is not 'dumb').
 */
import type { CliIo } from '../io.ts';

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env['CI'];
  if (ci !== undefined) return ci !== '0' && ci !== 'false';
  return env['CONTINUOUS_INTEGRATION'] !== undefined || env['BUILD_NUMBER'] !== undefined || env['RUN_ID'] !== undefined;
}

/** Whether a live screen may redraw lines on stderr (see the header). */
export function liveScreen(opts: { stderrIsTTY: boolean; stdoutIsPipe?: boolean | undefined; env: NodeJS.ProcessEnv }): boolean {
  return opts.stderrIsTTY && opts.stdoutIsPipe !== true && !isCI(opts.env) && opts.env['TERM'] !== 'dumb';
}

/** Whether personal data is masked: the flags when given, else masked in CI. */
export function maskEmails(flags: { mask?: boolean; noMask?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (flags.noMask === true) return false;
  if (flags.mask === true) return true;
  return isCI(env);
}

/** Whether colour is allowed at all (before asking whether the stream is a terminal). */
export function colorAllowed(noColorFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (noColorFlag) return false;
  const noColor = env['NO_COLOR'];
  return noColor === undefined || noColor === '';
}

/** FORCE_COLOR's say: true (force on), false (force off) or undefined (not set). */
function forcedColor(env: NodeJS.ProcessEnv): boolean | undefined {
  const force = env['FORCE_COLOR'];
  if (force === undefined) return undefined;
  return force !== '0' && force !== 'false';
}

/** Whether to colour text written to a stream that is (or is not) a terminal. */
export function colorFor(noColorFlag: boolean, env: NodeJS.ProcessEnv, streamIsTTY: boolean): boolean {
  if (!colorAllowed(noColorFlag, env)) return false;
  const forced = forcedColor(env);
  if (forced !== undefined) return forced;
  return streamIsTTY && env['TERM'] !== 'dumb';
}

/** The colour decision for each of the command's two streams. */
export function streamColors(noColorFlag: boolean, io: Pick<CliIo, 'env' | 'isTTY'>): { stdout: boolean; stderr: boolean } {
  return { stdout: colorFor(noColorFlag, io.env, io.isTTY.stdout), stderr: colorFor(noColorFlag, io.env, io.isTTY.stderr) };
}
