/**
 * Diagnostics for the terminal: `file:line:column severity path: message`, a hint line when there is one,
 * and a count. Whether to colour is the command's decision (NO_COLOR, --no-color, a TTY); this only obeys.
 */
import type { Diagnostic } from '../engine/config/model.ts';
import { painter } from './report/style.ts';

export interface FormatOptions {
  color: boolean;
}

/** One diagnostic: the location line, then `  hint: ...` when there is advice. */
export function formatDiagnostic(d: Diagnostic, opts: FormatOptions): string {
  // Line 0 means the whole file (it could not be read): a position would be a lie.
  const p = painter(opts.color);
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const severity = p(['bold', d.severity === 'error' ? 'red' : 'yellow'], d.severity);
  const subject = d.path === '' ? '' : ` ${p('bold', d.path)}`;
  const head = `${p('dim', where)} ${severity}${subject}: ${d.message}`;
  if (d.hint === undefined || d.hint === '') return head;
  return `${head}\n  ${p('cyan', 'hint:')} ${d.hint}`;
}

/** "2 errors, 1 warning", or "no problems". */
export function countLine(list: readonly Diagnostic[]): string {
  const errors = list.filter((d) => d.severity === 'error').length;
  const warnings = list.length - errors;
  if (errors === 0 && warnings === 0) return 'no problems';
  const parts: string[] = [];
  if (errors > 0) parts.push(`${errors} ${errors === 1 ? 'error' : 'errors'}`);
  if (warnings > 0) parts.push(`${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`);
  return parts.join(', ');
}

/** Every diagnostic, in the order given, then the count line. */
export function formatDiagnostics(list: readonly Diagnostic[], opts: FormatOptions): string {
  return [...list.map((d) => formatDiagnostic(d, opts)), countLine(list)].join('\n');
}
