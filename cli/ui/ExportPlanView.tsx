/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** One export's plan: header, counts row, then each kind of change with its symbol; the Ink twin of renderExportPlan. */
import { Box, Text, useStdout } from 'ink';
import type { Change, ExportPlan } from '../../engine/model.ts';
import { ACTION_LOOK } from '../report/actions.ts';
import { emailShower, maskFieldChange } from '../report/mask.ts';
import {
  BLOCKED_HINT,
  changeNote,
  connectionLabel,
  countsLayout,
  describeSource,
  groupChanges,
  automationsLine,
  leftKeptLine,
  noChangesLine,
  notLookedUpLine,
  num,
} from '../report/plan-text.ts';
import { FieldDiff } from './FieldDiff.tsx';

export interface PlanViewOptions {
  maskEmails: boolean;
  full: boolean;
  connectionNames?: Record<string, string>;
  limit?: number;
}

/** Used when the stream reports no width (as ReporterApp does). */
const FALLBACK_COLUMNS = 100;

/** Beyond this, emails are not padded (same rule as the text renderer). */
const EMAIL_COLUMN_MAX = 40;

export function ExportPlanView({ plan, options }: { plan: ExportPlan; options: PlanViewOptions }) {
  const show = emailShower(options.maskEmails);
  const groups = groupChanges(plan, options);
  const { stdout } = useStdout();
  // The terminal's width, given: in Ink's <Static> a box is as wide as its content, and a nested one never wraps.
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  return (
    <Box flexDirection="column" marginBottom={1} width={columns}>
      <Text>
        <Text bold>{plan.export}</Text> <Text dimColor>→</Text> list {plan.listId} <Text dimColor>on</Text> {connectionLabel(plan, options.connectionNames)}
      </Text>
      {/* Indents are margins, not leading spaces: a line Ink wraps then goes on under its own start. */}
      {plan.source !== undefined ? (
        <Box marginLeft={2}>
          <Text dimColor>segment: {describeSource(plan.source)}</Text>
        </Box>
      ) : null}
      <CountsRow plan={plan} />
      {groups.map((g) => {
        const look = ACTION_LOOK[g.action];
        const labels = g.shown.map((c) => label(c, g.action === 'skip', show));
        const width = Math.min(Math.max(...labels.map((l) => l.length)), EMAIL_COLUMN_MAX);
        return (
          <Box key={g.action} flexDirection="column" marginTop={1} marginLeft={2}>
            <Text>
              <Text color={look.color}>
                {look.symbol} {look.title}
              </Text>{' '}
              <Text dimColor>({num(g.count)})</Text>
            </Text>
            {g.shown.map((c, i) => (
              <ChangeRow key={i} change={c} label={labels[i] ?? ''} width={width} maskEmails={options.maskEmails} />
            ))}
            {g.hidden > 0 ? <Text dimColor>  … and {num(g.hidden)} more (use --full)</Text> : null}
          </Box>
        );
      })}
      {groups.length === 0 ? (
        <Box marginLeft={2}>
          <Text dimColor>{noChangesLine(plan)}</Text>
        </Box>
      ) : null}
      {groups.length > 0 && plan.leftKept !== undefined ? (
        <Box marginTop={1} marginLeft={2}>
          <Text dimColor>{leftKeptLine(plan.leftKept)}</Text>
        </Box>
      ) : null}
      {plan.notLookedUp !== undefined ? <Warning color="yellow" text={notLookedUpLine(plan)} /> : null}
      {plan.mayStartAutomations !== undefined ? <Warning color="yellow" text={automationsLine(plan.mayStartAutomations)} /> : null}
      {(plan.blockedBy ?? []).map((problem) => (
        <Warning key={problem} color="red" text={`apply will refuse this export: ${problem}`} hint={BLOCKED_HINT} />
      ))}
    </Box>
  );
}

/** A `!` line under the export (the text's twin in plan-text.ts), wrapping under its words, with a hint below. */
function Warning({ color, text, hint }: { color: 'yellow' | 'red'; text: string; hint?: string }) {
  return (
    <Box flexDirection="column" marginTop={1} marginLeft={2}>
      <Box>
        <Text bold color={color}>
          !{' '}
        </Text>
        <Box flexShrink={1}>
          <Text color={color}>{text}</Text>
        </Box>
      </Box>
      {hint !== undefined ? (
        <Box marginLeft={2}>
          <Text>{hint}</Text>
        </Box>
      ) : null}
    </Box>
  );
}

function label(c: Change, skip: boolean, show: (e: string) => string): string {
  if (!skip) return show(c.email);
  const who = c.email === '' ? '(no email)' : show(c.email);
  return c.row === undefined ? who : `row ${c.row}  ${who}`;
}

function ChangeRow({ change, label, width, maskEmails }: { change: Change; label: string; width: number; maskEmails: boolean }) {
  const look = ACTION_LOOK[change.action];
  const note = changeNote(change, maskEmails);
  const fields = (change.fieldChanges ?? []).map((f) => (maskEmails ? maskFieldChange(f) : f));
  const fieldWidth = Math.max(0, ...fields.map((f) => f.field.length));
  return (
    <Box flexDirection="column" marginLeft={2}>
      {/* The note in a box of its own: a long reason wraps under the reasons, not under the emails. */}
      <Box>
        <Box flexShrink={0}>
          <Text>
            <Text color={look.color}>{look.symbol}</Text> {note === '' ? label : label.padEnd(width)}
            {note === '' ? '' : '  '}
          </Text>
        </Box>
        {note === '' ? null : (
          <Box flexShrink={1}>
            <Text dimColor>{note}</Text>
          </Box>
        )}
      </Box>
      {fields.map((f) => (
        <Box key={f.field} marginLeft={4}>
          <FieldDiff change={f} fieldWidth={fieldWidth} />
        </Box>
      ))}
    </Box>
  );
}

/** Laid out like the text's counts row (countsLayout): a wrap never leaves a lone `·` at the start of a line. */
export function CountsRow({ plan }: { plan: ExportPlan }) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  return (
    <>
      {countsLayout(plan, columns).map((actions) => (
        <Text key={actions.join()}>
          {'  '}
          {actions.map((a, i) => {
            const n = plan.counts[a];
            const look = ACTION_LOOK[a];
            const text = `${look.title} ${num(n)}`;
            return (
              <Text key={a}>
                {i > 0 ? <Text dimColor> · </Text> : null}
                {n === 0 ? <Text dimColor>{text}</Text> : a === 'noop' ? <Text>{text}</Text> : <Text color={look.color}>{text}</Text>}
              </Text>
            );
          })}
        </Text>
      ))}
    </>
  );
}
