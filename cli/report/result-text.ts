/**
 * The end of a run as plain text: errors that stopped an export, and for apply the per-export outcome, the failed
 * contacts with why, and one closing sentence. Pure, like plan-text.ts.
 */
import { errorLocation } from '../../engine/errors.ts';
import type { ExportRunResult, RunResult } from '../../engine/model.ts';
import { CHANGES_SHOWN_PER_KIND } from './actions.ts';
import { internalErrorLines } from './bug-report.ts';
import { emailShower } from './mask.ts';
import { alignTable, num } from './plan-text.ts';
import { formatDuration } from './progress.ts';
import { painter } from './style.ts';
import { PLAIN_WIDTH, wrapText } from './layout.ts';
import { printable } from './printable.ts';

export interface ResultTextOptions {
  color: boolean;
  maskEmails: boolean;
  full: boolean;
  connectionNames?: Record<string, string>;
  /** Columns to lay the text out for (layout.ts); PLAIN_WIDTH when not given. */
  width?: number;
}

/** `✗ vip-customers: list 3 not found` + hint and location lines, for every export that stopped with an error. */
export function renderExportErrors(exports: readonly ExportRunResult[], opts: Pick<ResultTextOptions, 'color'>): string[] {
  const p = painter(opts.color);
  const lines: string[] = [];
  for (const e of exports) {
    if (e.error === undefined) continue;
    const at = errorLocation(e.error);
    const where = at === undefined ? '' : p('dim', ` (${at})`);
    lines.push(`${p(['bold', 'red'], '✗')} ${p('bold', e.export)}: ${e.error.message}${where}`);
    if (e.error.hint !== undefined && e.error.hint !== '') lines.push(`  ${p('cyan', 'hint:')} ${e.error.hint}`);
    lines.push(...internalErrorLines(e.error));
  }
  return lines;
}

/** "2 batches resent (…)": batches sent again; never one ActiveCampaign still held within its wait. */
export function resentPhrase(n: number): string {
  return `${num(n)} ${n === 1 ? 'batch' : 'batches'} resent (ActiveCampaign failed, interrupted or timed out)`;
}

/** The apply outcome: a table per export, failed contacts, errors, and `Apply complete: …`. */
export function renderApplyResult(result: RunResult, opts: ResultTextOptions): string {
  const p = painter(opts.color);
  const show = emailShower(opts.maskEmails);
  // The `not sent` column appears only after a stop (Ctrl-C): those changes neither landed nor failed.
  const stoppedRun = result.exports.some((e) => (e.notSent ?? 0) > 0);
  // Planning included: the per-export line during apply says how long applying took, labelled as such.
  const header = ['export', 'list', 'applied', 'failed', ...(stoppedRun ? ['not sent'] : []), 'total time'];
  const rows = result.exports.map((e) => [
    e.export,
    e.listId,
    e.applied === undefined ? '-' : num(e.applied),
    e.failed === undefined ? '-' : num(e.failed),
    ...(stoppedRun ? [num(e.notSent ?? 0)] : []),
    formatDuration(e.durationMs),
  ]);
  const [head = '', ...body] = alignTable(
    [header, ...rows],
    header.map((_, i) => i > 0),
  );
  const lines = [p('dim', `  ${head}`), ...body.map((r) => `  ${r}`)];
  for (const e of result.exports) if (e.batchesResent !== undefined) lines.push(p('dim', `  ${e.export}: ${resentPhrase(e.batchesResent)}`));

  for (const e of result.exports) {
    const failures = e.failures ?? [];
    if (failures.length === 0) continue;
    lines.push('', `${p('red', `✗ ${num(failures.length)} failed`)} in ${p('bold', e.export)}:`);
    const shown = opts.full ? failures : failures.slice(0, CHANGES_SHOWN_PER_KIND);
    const width = Math.max(...shown.map((f) => show(f.email).length));
    for (const f of shown) lines.push(`    ${show(f.email).padEnd(width)}  ${p('dim', f.action)}  ${printable(f.reason)}`);
    if (shown.length < failures.length) lines.push(p('dim', `    … and ${num(failures.length - shown.length)} more (use --full)`));
  }

  // An export stopped by Ctrl-C carries that as its error; the `not sent` column and the closing hint say it
  // already, so it is not repeated.
  const errors = renderExportErrors(
    result.exports.filter((e) => (e.notSent ?? 0) === 0),
    opts,
  );
  if (errors.length > 0) lines.push('', ...errors);

  const applied = result.exports.reduce((n, e) => n + (e.applied ?? 0), 0);
  const failed = result.exports.reduce((n, e) => n + (e.failed ?? 0), 0);
  const notSent = result.exports.reduce((n, e) => n + (e.notSent ?? 0), 0);
  const took = formatDuration(Math.max(0, ...result.exports.map((e) => e.durationMs)));
  lines.push('');
  if (result.ok) lines.push(p(['bold', 'green'], `Apply complete: ${num(applied)} applied, 0 failed in ${took}.`));
  else if (notSent > 0) {
    lines.push(p(['bold', 'yellow'], `Apply stopped: ${num(applied)} applied, ${num(failed)} failed, ${num(notSent)} not sent in ${took}.`));
    lines.push(`  ${p('cyan', 'hint:')} run apply again: it plans afresh and sends only what is still missing`);
  } else {
    const stopped = result.exports.filter((e) => e.error !== undefined).length;
    const tail = stopped > 0 ? `; ${stopped} ${stopped === 1 ? 'export' : 'exports'} stopped` : '';
    lines.push(p(['bold', 'red'], `Apply finished with problems: ${num(applied)} applied, ${num(failed)} failed${tail} in ${took}.`));
  }
  return wrapText(lines.join('\n'), opts.width ?? PLAIN_WIDTH) + '\n';
}
