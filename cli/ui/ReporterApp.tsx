/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The whole terminal UI of plan and apply: what is finished (plans, finished exports, failures, the summary) goes
 * into <Static> and scrolls up like ordinary output; below it, a small live area redraws the exports still at work
 * and, when apply asks, the y/N prompt.
 */
import { Box, Static, Text, useStdout } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import type { ProgressView } from '../report/progress.ts';
import { ConfirmPrompt } from './ConfirmPrompt.tsx';
import { ExportPlanView, type PlanViewOptions } from './ExportPlanView.tsx';
import { ExportProgressView, FinishedExportLine } from './ExportProgressView.tsx';
import { PlanSummaryView } from './PlanSummaryView.tsx';

export type StaticItem =
  | { kind: 'plan'; plan: ExportPlan }
  | { kind: 'summary'; plans: ExportPlan[] }
  | { kind: 'finished'; view: ProgressView }
  /** Pre-rendered text (it may carry ANSI colour), e.g. diagnostics, failures, the apply result. */
  | { kind: 'text'; text: string };

export interface ReporterAppProps {
  items: ReadonlyArray<StaticItem & { id: number }>;
  live: readonly ProgressView[];
  planOptions: PlanViewOptions;
  prompt?: { question: string; onAnswer: (yes: boolean) => void } | undefined;
  /** Animation frame counter for the spinners. */
  tick: number;
}

/** Used when the stream reports no width (a pty without a size, tests). */
const FALLBACK_COLUMNS = 100;

export function ReporterApp({ items, live, planOptions, prompt, tick }: ReporterAppProps) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  const nameWidth = Math.max(0, ...live.map((v) => v.export.length));
  return (
    <>
      <Static items={items as Array<StaticItem & { id: number }>}>
        {(item) => (
          <Box key={item.id} flexDirection="column">
            <StaticItemView item={item} planOptions={planOptions} />
          </Box>
        )}
      </Static>
      {live.length > 0 ? (
        <Box flexDirection="column" marginTop={0}>
          {live.map((v) => (
            <ExportProgressView key={v.export} view={v} nameWidth={nameWidth} columns={columns} tick={tick} />
          ))}
        </Box>
      ) : null}
      {prompt !== undefined ? <ConfirmPrompt question={prompt.question} onAnswer={prompt.onAnswer} /> : null}
    </>
  );
}

function StaticItemView({ item, planOptions }: { item: StaticItem; planOptions: PlanViewOptions }) {
  switch (item.kind) {
    case 'plan':
      return <ExportPlanView plan={item.plan} options={planOptions} />;
    case 'summary':
      return (
        <Box marginBottom={1}>
          <PlanSummaryView plans={item.plans} {...(planOptions.connectionNames ? { connectionNames: planOptions.connectionNames } : {})} />
        </Box>
      );
    case 'finished':
      return <FinishedExportLine view={item.view} />;
    case 'text':
      return <Text>{item.text}</Text>;
  }
}
