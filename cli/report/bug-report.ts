/** How an internal error (our bug, engine/errors.ts) ends: its stack and where to report it. */
import { readFileSync } from 'node:fs';
import type { ErrorReport } from '../../engine/errors.ts';

/** The issue tracker from package.json (`bugs`, else a GitHub `repository`), if it names one. */
export function bugsUrl(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bugs?: string | { url?: string };
      repository?: string | { url?: string };
    };
    const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url;
    if (bugs !== undefined && bugs !== '') return bugs;
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    const m = repo === undefined ? null : /github\.com[/:]([^/]+\/[^/.]+)/.exec(repo);
    return m ? `https://github.com/${m[1]}/issues` : undefined;
  } catch {
    return undefined;
  }
}

export function pleaseReportLine(url: string | undefined = bugsUrl()): string {
  return url === undefined
    ? 'This is a bug in acsync: please report it with the command you ran and the stack above.'
    : `This is a bug in acsync: please report it at ${url} with the command you ran and the stack above.`;
}

/** The lines under an internal error's message: its stack, indented, and the report line. Empty for other kinds. */
export function internalErrorLines(error: ErrorReport): string[] {
  if (error.kind !== 'internal') return [];
  const stack = (error.stack ?? '').split('\n').map((l) => `    ${l.trim()}`);
  return [...(error.stack !== undefined ? stack : []), `  ${pleaseReportLine()}`];
}
