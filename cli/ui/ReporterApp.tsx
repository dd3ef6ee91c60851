/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The whole terminal UI of plan and apply: what is finished (plans, finished exports, failures, the summary) goes
 * into <Static> and scrolls up like ordinary output; below it, a small live area redraws the exports still at work
 * and, when apply asks, the approval prompt.
 */
import { Box, Static, Text, useStdout } from 'ink';
import type { ExportPlan } from '../../engine/model.ts';
import { wrapText } from '../report/layout.ts';
import { num } from '../report/plan-text.ts';
import type { ProgressView } from '../report/progress.ts';
import { ConfirmPrompt, type ConfirmAnswer } from './ConfirmPrompt.tsx';
import { ExportPlanView, type PlanViewOptions } from './ExportPlanView.tsx';
import { ExportProgressView, FinishedExportLine } from './ExportProgressView.tsx';
import { PlanSummaryView } from './PlanSummaryView.tsx';

export type StaticItem =
  | { kind: 'plan'; plan: ExportPlan }
  | { kind: 'summary'; plans: ExportPlan[]; unplanned: number }
  | { kind: 'finished'; view: ProgressView }
  /** Pre-rendered text (it may carry ANSI colour), e.g. diagnostics, failures, the apply result. */
  | { kind: 'text'; text: string; gapAfter?: boolean };

export interface ReporterAppProps {
  items: ReadonlyArray<StaticItem & { id: number }>;
  live: readonly ProgressView[];
  planOptions: PlanViewOptions;
  prompt?: { question: string; onAnswer: (answer: ConfirmAnswer) => void } | undefined;
  /** Animation frame counter for the spinners. */
  tick: number;
  /**
   * The last words of a run (the summary, the apply result), drawn below everything in the final frame instead of in
   * <Static>: Ink ends a frame with a newline, so an empty final frame would leave a blank line above the shell prompt.
   */
  tail?: ReadonlyArray<StaticItem> | undefined;
}

/** Used when the stream reports no width (a pty without a size, tests). */
const FALLBACK_COLUMNS = 100;
/** Lines kept free below the live area: a frame as tall as the terminal makes Ink clear the whole screen each time. */
const SPARE_ROWS = 2;

export function ReporterApp({ items, live, planOptions, prompt, tick, tail }: ReporterAppProps) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  const rows = stdout.rows > 0 ? stdout.rows : Number.POSITIVE_INFINITY;
  const nameWidth = Math.max(0, ...live.map((v) => v.export.length));
  const countsWidth = Math.max(0, ...live.filter((v) => v.phase === 'applying').map((v) => `${num(v.done)}/${num(v.total)}`.length));
  const room = rows - SPARE_ROWS - (prompt !== undefined ? 1 : 0);
  // Many exports at once: one line each, and past the terminal's height a count of the rest.
  const compact = live.length * 2 > room;
  const shown = compact && live.length > room ? live.slice(0, Math.max(0, room - 1)) : live;
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
        <Box flexDirection="column">
          {shown.map((v) => (
            <ExportProgressView key={v.export} view={v} nameWidth={nameWidth} columns={columns} tick={tick} compact={compact} countsWidth={countsWidth} />
          ))}
          {shown.length < live.length ? <Text dimColor>  … and {live.length - shown.length} more exports at work</Text> : null}
        </Box>
      ) : null}
      {prompt !== undefined ? <ConfirmPrompt question={prompt.question} onAnswer={prompt.onAnswer} /> : null}
      {(tail ?? []).map((item, i, all) => (
        <Box key={`tail-${i}`} flexDirection="column">
          <StaticItemView item={item} planOptions={planOptions} last={i === all.length - 1} />
        </Box>
      ))}
    </>
  );
}

/**
 * A line or a few (an error and its hint, a diagnostic), broken between words for the terminal as plain lines are
 * (layout.ts): Ink's own wrap would go on at the left edge, under nothing.
 */
function TextItem({ text, gap }: { text: string; gap: boolean }) {
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  return (
    <Box marginBottom={gap ? 1 : 0}>
      <Text>{wrapText(text, columns)}</Text>
    </Box>
  );
}

/** `last`: nothing follows, so no blank line after it (the shell prompt comes next). */
function StaticItemView({ item, planOptions, last = false }: { item: StaticItem; planOptions: PlanViewOptions; last?: boolean }) {
  switch (item.kind) {
    case 'plan':
      return <ExportPlanView plan={item.plan} options={planOptions} />;
    case 'summary':
      return (
        <Box marginBottom={last ? 0 : 1}>
          <PlanSummaryView plans={item.plans} unplanned={item.unplanned} {...(planOptions.connectionNames ? { connectionNames: planOptions.connectionNames } : {})} />
        </Box>
      );
    case 'finished':
      return <FinishedExportLine view={item.view} />;
    case 'text':
      return <TextItem text={item.text} gap={item.gapAfter === true && !last} />;
  }
}
