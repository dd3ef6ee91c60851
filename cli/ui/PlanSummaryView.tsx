/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** The table of every export's counts and the `Plan: …` sentence, aligned like the text renderer's. */
import { Box, Text, useStdout } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import { ACTION_LOOK, LISTED_ACTIONS } from '../report/actions.ts';
import { alignTable, num, planSentence } from '../report/plan-text.ts';

const FALLBACK_COLUMNS = 100;

export function PlanSummaryView({ plans, connectionNames }: { plans: readonly ExportPlan[]; connectionNames?: Record<string, string> }) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  const actions = [...LISTED_ACTIONS, 'noop' as const];
  const body = plans.map((p) => [p.export, p.listId, connectionNames?.[p.connection] ?? p.connection, ...actions.map((a) => num(p.counts[a]))]);
  const table = (titles: string[]) => {
    const header = ['export', 'list', 'connection', ...titles];
    return alignTable([header, ...body], header.map((_, i) => i === 1 || i >= 3));
  };
  let lines = table(actions.map((a) => ACTION_LOOK[a].title));
  // A wrapped table is unreadable: in a narrow terminal the column titles shrink to the action symbols.
  if (Math.max(...lines.map((l) => l.length)) + 2 > columns) lines = table(actions.map((a) => ACTION_LOOK[a].symbol));
  const [head = '', ...rows] = lines;
  const sentence = planSentence(plans);
  return (
    <Box flexDirection="column">
      <Text dimColor>  {head}</Text>
      {rows.map((r, i) => (
        <Text key={i}>  {r}</Text>
      ))}
      <Box marginTop={1}>
        {sentence.startsWith('Plan:') ? <Text bold>{sentence}</Text> : <Text bold color="green">{sentence}</Text>}
      </Box>
    </Box>
  );
}
