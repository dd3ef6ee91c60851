/**
 * The three kinds of error acsync tells apart, and the one function that sorts anything thrown into them:
 *
 * - **user**: bad input the user can fix (config, segment file, a list id ActiveCampaign does not have, a
 *   rejected key). Shown as a message with file, line and hint; never a stack.
 * - **remote**: ActiveCampaign (or, with the segment sources, a database) said no or did not answer. Shown with
 *   method, path, status and request id; never a key (the error classes build their messages without one).
 * - **internal**: our bug (a TypeError, a broken invariant). Shown with its stack and a "please report" line.
 *
 * Any Error carrying `fault: 'user' | 'remote'` (engine/activecampaign/errors.ts, a segment source's own errors)
 * is sorted by it; UserError and SegmentError are user errors; everything else is internal.
 */
import { SegmentError } from './segment/errors.ts';

export type ErrorKind = 'user' | 'remote' | 'internal';

/** The user's fault: a message, and where possible the file and line to fix and a hint saying how. */
export class UserError extends Error {
  override name = 'UserError';
  readonly fault = 'user';
  constructor(
    message: string,
    readonly hint?: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Our own bug, found as a broken invariant (thrown where a `TypeError` would otherwise come later). */
export class InternalError extends Error {
  override name = 'InternalError';
  readonly fault = 'internal';
}

/** An error as data: what an export result carries and what reporters show. */
export interface ErrorReport {
  kind: ErrorKind;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  /** Remote errors: the request that was refused (path only: a query may hold an email). */
  method?: string;
  path?: string;
  status?: number;
  requestId?: string;
  /** Internal errors only: where it happened, for the bug report. */
  stack?: string;
}

/**
 * Where an error happened (`seg.csv:2`, `acsync.yaml`) for a reporter to show after its message, or undefined when
 * there is no place or the message already starts with it (a SegmentError's `seg.csv:2: …`): shown once, not twice.
 */
export function errorLocation(report: Pick<ErrorReport, 'message' | 'file' | 'line'>): string | undefined {
  if (report.file === undefined) return undefined;
  const at = report.line !== undefined ? `${report.file}:${report.line}` : report.file;
  return report.message.startsWith(`${at}:`) ? undefined : at;
}

/** Sorts anything thrown into user, remote or internal, keeping only what may be shown (never a key). */
export function toErrorReport(err: unknown): ErrorReport {
  if (!(err instanceof Error)) return { kind: 'internal', message: `thrown: ${String(err)}` };
  const e = err as Error & { fault?: unknown; hint?: unknown; file?: unknown; line?: unknown; method?: unknown; path?: unknown; status?: unknown; requestId?: unknown };
  const fault = err instanceof SegmentError ? 'user' : e.fault;
  if (fault === 'user' || fault === 'remote') {
    const out: ErrorReport = { kind: fault, message: e.message };
    if (typeof e.hint === 'string' && e.hint !== '') out.hint = e.hint;
    if (typeof e.file === 'string') out.file = e.file;
    if (typeof e.line === 'number') out.line = e.line;
    if (fault === 'remote') {
      if (typeof e.method === 'string') out.method = e.method;
      if (typeof e.path === 'string') out.path = e.path;
      if (typeof e.status === 'number') out.status = e.status;
      if (typeof e.requestId === 'string') out.requestId = e.requestId;
    }
    return out;
  }
  const system = systemError(err);
  if (system !== undefined) return system;
  return { kind: 'internal', message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) };
}

/**
 * The operating system refused (a cache folder not writable, a full disk): the user's environment, not our bug.
 * Node's system errors carry `syscall` and `code`.
 */
function systemError(err: Error): ErrorReport | undefined {
  const e = err as NodeJS.ErrnoException;
  if (typeof e.syscall !== 'string' || typeof e.code !== 'string') return undefined;
  const out: ErrorReport = { kind: 'user', message: e.message, hint: `the system refused ${e.syscall} (${e.code}): check permissions and free space` };
  if (typeof e.path === 'string') out.file = e.path;
  return out;
}
