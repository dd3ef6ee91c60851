/**
 * Sensitive custom fields (`mapping.fields.TAG: {column, sensitive: true}`): their values are personal data (a
 * birth date) that CI logs, pull request comments and saved plans keep for months. As Terraform marks values,
 * a plan names its sensitive fields (`plan.sensitive`) and every output shows `(sensitive)` instead of their
 * values; only the request to ActiveCampaign carries them. The field's name stays visible, and so does whether a
 * value changes (`(sensitive) → (sensitive)`, unquoted), so a reviewer still sees what the plan touches.
 *
 * Here, not in cli/report/mask.ts, because the engine writes saved plans and apply failures with these values.
 */
import type { Change, ContactFields, ExportPlan, FieldChange } from './model.ts';

/** What is shown in place of a sensitive value (Terraform prints `(sensitive value)`). */
export const SENSITIVE_VALUE = '(sensitive)';

function redactFields(fields: ContactFields, tags: ReadonlySet<string>): ContactFields {
  if (fields.fields === undefined || !Object.keys(fields.fields).some((t) => tags.has(t))) return fields;
  const custom: Record<string, string> = {};
  for (const [tag, value] of Object.entries(fields.fields)) custom[tag] = tags.has(tag) ? SENSITIVE_VALUE : value;
  return { ...fields, fields: custom };
}

function redactFieldChange(f: FieldChange, tags: ReadonlySet<string>): FieldChange {
  if (!tags.has(f.field)) return f;
  return f.before === undefined ? { field: f.field, after: SENSITIVE_VALUE } : { field: f.field, before: SENSITIVE_VALUE, after: SENSITIVE_VALUE };
}

/** The change with the values of these fields replaced by `(sensitive)`; the same object when it has none. */
export function redactChange(change: Change, tags: ReadonlySet<string>): Change {
  if (tags.size === 0) return change;
  const touches = (change.after?.fields !== undefined && Object.keys(change.after.fields).some((t) => tags.has(t))) || (change.fieldChanges?.some((f) => tags.has(f.field)) ?? false);
  if (!touches) return change;
  const out: Change = { ...change };
  if (change.after !== undefined) out.after = redactFields(change.after, tags);
  if (change.fieldChanges !== undefined) out.fieldChanges = change.fieldChanges.map((f) => redactFieldChange(f, tags));
  if (change.reason !== undefined) out.reason = scrubSensitive(change.reason, change, tags);
  return out;
}

/** The plan as every output shows it: its sensitive fields' values replaced by `(sensitive)`. */
export function redactPlan(plan: ExportPlan): ExportPlan {
  const tags = new Set(plan.sensitive ?? []);
  if (tags.size === 0) return plan;
  return { ...plan, changes: plan.changes.map((c) => redactChange(c, tags)) };
}

/** The sensitive values one change carries (what it sends and what it replaces), longest first. */
function sensitiveValuesOf(change: Change, tags: ReadonlySet<string>): string[] {
  const values = new Set<string>();
  for (const [tag, value] of Object.entries(change.after?.fields ?? {})) if (tags.has(tag) && value !== '') values.add(value);
  for (const f of change.fieldChanges ?? []) {
    if (!tags.has(f.field)) continue;
    if (f.after !== '') values.add(f.after);
    if (f.before !== undefined && f.before !== '') values.add(f.before);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * A text about one change (a failure reason ActiveCampaign sent back: "The custom field value `1990-01-20` could
 * not be saved…") with that change's sensitive values replaced by `(sensitive)`.
 */
export function scrubSensitive(text: string, change: Change, tags: ReadonlySet<string>): string {
  if (tags.size === 0) return text;
  let out = text;
  for (const v of sensitiveValuesOf(change, tags)) out = out.split(v).join(SENSITIVE_VALUE);
  return out;
}

/**
 * The sensitive values of a plan in one string, in change order (for a keyed fingerprint: a saved plan holds
 * `(sensitive)` and this string's HMAC, so apply still sees a sensitive value that changed since the plan).
 */
export function sensitiveContent(plan: ExportPlan): string | undefined {
  const tags = new Set(plan.sensitive ?? []);
  if (tags.size === 0) return undefined;
  const parts: string[] = [];
  for (const c of plan.changes) {
    const fields = c.after?.fields;
    const changes = c.fieldChanges?.filter((f) => tags.has(f.field)) ?? [];
    const sent = fields === undefined ? [] : Object.keys(fields).filter((t) => tags.has(t)).sort().map((t) => [t, fields[t]]);
    if (sent.length === 0 && changes.length === 0) continue;
    parts.push(JSON.stringify([c.key, c.action, sent, changes.map((f) => [f.field, f.before ?? null, f.after])]));
  }
  return parts.join('\n');
}
