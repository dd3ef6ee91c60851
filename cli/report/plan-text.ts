/**
 * The plan as plain text, Terraform-like: per export a header and a counts row, the changes grouped by kind with a
 * symbol each, field-level before → after for updates, skipped rows with their reasons; then a table of every export
 * and the `Plan: …` sentence. Pure: the lines reporter, `acsync show` and the GitHub summary build on it.
 */
import type { EngineEvent } from '../../engine/events.ts';
import type { Change, ChangeAction, ExportPlan, FieldChange } from '../../engine/model.ts';
import { ACTION_LOOK, CHANGES_SHOWN_PER_KIND, LISTED_ACTIONS, WRITE_ACTIONS } from './actions.ts';
import { emailShower, maskFieldChange } from './mask.ts';
import { painter, type Painter } from './style.ts';
import { PLAIN_WIDTH, wrapLine, wrapText } from './layout.ts';
import { printable } from './printable.ts';
import { SENSITIVE_VALUE } from '../../engine/sensitive.ts';

export interface PlanTextOptions {
  color: boolean;
  maskEmails: boolean;
  /** List every change instead of the first CHANGES_SHOWN_PER_KIND per kind. */
  full: boolean;
  /** Connection id → display name, for the header. */
  connectionNames?: Record<string, string>;
  /** Overrides CHANGES_SHOWN_PER_KIND (tests, narrow outputs). */
  limit?: number;
  /** Columns to lay the text out for (layout.ts); PLAIN_WIDTH when not given. */
  width?: number;
}

export interface ChangeGroup {
  action: ChangeAction;
  /** The count from the plan (the total, not only what is listed). */
  count: number;
  shown: Change[];
  /** How many are left out by the limit. */
  hidden: number;
}

/** The changes of a plan grouped by action in display order, each cut to `limit` unless `full`. */
export function groupChanges(plan: ExportPlan, opts: { full: boolean; limit?: number }): ChangeGroup[] {
  const limit = opts.full ? Number.POSITIVE_INFINITY : (opts.limit ?? CHANGES_SHOWN_PER_KIND);
  const groups: ChangeGroup[] = [];
  for (const action of LISTED_ACTIONS) {
    const all = plan.changes.filter((c) => c.action === action);
    if (all.length === 0) continue;
    const shown = all.slice(0, limit);
    groups.push({ action, count: Math.max(plan.counts[action], all.length), shown, hidden: all.length - shown.length });
  }
  return groups;
}

/** "Anna Lind", or '' when the segment has no name for the contact. */
export function contactName(change: Change): string {
  const a = change.after;
  if (a === undefined) return '';
  return [a.firstName, a.lastName].filter((s) => s !== undefined && s !== '').join(' ');
}

/**
 * A field value as the reader should see it: quoted, so trailing spaces and empty strings are visible; a sensitive
 * field's value as the word Terraform uses, unquoted (it is not the value).
 */
export function showValue(value: string | undefined): string {
  if (value === SENSITIVE_VALUE) return SENSITIVE_VALUE;
  return value === undefined || value === '' ? '(empty)' : JSON.stringify(value);
}

/** The one-line description after the email: a name for new contacts, a reason for the others. */
export function changeNote(change: Change, maskEmails = false): string {
  // A name next to a masked email would undo the masking.
  if (change.action === 'create') return maskEmails ? '' : printable(contactName(change));
  return printable(change.reason ?? '');
}

export function connectionLabel(plan: Pick<ExportPlan, 'connection'>, names: Record<string, string> | undefined): string {
  const name = names?.[plan.connection];
  return name === undefined || name === plan.connection ? plan.connection : `${name} (${plan.connection})`;
}

/** Thousands separators make 12,480 readable at a glance; fixed to en-US so tests and logs do not vary by locale. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 export`, `3 files`: the count as it is, and the word in the number it needs. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/**
 * The counts row `  create 3 · update 1 · … · unchanged 120` in lines of at most `width` (after its two-space
 * indent): which actions go on each line, `create 3` never split. Shared by the text and the Ink views.
 */
export function countsLayout(plan: ExportPlan, width: number): ChangeAction[][] {
  const lines: ChangeAction[][] = [];
  let length = 0;
  for (const action of [...LISTED_ACTIONS, 'noop' as const]) {
    const size = `${ACTION_LOOK[action].title} ${num(plan.counts[action])}`.length;
    const last = lines[lines.length - 1];
    if (last !== undefined && length + 3 + size <= width) {
      last.push(action);
      length += 3 + size;
    } else {
      lines.push([action]);
      length = 2 + size;
    }
  }
  return lines;
}

/** The counts row as text, zero counts dimmed. */
function countsRows(plan: ExportPlan, p: Painter, width: number): string[] {
  return countsLayout(plan, width).map(
    (actions) =>
      `  ${actions
        .map((action) => {
          const n = plan.counts[action];
          const look = ACTION_LOOK[action];
          const text = `${look.title} ${num(n)}`;
          return n === 0 ? p('dim', text) : action === 'noop' ? text : p(look.color, text);
        })
        .join(p('dim', ' · '))}`,
  );
}

function fieldLines(changes: readonly FieldChange[], indent: string, p: Painter, mask: boolean): string[] {
  const width = Math.max(...changes.map((f) => f.field.length));
  return changes.map((f) => {
    const shown = mask ? maskFieldChange(f) : f;
    return `${indent}${p('dim', f.field.padEnd(width))}  ${p('red', showValue(shown.before))} ${p('dim', '→')} ${p('green', showValue(shown.after))}`;
  });
}

/** The section of one export: header, counts row, then each group of changes; laid out for opts.width. */
export function renderExportPlan(plan: ExportPlan, opts: PlanTextOptions): string {
  return wrapText(exportPlanLines(plan, opts).join('\n'), opts.width ?? PLAIN_WIDTH);
}

function exportPlanLines(plan: ExportPlan, opts: PlanTextOptions): string[] {
  const p = painter(opts.color);
  const show = emailShower(opts.maskEmails);
  const lines: string[] = [];
  lines.push(`${p('bold', plan.export)} ${p('dim', '→')} list ${plan.listId} ${p('dim', 'on')} ${connectionLabel(plan, opts.connectionNames)}`);
  if (plan.source !== undefined) lines.push(p('dim', `  segment: ${describeSource(plan.source)}`));
  lines.push(...countsRows(plan, p, opts.width ?? PLAIN_WIDTH));
  const groups = groupChanges(plan, opts);
  for (const g of groups) {
    const look = ACTION_LOOK[g.action];
    lines.push('');
    lines.push(`  ${p(look.color, `${look.symbol} ${look.title}`)} ${p('dim', `(${num(g.count)})`)}`);
    const labels = g.shown.map((c) => (g.action === 'skip' ? skipLabel(c, show) : show(c.email)));
    const width = Math.min(Math.max(...labels.map((l) => l.length)), EMAIL_COLUMN_MAX);
    g.shown.forEach((c, i) => {
      const label = labels[i] ?? '';
      const note = changeNote(c, opts.maskEmails);
      const head = `    ${p(look.color, look.symbol)} ${note === '' ? label : `${label.padEnd(width)}  ${p('dim', note)}`}`;
      lines.push(head);
      if (c.fieldChanges !== undefined && c.fieldChanges.length > 0) lines.push(...fieldLines(c.fieldChanges, '        ', p, opts.maskEmails));
    });
    if (g.hidden > 0) lines.push(p('dim', `    … and ${num(g.hidden)} more (use --full)`));
  }
  if (groups.length === 0) lines.push(p('dim', `  ${noChangesLine(plan)}`));
  else if (plan.leftKept !== undefined) lines.push('', p('dim', `  ${leftKeptLine(plan.leftKept)}`));
  if (plan.notLookedUp !== undefined) lines.push('', `  ${p(['bold', 'yellow'], '!')} ${p('yellow', notLookedUpLine(plan))}`);
  if (plan.mayStartAutomations !== undefined) lines.push('', `  ${p(['bold', 'yellow'], '!')} ${p('yellow', automationsLine(plan.mayStartAutomations))}`);
  for (const problem of plan.blockedBy ?? [])
    lines.push('', `  ${p(['bold', 'red'], '!')} ${p('red', `apply will refuse this export: ${problem}`)}`, `    ${BLOCKED_HINT}`);
  return lines;
}

/** How to pass a guard, shown under each one the plan already knows will stop apply. */
export const BLOCKED_HINT = 'check the segment; if it is right, run apply with --allow-mass-unsubscribe';

/** The line of an export with no changes: the list matches, or some left and are kept on purpose. */
export function noChangesLine(plan: Pick<ExportPlan, 'leftKept'>): string {
  return plan.leftKept === undefined ? 'no changes: the list matches the segment' : `no changes: ${leftKeptLine(plan.leftKept)}`;
}

/** What a plan whose newcomers were not looked up in the account cannot show, and how to make it show it. */
export function notLookedUpLine(plan: Pick<ExportPlan, 'export' | 'notLookedUp'>): string {
  const n = plan.notLookedUp;
  if (n === undefined) return '';
  const who = `${num(n.contacts)} ${n.contacts === 1 ? 'contact' : 'contacts'} to create ${n.contacts === 1 ? 'was' : 'were'} not looked up in ActiveCampaign`;
  const why = n.lookupLimit === 0 ? 'lookupLimit is 0' : `more than lookupLimit ${num(n.lookupLimit)}`;
  return (
    `${who} (${why}): any the account already has will be subscribed and its mapped fields overwritten, which this plan cannot show. ` +
    `To see them, set lookupLimit: ${n.contacts} on export '${plan.export}' (one request each)`
  );
}

/** With excludeAutomations: true, which contacts may start the list's automations all the same. */
export function automationsLine(n: number): string {
  return (
    `the ${num(n)} ${n === 1 ? 'contact' : 'contacts'} to resubscribe may start the list's automations although excludeAutomations is true: ` +
    'ActiveCampaign re-subscribes only through contactLists, which has no such option'
  );
}

export function leftKeptLine(n: number): string {
  return `${num(n)} ${n === 1 ? 'contact' : 'contacts'} acsync subscribed left the segment and ${n === 1 ? 'stays' : 'stay'} on the list (onLeave: keep)`;
}

/** Where a segment came from, in one line: "duckdb, 2 files (lake/a.parquet, ...), query 1f2e..., 1,204 rows read in 0.3 s". */
export function describeSource(o: NonNullable<ExportPlan['source']>): string {
  const parts: string[] = [o.engine === 'file' ? 'file' : o.database !== undefined ? `${o.engine} database ${o.database}` : o.engine];
  if (o.files !== undefined && o.engine !== 'file') {
    const n = o.fileCount ?? o.files.length;
    parts.push(`${num(n)} ${n === 1 ? 'file' : 'files'} (${o.files.slice(0, 2).join(', ')}${n > 2 ? ', …' : ''})`);
  }
  if (o.queryHash !== undefined) parts.push(`query ${o.queryHash}`);
  parts.push(`${num(o.rowsRead)} ${o.rowsRead === 1 ? 'row' : 'rows'} read in ${(o.readMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/** Beyond this, emails are not padded: one very long address should not push every note off the screen. */
const EMAIL_COLUMN_MAX = 40;

function skipLabel(c: Change, show: (email: string) => string): string {
  const where = c.row !== undefined ? `row ${c.row}` : '';
  const who = c.email === '' ? '(no email)' : show(c.email);
  return where === '' ? who : `${where}  ${who}`;
}

/** Sum of counts over every plan. */
export function totalCounts(plans: readonly ExportPlan[]): Record<ChangeAction, number> {
  const total: Record<ChangeAction, number> = { create: 0, update: 0, subscribe: 0, resubscribe: 0, unsubscribe: 0, noop: 0, skip: 0 };
  for (const plan of plans) for (const a of Object.keys(total) as ChangeAction[]) total[a] += plan.counts[a];
  return total;
}

/**
 * `Plan: 3 to create, 1 to update, 2 to subscribe, 0 to resubscribe, 1 to unsubscribe (2 skipped, 120 unchanged).`
 * `unplanned` counts exports that could not be planned: their lists are unknown, so the sentence never says
 * "no changes" for them.
 */
export function planSentence(plans: readonly ExportPlan[], unplanned = 0): string {
  const t = totalCounts(plans);
  const writes = WRITE_ACTIONS.reduce((n, a) => n + t[a], 0);
  const tail = `${num(t.skip)} skipped, ${num(t.noop)} unchanged`;
  const notPlanned = `${num(unplanned)} ${unplanned === 1 ? 'export' : 'exports'} could not be planned`;
  if (unplanned > 0 && plans.length === 0) return `No plan: ${notPlanned} (see the errors above).`;
  if (writes === 0) {
    if (unplanned > 0) return `No changes in the ${plans.length === 1 ? 'list' : 'lists'} planned (${tail}); ${notPlanned}.`;
    return `No changes: ${plans.length === 1 ? 'the list matches its segment' : 'every list matches its segment'} (${tail}).`;
  }
  const parts = WRITE_ACTIONS.map((a) => `${num(t[a])} ${ACTION_LOOK[a].phrase}`);
  return `Plan: ${parts.join(', ')} (${tail})${unplanned > 0 ? `; ${notPlanned}` : ''}.`;
}

/** `vip: list 3 through the local snapshot: 212 of 48,210 members fetched`, or `… in full: 48,210 members (why)`. */
export function describeListRead(e: Extract<EngineEvent, { type: 'plan:list-read' }>): string {
  const members = `${num(e.members)} ${e.members === 1 ? 'member' : 'members'}`;
  if (e.mode === 'incremental') return `${e.export}: list ${e.listId} through the local snapshot: ${num(e.fetched)} of ${members} fetched`;
  return `${e.export}: list ${e.listId} in full: ${members}${e.reason !== undefined ? ` (${e.reason})` : ''}`;
}

/** Green only when there is nothing to do and nothing went wrong. */
export function isAllClear(sentence: string): boolean {
  return sentence.startsWith('No changes:');
}

/** Column-aligned table: text left-aligned, numbers right-aligned. */
export function alignTable(rows: readonly (readonly string[])[], numeric: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) =>
    row
      .map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The summary table for a width, shared by the text and the Ink views. A wrapped table is unreadable, so the widest
 * form that fits is chosen: column titles in words; else the action symbols, with a legend under the table (one
 * line per entry group, each entry whole); else without the connection column (each export's header names it).
 * Lines come without the two-space margin the views add.
 */
export function summaryTable(
  plans: readonly ExportPlan[],
  connectionNames: Record<string, string> | undefined,
  width: number,
): { head: string; rows: string[]; legend: string[] } {
  const actions = [...LISTED_ACTIONS, 'noop' as const];
  const table = (titles: string[], withConnection: boolean) => {
    const header = ['export', 'list', ...(withConnection ? ['connection'] : []), ...titles];
    const body = plans.map((p) => [
      p.export,
      p.listId,
      ...(withConnection ? [connectionNames?.[p.connection] ?? p.connection] : []),
      ...actions.map((a) => num(p.counts[a])),
    ]);
    const firstCount = withConnection ? 3 : 2;
    return alignTable(
      [header, ...body],
      header.map((_, i) => i === 1 || i >= firstCount),
    );
  };
  const fits = (lines: string[]) => Math.max(...lines.map((l) => l.length)) + 2 <= width;
  const symbols = actions.map((a) => ACTION_LOOK[a].symbol);
  let lines = table(
    actions.map((a) => ACTION_LOOK[a].title),
    true,
  );
  let legend: string[] = [];
  if (!fits(lines)) {
    lines = table(symbols, true);
    if (!fits(lines)) lines = table(symbols, false);
    // Symbols alone say nothing to a first-time reader.
    legend = packEntries(
      actions.map((a) => `${ACTION_LOOK[a].symbol} ${ACTION_LOOK[a].title}`),
      width - 2,
    );
  }
  const [head = '', ...rows] = lines;
  return { head, rows, legend };
}

/** Entries joined by two spaces into lines of at most `width`, an entry never split. */
function packEntries(entries: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const entry of entries) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 2 + entry.length <= width) lines[lines.length - 1] = `${last}  ${entry}`;
    else lines.push(entry);
  }
  return lines;
}

/** The table of every export's counts, then the Plan sentence, laid out for opts.width. */
export function renderPlanSummary(plans: readonly ExportPlan[], opts: Pick<PlanTextOptions, 'color' | 'connectionNames' | 'width'>, unplanned = 0): string {
  const p = painter(opts.color);
  const width = opts.width ?? PLAIN_WIDTH;
  const { head, rows, legend } = summaryTable(plans, opts.connectionNames, width);
  const sentence = planSentence(plans, unplanned);
  const look = isAllClear(sentence) ? p('green', sentence) : unplanned > 0 ? p('red', sentence) : sentence;
  const table = plans.length === 0 ? [] : [p('dim', `  ${head}`), ...rows.map((r) => `  ${r}`), ...legend.map((l) => p('dim', `  ${l}`)), ''];
  return [...table, ...wrapLine(p('bold', look), width)].join('\n');
}

/** The whole plan of a run: each export's section, then the summary table and the Plan sentence. */
export function renderPlanText(plans: readonly ExportPlan[], opts: PlanTextOptions): string {
  const sections = plans.map((plan) => renderExportPlan(plan, opts));
  return [...sections, renderPlanSummary(plans, opts)].join('\n\n') + '\n';
}
