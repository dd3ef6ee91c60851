/**
 * Diagnostics for the terminal: `file:line:column severity path: message`, a hint line when there is one,
 * and a count. Whether to colour is the command's decision (NO_COLOR, --no-color, a TTY); this only obeys.
 */
import type { Diagnostic } from '../engine/config/model.ts';

export interface FormatOptions {
  color: boolean;
}

const ANSI = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  reset: '\u001b[0m',
} as const;

function paint(on: boolean, style: string, text: string): string {
  return on ? `${style}${text}${ANSI.reset}` : text;
}

/** One diagnostic: the location line, then `  hint: ...` when there is advice. */
export function formatDiagnostic(d: Diagnostic, opts: FormatOptions): string {
  // Line 0 means the whole file (it could not be read): a position would be a lie.
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const severity = paint(opts.color, ANSI.bold + (d.severity === 'error' ? ANSI.red : ANSI.yellow), d.severity);
  const subject = d.path === '' ? '' : ` ${paint(opts.color, ANSI.bold, d.path)}`;
  const head = `${paint(opts.color, ANSI.dim, where)} ${severity}${subject}: ${d.message}`;
  if (d.hint === undefined || d.hint === '') return head;
  return `${head}\n  ${paint(opts.color, ANSI.cyan, 'hint:')} ${d.hint}`;
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
