/** The table of every export's counts and the `Plan: …` sentence, aligned like the text renderer's. */
import { Box, Text } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import { ACTION_LOOK, LISTED_ACTIONS } from '../report/actions.ts';
import { alignTable, num, planSentence } from '../report/plan-text.ts';

export function PlanSummaryView({ plans, connectionNames }: { plans: readonly ExportPlan[]; connectionNames?: Record<string, string> }) {
  const actions = [...LISTED_ACTIONS, 'noop' as const];
  const header = ['export', 'list', 'connection', ...actions.map((a) => ACTION_LOOK[a].title)];
  const body = plans.map((p) => [p.export, p.listId, connectionNames?.[p.connection] ?? p.connection, ...actions.map((a) => num(p.counts[a]))]);
  const [head = '', ...rows] = alignTable([header, ...body], header.map((_, i) => i === 1 || i >= 3));
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
