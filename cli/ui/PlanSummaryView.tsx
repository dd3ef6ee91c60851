/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** The table of every export's counts and the `Plan: …` sentence, aligned like the text renderer's. */
import { Box, Text, useStdout } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import { ACTION_LOOK, LISTED_ACTIONS } from '../report/actions.ts';
import { alignTable, isAllClear, num, planSentence } from '../report/plan-text.ts';

const FALLBACK_COLUMNS = 100;

export function PlanSummaryView({ plans, connectionNames, unplanned = 0 }: { plans: readonly ExportPlan[]; connectionNames?: Record<string, string>; unplanned?: number }) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  const actions = [...LISTED_ACTIONS, 'noop' as const];
  const table = (titles: string[], withConnection: boolean) => {
    const header = ['export', 'list', ...(withConnection ? ['connection'] : []), ...titles];
    const body = plans.map((p) => [p.export, p.listId, ...(withConnection ? [connectionNames?.[p.connection] ?? p.connection] : []), ...actions.map((a) => num(p.counts[a]))]);
    const firstCount = withConnection ? 3 : 2;
    return alignTable([header, ...body], header.map((_, i) => i === 1 || i >= firstCount));
  };
  const fits = (lines: string[]) => Math.max(...lines.map((l) => l.length)) + 2 <= columns;
  const symbols = actions.map((a) => ACTION_LOOK[a].symbol);
  // A wrapped table is unreadable: in a narrow terminal the column titles shrink to the action symbols, and then the
  // connection goes (each export's header above already names it).
  let lines = table(actions.map((a) => ACTION_LOOK[a].title), true);
  let legend: string | undefined;
  if (!fits(lines)) {
    lines = table(symbols, true);
    // Symbols alone say nothing to a first-time reader: a legend under the table, one line.
    legend = actions.map((a) => `${ACTION_LOOK[a].symbol} ${ACTION_LOOK[a].title}`).join('  ');
  }
  if (!fits(lines)) lines = table(symbols, false);
  const [head = '', ...rows] = lines;
  const sentence = planSentence(plans, unplanned);
  return (
    <Box flexDirection="column">
      <Text dimColor>  {head}</Text>
      {rows.map((r, i) => (
        <Text key={i}>  {r}</Text>
      ))}
      {legend !== undefined ? <Text dimColor>  {legend}</Text> : null}
      <Box marginTop={1}>
        {isAllClear(sentence) ? <Text bold color="green">{sentence}</Text> : unplanned > 0 ? <Text bold color="red">{sentence}</Text> : <Text bold>{sentence}</Text>}
      </Box>
    </Box>
  );
}
