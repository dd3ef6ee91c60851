/** `acsync plan`: shows what would change in each ActiveCampaign list, and why. Reads only; never writes. */
import { UserError } from '../../engine/errors.ts';
import { planExports, planResult, selectExports } from '../../engine/pipeline/run.ts';
import { COMMON_HELP, commonFlags, exitCode, loadOrReport, makeReporter, parseCommand, REFRESH_HELP, REFRESH_OPTION, refreshFlag, usageFailure } from '../exec.ts';
import type { RefreshMode } from '../../engine/snapshot/read-list.ts';
import { writeSavedPlan } from '../../engine/saved-plan.ts';

const HELP = `Usage: acsync plan [options]

Reads each enabled export's segment file and its ActiveCampaign list, and shows what apply would change:
who is created, updated, subscribed, re-subscribed, unsubscribed, left alone or skipped, and why.

Options:
${COMMON_HELP}
      --detailed-exitcode exit 0: no changes, 2: changes pending, 1: error (as terraform does)
      --out FILE          save the plan (JSON, mode 0600: it holds personal data) for \`acsync apply FILE\`
${REFRESH_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  let refresh: RefreshMode | undefined;
  try {
    parsed = parseCommand(argv, { 'detailed-exitcode': { type: 'boolean', default: false }, out: { type: 'string' }, ...REFRESH_OPTION });
    refresh = refreshFlag(parsed.values);
  } catch (err) {
    return usageFailure('plan', err);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags = commonFlags(parsed.values);
  const config = await loadOrReport(flags);
  if (config === undefined) return 1;
  const reporter = makeReporter('plan', flags, config);
  try {
    const exports = selectExports(config, flags.exports);
    const outcomes = await planExports(config, exports, { mode: 'plan', sink: (e) => reporter.event(e), ...(refresh !== undefined ? { refresh } : {}) });
    const result = planResult(outcomes);
    const out = parsed.values.out;
    if (typeof out === 'string' && result.ok) await writeSavedPlan(out, config, outcomes);
    reporter.result(result);
    await reporter.close();
    if (typeof out === 'string' && !result.ok) process.stderr.write(`acsync plan: the plan was not saved to ${out}: some exports could not be planned\n`);
    return exitCode(result, parsed.values['detailed-exitcode'] === true);
  } catch (err) {
    await reporter.close();
    if (err instanceof UserError) {
      process.stderr.write(`acsync plan: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
      return 1;
    }
    throw err;
  }
}
