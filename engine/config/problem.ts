import type { Diagnostic, Severity, SourcePos } from './model.ts';

/** A diagnostic before the loader stamps the file name on it. */
export type Problem = Omit<Diagnostic, 'file'>;

export function problem(severity: Severity, path: string, pos: SourcePos, message: string, hint?: string): Problem {
  const p: Problem = { severity, path, line: pos.line, column: pos.column, message };
  if (hint !== undefined) p.hint = hint;
  return p;
}
