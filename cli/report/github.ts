/**
 * GitHub Actions: diagnostics as workflow annotations (they show up on the pull request's changed lines), and a
 * Markdown summary of the plan or apply on the run's page via $GITHUB_STEP_SUMMARY.
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */
import { appendFile } from 'node:fs/promises';
import type { Diagnostic } from '../../engine/config/model.ts';
import type { ExportPlan, RunResult } from '../../engine/model.ts';
import { ACTION_LOOK, LISTED_ACTIONS } from './actions.ts';
import { num, planSentence, renderExportPlan } from './plan-text.ts';
import { renderExportErrors } from './result-text.ts';

/** GitHub truncates (and then rejects) a step summary larger than 1 MiB (docs: "Adding a job summary"). */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024;

export function isGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env['GITHUB_ACTIONS'] === 'true';
}

/** Message text of a workflow command: the runner decodes %25, %0D and %0A. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (file, title…): as data, plus `:` and `,`, which would end the property. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=acsync.yaml,line=7,col=14,title=acsync%3A exports.vip.listId::list id must be…` */
export function formatAnnotation(d: Diagnostic): string {
  const props: string[] = [`file=${escapeProperty(d.file)}`];
  // Line 0 means "the whole file": GitHub would reject or misplace a zero line.
  if (d.line > 0) {
    props.push(`line=${d.line}`);
    if (d.column > 0) props.push(`col=${d.column}`);
  }
  props.push(`title=${escapeProperty(d.path === '' ? 'acsync' : `acsync: ${d.path}`)}`);
  const message = d.hint === undefined || d.hint === '' ? d.message : `${d.message}\nhint: ${d.hint}`;
  return `::${d.severity} ${props.join(',')}::${escapeData(message)}`;
}

/** Writes one annotation per diagnostic (the runner reads workflow commands from stdout and stderr alike). */
export function emitGithubDiagnostics(diagnostics: readonly Diagnostic[], out: NodeJS.WritableStream): void {
  for (const d of diagnostics) out.write(formatAnnotation(d) + '\n');
}

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

/** A code fence longer than any backtick run inside, so a plan can never close it early. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${text}\n${f}`;
}

export interface SummaryOptions {
  maskEmails: boolean;
  full: boolean;
  connectionNames?: Record<string, string>;
}

/** The Markdown for $GITHUB_STEP_SUMMARY: a counts table per export, the Plan sentence, each plan collapsed. */
export function renderStepSummary(result: RunResult, opts: SummaryOptions): string {
  const plans = result.exports.flatMap((e) => (e.plan === undefined ? [] : [e.plan]));
  const apply = result.mode === 'apply';
  const actions = [...LISTED_ACTIONS, 'noop' as const];
  const head = ['export', 'list', 'connection', ...actions.map((a) => ACTION_LOOK[a].title), ...(apply ? ['applied', 'failed'] : [])];
  const align = head.map((_, i) => (i === 0 || i === 2 ? ':--' : '--:'));
  const rows = result.exports.map((e) => {
    const counts = actions.map((a) => (e.plan === undefined ? '-' : num(e.plan.counts[a])));
    // Changes a stopped run never sent are not done either: the step summary counts them with the failed.
    const notDone = e.failed === undefined ? undefined : e.failed + (e.notSent ?? 0);
    const tail = apply ? [e.applied === undefined ? '-' : num(e.applied), notDone === undefined ? '-' : num(notDone)] : [];
    const name = e.error === undefined ? cell(e.export) : `${cell(e.export)} ⚠️`;
    return [name, cell(e.listId), cell(opts.connectionNames?.[e.connection] ?? e.connection), ...counts, ...tail];
  });
  const table = [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

  const status = !result.ok ? '❌' : result.changesPending ? '📝' : '✅';
  const parts = [`## ${status} acsync ${result.mode}`, '', table, '', `**${planSentence(plans, result.exports.length - plans.length)}**`];
  const errors = renderExportErrors(result.exports, { color: false });
  if (errors.length > 0) parts.push('', fence(errors.join('\n')));
  const details = plans.map((plan) => detailsBlock(plan, opts));
  const withDetails = [...parts, '', ...details].join('\n') + '\n';
  if (Buffer.byteLength(withDetails) <= STEP_SUMMARY_MAX_BYTES) return withDetails;
  return [...parts, '', '_The per-export details are left out: they exceed the size GitHub allows for a step summary._'].join('\n') + '\n';
}

function detailsBlock(plan: ExportPlan, opts: SummaryOptions): string {
  const text = renderExportPlan(plan, {
    color: false,
    maskEmails: opts.maskEmails,
    full: opts.full,
    ...(opts.connectionNames ? { connectionNames: opts.connectionNames } : {}),
  });
  const n = plan.changes.filter((c) => c.action !== 'skip').length;
  return `<details><summary>${cell(plan.export)}: ${num(n)} ${n === 1 ? 'change' : 'changes'}, ${num(plan.counts.skip)} skipped</summary>\n\n${fence(text)}\n\n</details>\n`;
}

/** Appends the summary when running in GitHub Actions with a step summary file; otherwise does nothing. */
export async function writeStepSummary(result: RunResult, opts: SummaryOptions, env: NodeJS.ProcessEnv): Promise<boolean> {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (!isGithubActions(env) || file === undefined || file === '') return false;
  await appendFile(file, renderStepSummary(result, opts) + '\n', 'utf8');
  return true;
}
