/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * The live rows of the apply (and of planning): per export a spinner, a bar with done/total and ETA, and a second
 * line with the rate, batches in flight, requests per second against the account's budget, rate-limit waits and
 * failures so far.
 */
import { Box, Text } from 'ink';
import { num } from '../report/plan-text.ts';
import { formatCount, formatDuration, type ProgressView } from '../report/progress.ts';
import { ProgressBar } from './ProgressBar.tsx';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** The bar never gets narrower than this, nor wider: past 40 cells it stops being easier to read. */
const BAR_MIN = 10;
const BAR_MAX = 40;

export function Spinner({ tick }: { tick: number }) {
  return <Text color="cyan">{SPINNER[tick % SPINNER.length]}</Text>;
}

export function ExportProgressView({ view, nameWidth, columns, tick, compact = false }: { view: ProgressView; nameWidth: number; columns: number; tick: number; compact?: boolean }) {
  const name = view.export.padEnd(nameWidth);
  if (view.phase === 'planning' || view.phase === 'planned') {
    const r = view.reading;
    let what = 'planning';
    if (view.phase === 'planned') what = 'planned';
    else if (r?.phase === 'segment') what = `reading segment · ${num(r.done)} rows`;
    else if (r?.phase === 'list') what = r.total !== undefined ? `reading list · ${formatCount(r.done, r.total)}` : `reading list · ${num(r.done)} contacts`;
    return (
      <Text>
        <Spinner tick={tick} /> <Text bold>{name}</Text>  <Text dimColor>{what}</Text>
      </Text>
    );
  }
  const counts = `${num(view.done)}/${num(view.total)}`;
  const pct = view.total > 0 ? `${Math.floor((view.done / view.total) * 100)}%` : '100%';
  const elapsed = view.elapsedMs !== undefined ? `elapsed ${formatDuration(view.elapsedMs)}` : '';
  const etaOnly = view.etaMs !== undefined ? `ETA ${formatDuration(view.etaMs)}` : '';
  const fixedWithout = (tail: string) => 2 + nameWidth + 2 + 2 + counts.length + 2 + 4 + 2 + tail.length;
  // Elapsed time is what tells a slow apply from a stuck one; it gives way first when the terminal is narrow.
  const withElapsed = [elapsed, etaOnly].filter((t) => t !== '').join('  ');
  const eta = columns - fixedWithout(withElapsed) >= BAR_MIN ? withElapsed : etaOnly;
  const fixed = fixedWithout(eta);
  const barWidth = Math.max(BAR_MIN, Math.min(BAR_MAX, columns - fixed));
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
 * what is known and not zero, so a quiet apply has a quiet line. A pause ordered by ActiveCampaign is the one thing
 * that explains a bar that stopped moving, so it stands out.
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
          <Text color="yellow">paused by ActiveCampaign (429), resuming in {formatDuration(view.pausedForMs)}</Text>
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

/** The line left behind when an export finishes: ✓ or ✗, counts and time. */
export function FinishedExportLine({ view }: { view: ProgressView }) {
  const ok = view.failed === 0;
  return (
    <Text>
      <Text color={ok ? 'green' : 'red'}>{ok ? '✓' : '✗'}</Text> <Text bold>{view.export}</Text>  {num(view.applied)} applied
      {view.failed > 0 ? <Text color="red">, {num(view.failed)} failed</Text> : <Text dimColor>, 0 failed</Text>}
      <Text dimColor> in {formatDuration(view.durationMs ?? 0)}</Text>
      {view.waitedMs > 0 ? <Text dimColor> ({formatDuration(view.waitedMs)} waiting on rate limits)</Text> : null}
    </Text>
  );
}
