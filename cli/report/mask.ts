/**
 * Personal data in logs: CI logs are kept for months and read by people who do not need to see who is on a list.
 * `--mask-emails` (the default when CI=true) shows `a***@contoso.example` in every human output. Sensitive custom
 * fields (engine/sensitive.ts) are redacted always, in every output and format: `redact*` below.
 */
import type { Change, ContactFields, ExportPlan, FieldChange, RunResult } from '../../engine/model.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { WatchSessionEvent } from '../../engine/watch/events.ts';
import { printable } from './printable.ts';
import { redactPlan } from '../../engine/sensitive.ts';

/** `anna@contoso.example` → `a***@contoso.example`; the domain stays, it helps debugging and names nobody. */
export function maskEmail(email: string): string {
  if (email === '') return email;
  const at = email.lastIndexOf('@');
  if (at <= 0) return `${firstChar(email)}***`;
  return `${firstChar(email)}***${email.slice(at)}`;
}

// A surrogate pair is one character to the reader; slicing it in half would print garbage.
function firstChar(s: string): string {
  return Array.from(s)[0] ?? '';
}

/** Fields that name or reach a person; custom fields (tiers, scores) are left readable for review. */
export const PERSONAL_FIELDS: ReadonlySet<string> = new Set(['email', 'firstName', 'lastName', 'phone']);

/** `Karl` → `K***`: enough to see that a value changed, not whose it is. */
export function maskValue(value: string): string {
  return value === '' ? value : `${firstChar(value)}***`;
}

export function maskFieldChange(f: FieldChange): FieldChange {
  if (!PERSONAL_FIELDS.has(f.field)) return f;
  const out: FieldChange = { field: f.field, after: f.field === 'email' ? maskEmail(f.after) : maskValue(f.after) };
  if (f.before !== undefined) out.before = f.field === 'email' ? maskEmail(f.before) : maskValue(f.before);
  return out;
}

function maskFields(fields: ContactFields): ContactFields {
  const out: ContactFields = { ...fields, email: maskEmail(fields.email) };
  if (fields.firstName !== undefined) out.firstName = maskValue(fields.firstName);
  if (fields.lastName !== undefined) out.lastName = maskValue(fields.lastName);
  if (fields.phone !== undefined) out.phone = maskValue(fields.phone);
  return out;
}

/** The change with its email, key and personal fields masked (custom fields stay readable). */
export function maskChange(change: Change): Change {
  const masked: Change = { ...change, email: maskEmail(change.email), key: maskEmail(change.key) };
  if (change.after !== undefined) masked.after = maskFields(change.after);
  if (change.fieldChanges !== undefined) masked.fieldChanges = change.fieldChanges.map(maskFieldChange);
  return masked;
}

export function maskPlan(plan: ExportPlan): ExportPlan {
  const redacted = redactPlan(plan);
  return { ...redacted, changes: redacted.changes.map(maskChange) };
}

/** The result with every plan's sensitive values redacted (failure reasons were scrubbed by the executor). */
export function redactResult(result: RunResult): RunResult {
  if (!result.exports.some((e) => (e.plan?.sensitive?.length ?? 0) > 0)) return result;
  return { ...result, exports: result.exports.map((e) => (e.plan === undefined ? e : { ...e, plan: redactPlan(e.plan) })) };
}

/** The event with sensitive values redacted (plan:done; change:applied comes redacted from the executor). */
export function redactEvent(event: EngineEvent): EngineEvent {
  return event.type === 'plan:done' ? { ...event, plan: redactPlan(event.plan) } : event;
}

/** A watch session event with sensitive values redacted. */
export function redactWatchEvent(e: WatchSessionEvent): WatchSessionEvent {
  if (!e.type.startsWith('watch:')) return redactEvent(e as EngineEvent);
  if (e.type === 'watch:run-done' && e.result?.plan !== undefined) return { ...e, result: { ...e.result, plan: redactPlan(e.result.plan) } };
  return e;
}

export function maskResult(result: RunResult): RunResult {
  return {
    ...result,
    exports: result.exports.map((e) => {
      const out = { ...e };
      if (e.plan !== undefined) out.plan = maskPlan(e.plan);
      if (e.failures !== undefined) out.failures = e.failures.map((f) => ({ ...f, email: maskEmail(f.email) }));
      return out;
    }),
  };
}

/** The event with every email masked; events that carry none are returned as they are. */
export function maskEvent(event: EngineEvent): EngineEvent {
  switch (event.type) {
    case 'plan:done':
      return { ...event, plan: maskPlan(event.plan) };
    case 'change:applied':
      return { ...event, change: maskChange(event.change) };
    case 'change:failed':
      return { ...event, email: maskEmail(event.email) };
    default:
      return event;
  }
}

/** printable, or maskEmail then printable, so renderers can take one function and stay oblivious. */
export function emailShower(mask: boolean): (email: string) => string {
  // printable: an invalid email is shown as given in its skip line, and may hold ESC sequences.
  return mask ? (email) => printable(maskEmail(email)) : printable;
}

/** Emails and personal fields masked in engine events and in the run results that watch events carry. */
export function maskWatchEvent(e: WatchSessionEvent): WatchSessionEvent {
  if (!e.type.startsWith('watch:')) return maskEvent(e as EngineEvent);
  if (e.type === 'watch:run-done' && e.result !== undefined) {
    const masked = maskResult({ mode: 'apply', ok: e.ok, changesPending: false, exports: [e.result] }).exports[0];
    return masked !== undefined ? { ...e, result: masked } : e;
  }
  return e;
}
