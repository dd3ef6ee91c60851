/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The live rows of the apply (and of planning): per export a spinner, a bar with done/total and ETA, and a second
 * line with the rate, batches in flight, requests per second against the account's budget, rate-limit waits and
 * failures so far.
 */
import { Box, Text, useStdout } from 'ink';
import { num } from '../report/plan-text.ts';
import { formatCount, formatDuration, type ProgressView } from '../report/progress.ts';
import { ProgressBar } from './ProgressBar.tsx';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** The bar never gets narrower than this, nor wider: past 40 cells it stops being easier to read. */
const BAR_MIN = 10;
const BAR_MAX = 40;
/** Room kept after the bar for `elapsed 10m 00s  ETA 10m 00s`, or, when narrow, for `ETA 10m 00s`. */
const TAIL_WITH_ELAPSED = 'elapsed 10m 00s  ETA 10m 00s'.length;
const TAIL_ETA_ONLY = 'ETA 10m 00s'.length;

export function Spinner({ tick }: { tick: number }) {
  return <Text color="cyan">{SPINNER[tick % SPINNER.length]}</Text>;
}

export function ExportProgressView({
  view,
  nameWidth,
  columns,
  tick,
  compact = false,
  countsWidth = 0,
}: {
  view: ProgressView;
  nameWidth: number;
  columns: number;
  tick: number;
  compact?: boolean;
  /** The widest `done/total` among the rows shown together. */
  countsWidth?: number;
}) {
  const name = view.export.padEnd(nameWidth);
  if (view.phase === 'planning' || view.phase === 'planned') {
    const r = view.reading;
    let what = 'planning';
    if (view.phase === 'planned') what = 'planned';
    else if (r?.phase === 'segment') what = `reading segment · ${num(r.done)} rows`;
    else if (r?.phase === 'lookup') what = `looking up newcomers · ${formatCount(r.done, r.total ?? r.done)}`;
    else if (r?.phase === 'list') what = r.total !== undefined ? `reading list · ${formatCount(r.done, r.total)}` : `reading list · ${num(r.done)} contacts`;
    return (
      <Text>
        <Spinner tick={tick} /> <Text bold>{name}</Text>  <Text dimColor>{what}</Text>
      </Text>
    );
  }
  const counts = `${num(view.done)}/${num(view.total)}`.padStart(countsWidth);
  const pct = view.total > 0 ? `${Math.floor((view.done / view.total) * 100)}%` : '100%';
  // The bar's width depends only on the terminal and the widest name and count, never on this row's numbers, so the
  // bars of several exports line up. Elapsed time tells a slow apply from a stuck one; it gives way first.
  const fixed = 12 + nameWidth + Math.max(countsWidth, counts.length);
  const withElapsed = columns - fixed - TAIL_WITH_ELAPSED >= BAR_MIN;
  const barWidth = Math.max(BAR_MIN, Math.min(BAR_MAX, columns - fixed - (withElapsed ? TAIL_WITH_ELAPSED : TAIL_ETA_ONLY)));
  const eta = [
    withElapsed && view.elapsedMs !== undefined ? `elapsed ${formatDuration(view.elapsedMs)}` : '',
    view.etaMs !== undefined ? `ETA ${formatDuration(view.etaMs)}` : '',
    view.stopping === true ? 'stopping' : '',
  ]
    .filter((t) => t !== '')
    .join('  ');
  return (
    <Box flexDirection="column">
      <Text>
        <Spinner tick={tick} /> <Text bold>{name}</Text>  <ProgressBar done={view.done} total={view.total} width={barWidth} color={view.failed > 0 ? 'yellow' : 'green'} />{' '}
        {counts} <Text dimColor>{pct.padStart(4)}</Text>
        {eta === '' ? '' : '  '}
        <Text dimColor>{eta}</Text>
      </Text>
      {/* A box, so that in a narrow terminal the details wrap under themselves rather than under the spinner. */}
      {compact ? null : (
        <Box marginLeft={nameWidth > 0 ? 4 : 2}>
          <ProgressDetails view={view} />
        </Box>
      )}
    </Box>
  );
}

/**
 * `13 contacts/s · 1 batch in flight · 4.8/5 req/s · waited 3.2s on rate limits · 1 failed`: only
 * what is known and not zero, so a quiet apply has a quiet line. A 429 pause ordered by ActiveCampaign is what
 * explains a bar that stopped moving, so it stands out.
 */
export function ProgressDetails({ view }: { view: ProgressView }) {
  const parts: string[] = [];
  if (view.rate !== undefined) parts.push(`${view.rate.toFixed(view.rate < 10 ? 1 : 0)} contacts/s`);
  if (view.batchesInFlight > 0) parts.push(`${view.batchesInFlight} ${view.batchesInFlight === 1 ? 'batch' : 'batches'} in flight`);
  if (view.requestsPerSecond !== undefined) parts.push(`${view.requestsPerSecond.toFixed(1)}/${view.requestBudget} req/s`);
  if (view.pausedForMs === undefined && view.waitedMs > 0) parts.push(`waited ${formatDuration(view.waitedMs)} on rate limits`);
  if (view.retries > 0) parts.push(`${num(view.retries)} ${view.retries === 1 ? 'retry' : 'retries'}`);
  const sep = <Text dimColor> · </Text>;
  return (
    <Text>
      <Text dimColor>{parts.join(' · ')}</Text>
      {view.pausedForMs !== undefined ? (
        <Text>
          {parts.length > 0 ? sep : null}
          <Text color="yellow">ActiveCampaign rate limit (429): retry in {formatDuration(view.pausedForMs)}</Text>
        </Text>
      ) : null}
      {view.failed > 0 ? (
        <Text>
          {parts.length > 0 || view.pausedForMs !== undefined ? sep : null}
          <Text color="red">{num(view.failed)} failed</Text>
        </Text>
      ) : null}
    </Text>
  );
}

/** Used when the stream reports no width. */
const FALLBACK_COLUMNS = 100;

/** The line left behind when an export finishes: ✓ or ✗, counts and time. */
export function FinishedExportLine({ view }: { view: ProgressView }) {
  const notSent = view.notSent ?? 0;
  const ok = view.failed === 0 && notSent === 0;
  const { stdout } = useStdout();
  // The terminal's width, given (in Ink's <Static> a box is as wide as its content), and the mark in a column of
  // its own: a line longer than the terminal wraps under its words, not at the screen's edge.
  const columns = stdout.columns > 0 ? stdout.columns : FALLBACK_COLUMNS;
  return (
    <Box width={columns}>
      <Text color={ok ? 'green' : view.failed > 0 ? 'red' : 'yellow'}>{ok ? '✓ ' : view.failed > 0 ? '✗ ' : '■ '}</Text>
      <Box flexShrink={1}>
        <Text>
          <Text bold>{view.export}</Text>  {num(view.applied)} applied
          {view.failed > 0 ? <Text color="red">, {num(view.failed)} failed</Text> : <Text dimColor>, 0 failed</Text>}
          {notSent > 0 ? <Text color="yellow">, {num(notSent)} not sent (stopped)</Text> : null}
          <Text dimColor>; applying took {formatDuration(view.durationMs ?? 0)}</Text>
          {view.waitedMs > 0 ? <Text dimColor> ({formatDuration(view.waitedMs)} of it held back by ActiveCampaign's rate limit)</Text> : null}
        </Text>
      </Box>
    </Box>
  );
}
