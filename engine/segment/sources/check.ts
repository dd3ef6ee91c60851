/**
 * `acsync validate --connect`: opens every export's segment source as a plan does, asks for its columns without
 * reading a row (DuckDB binds the query, PostgreSQL plans it under LIMIT 0, a CSV file shows its header line) and
 * checks that every mapped column exists. Problems come back as diagnostics at the config's lines: a missing
 * column at its mapping entry, a bad query at `query:`. NDJSON and JSON files have no header: plan checks them.
 */
import type { Config, Diagnostic } from '../../config/model.ts';
import { SegmentError } from '../errors.ts';
import { segmentRoots } from '../locate.ts';
import { mappedColumns } from '../normalize.ts';
import { openSegmentSource } from '../open-source.ts';
import { siteOf } from './where.ts';

export async function connectDiagnostics(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const exp of Object.values(config.exports)) {
    if (!exp.enabled) continue;
    const at = `exports.${exp.name}`;
    const segmentPos = config.locations[`${at}.segment.query`] ?? config.locations[`${at}.segment`] ?? { line: 0, column: 0 };
    const fromError = (err: unknown): Diagnostic => {
      const e = err instanceof SegmentError ? err : undefined;
      const message = err instanceof Error ? err.message.replace(/^[^:]+:\d+: /, '') : String(err);
      return {
        severity: 'error',
        file: config.displayFile,
        line: e?.line ?? segmentPos.line,
        column: e?.line !== undefined && e.line !== segmentPos.line ? 1 : segmentPos.column,
        path: `${at}.segment`,
        message,
        ...(e?.hint ? { hint: e.hint } : {}),
      };
    };
    let source: Awaited<ReturnType<typeof openSegmentSource>>;
    try {
      source = await openSegmentSource(config, exp, segmentRoots(config.file, env), env);
    } catch (err) {
      out.push(fromError(err));
      continue;
    }
    try {
      const described = await source.describe();
      if (described === undefined) continue;
      const columns = [...described];
      const site = siteOf(config, exp);
      for (const column of mappedColumns(exp.mapping)) {
        if (columns.includes(column)) continue;
        const key = site.mappingLines.get(column)?.key ?? 'mapping';
        const pos = config.locations[`${at}.${key}`] ?? segmentPos;
        out.push({
          severity: 'error',
          file: config.displayFile,
          line: pos.line,
          column: pos.column,
          path: `${at}.${key}`,
          message: `the segment has no column ${column}; it has ${columns.map((c) => `'${c}'`).join(', ') || 'no columns'}`,
          hint: hintFor(key === 'mapping.email', exp.segmentQuery !== undefined),
        });
      }
    } catch (err) {
      out.push(fromError(err));
    } finally {
      await source.close();
    }
  }
  return out;
}

function hintFor(email: boolean, query: boolean): string {
  if (email) return query ? 'the email column is required: select it (e.g. select email_address as email ...) or fix mapping.email' : "the email column is required: fix mapping.email or the file's header";
  return query ? 'fix the mapping (names are case-sensitive) or select the column' : 'fix the mapping (names are case-sensitive) or the header of the file';
}
