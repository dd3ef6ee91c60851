/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** The table of every export's counts and the `Plan: …` sentence, laid out like the text renderer's (summaryTable). */
import { Box, Text, useStdout } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import { isAllClear, planSentence, summaryTable } from '../report/plan-text.ts';

const FALLBACK_COLUMNS = 100;

export function PlanSummaryView({ plans, connectionNames, unplanned = 0 }: { plans: readonly ExportPlan[]; connectionNames?: Record<string, string>; unplanned?: number }) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  const { head, rows, legend } = summaryTable(plans, connectionNames, columns);
  const sentence = planSentence(plans, unplanned);
  return (
    <Box flexDirection="column">
      <Text dimColor>  {head}</Text>
      {rows.map((r, i) => (
        <Text key={i}>  {r}</Text>
      ))}
      {legend.map((l, i) => (
        <Text key={`legend-${i}`} dimColor>
          {'  '}
          {l}
        </Text>
      ))}
      <Box marginTop={1}>
        {isAllClear(sentence) ? <Text bold color="green">{sentence}</Text> : unplanned > 0 ? <Text bold color="red">{sentence}</Text> : <Text bold>{sentence}</Text>}
      </Box>
    </Box>
  );
}
