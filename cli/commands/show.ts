/** `acsync show plan.json`: renders a saved plan, as `acsync plan` showed it. Reads nothing but the file. */
import { parseArgs } from 'node:util';
import { readSavedPlan } from '../../engine/saved-plan.ts';
import { maskPlan } from '../report/mask.ts';
import { renderPlanText } from '../report/plan-text.ts';
import { commonFlags } from '../exec.ts';

const HELP = `Usage: acsync show PLAN_FILE [--json] [--full] [--no-color] [--mask-emails | --no-mask-emails]

Renders a plan saved with \`acsync plan --out PLAN_FILE\`: what \`acsync apply PLAN_FILE\` would do.
      --json   the saved plans as one JSON object per export
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        'mask-emails': { type: 'boolean' },
        'no-mask-emails': { type: 'boolean' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`acsync show: ${(err as Error).message}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    process.stderr.write(`acsync show: name one saved plan file\n${HELP}`);
    return 1;
  }
  const flags = commonFlags(parsed.values);
  let saved;
  try {
    saved = await readSavedPlan(file);
  } catch (err) {
    process.stderr.write(`acsync show: ${(err as Error).message}\n`);
    return 1;
  }
  const plans = saved.exports.map((e) => e.plan);
  if (flags.json) {
    for (const e of saved.exports) process.stdout.write(JSON.stringify({ type: 'saved-plan', export: e.export, connection: e.connection, listId: e.listId, plan: flags.maskEmails ? maskPlan(e.plan) : e.plan }) + '\n');
    return 0;
  }
  process.stdout.write(`Saved plan ${file}, made ${saved.createdAt} from ${saved.config.file}\n\n`);
  process.stdout.write(renderPlanText(plans, { color: flags.color && process.stdout.isTTY === true, maskEmails: flags.maskEmails, full: flags.full }) + '\n');
  return 0;
}
