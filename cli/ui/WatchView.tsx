/**
 * The watch screen in a terminal: per export its state, the run going now (with progress), the last run (when,
 * counts, duration or error) and the next scheduled run. Notices (reloads, config warnings and errors, failed
 * runs) are a log printed above it once, in full (Ink's <Static>), and stay in the scrollback.
 * The live part is kept shorter than the terminal (`rows`): a frame as tall as the terminal makes Ink clear the
 * whole terminal on every redraw, which wipes the scrollback and, where ESC[3J is ignored, leaves one copy of the
 * frame per redraw (issue 16, item 3). So every live line is cut at the terminal's width rather than wrapped (its
 * height is then known), and exports that do not fit are counted on one line instead.
 * Stateless: the command folds events into a WatchStatus and re-renders.
 */
import { errorLocation } from '../../engine/errors.ts';
import { Box, Static, Text } from 'ink';
import type { ChangeAction, ChangeCounts } from '../../engine/model.ts';
import type { ExportWatchStatus, WatchStatus } from '../../engine/watch/status.ts';
import { num } from '../report/plan-text.ts';

export interface WatchViewProps {
  status: WatchStatus;
  /** Epoch ms: "next run in 3m" and "running for 4s" are relative to it. */
  now: number;
  /** Every notice so far, oldest first, each one or more lines already laid out for the width. */
  notices: string[];
  /** The terminal's height: the live part is kept below it. Unbounded when absent. */
  rows?: number;
  color: boolean;
  /** Zone for clock times (the local zone when absent; tests pin it). */
  timeZone?: string;
}

const COUNT_ORDER: ChangeAction[] = ['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe', 'skip'];

/** "4 create, 1 update, 2 skip", or "no changes". */
export function countsText(counts: ChangeCounts): string {
  const parts = COUNT_ORDER.filter((a) => counts[a] > 0).map((a) => `${num(counts[a])} ${a}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

export function clockTime(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) }).format(at);
}

/** 850 → "850ms", 12_300 → "12.3s", 200_000 → "3m 20s", 90_000_000 → "1d 1h". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Rows an export's block takes on the live screen (every line is cut, never wrapped): see ExportRow. */
export function exportRowHeight(x: ExportWatchStatus): number {
  return 2 + (x.current !== undefined ? 1 : 0) + (x.lastRun !== undefined ? 1 : 0) + (x.lastRun?.error?.hint !== undefined ? 1 : 0) + (x.schedule !== undefined ? 1 : 0);
}

/** How many exports fit in `rows` (all when unbounded), leaving room for the other lines and one free row. */
function exportsShown(status: WatchStatus, rows: number | undefined): number {
  if (rows === undefined) return status.exports.length;
  const fixed = 1 + (status.configErrors !== undefined ? 1 : 0) + (status.stopped === true ? 0 : 1);
  // Ink clears the terminal once the frame is as tall as it: stay a row under.
  const budget = rows - 1 - fixed;
  const heights = status.exports.map(exportRowHeight);
  if (heights.reduce((a, b) => a + b, 0) <= budget) return status.exports.length;
  let used = 1; // the "… N more" line
  let n = 0;
  while (n < heights.length && used + heights[n]! <= budget) used += heights[n++]!;
  return n;
}

export function WatchView({ status, now, notices, color, timeZone, rows }: WatchViewProps) {
  const width = Math.max(6, ...status.exports.map((x) => x.name.length));
  const c = (name: string) => (color ? { color: name } : {});
  const shown = exportsShown(status, rows);
  const hidden = status.exports.length - shown;
  return (
    <>
      <Static items={notices}>
        {(n, i) => (
          <Text key={i} dimColor>
            {n}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        <Text wrap="truncate-end">
          <Text bold>acsync watch</Text> · {status.config} · {status.mode === 'plan' ? <Text {...c('yellow')}>plan only: nothing is applied</Text> : 'applying changes'}
          {status.stopped === true ? <Text {...c('yellow')}> · stopped</Text> : status.stopping ? <Text {...c('yellow')}> · stopping…</Text> : null}
        </Text>
        {status.configErrors !== undefined ? (
          <Text {...c('red')} wrap="truncate-end">
            ✗ {status.config} has {status.configErrors} {status.configErrors === 1 ? 'error' : 'errors'}: the last good config keeps running
          </Text>
        ) : null}
        {status.exports.length === 0 ? <Text dimColor>no exports to watch</Text> : null}
        {status.exports.slice(0, shown).map((x) => (
          <ExportRow key={x.name} x={x} width={width} now={now} color={color} {...(timeZone ? { timeZone } : {})} />
        ))}
        {hidden > 0 ? (
          <Text dimColor wrap="truncate-end">
            … {num(hidden)} more {hidden === 1 ? 'export' : 'exports'} (a taller terminal shows them)
          </Text>
        ) : null}
        {status.stopped === true ? null : (
          <Text dimColor wrap="truncate-end">
            {status.stopping ? 'waiting for runs in flight; Ctrl-C again to quit at once' : 'Ctrl-C to stop'}
          </Text>
        )}
      </Box>
    </>
  );
}

function ExportRow({ x, width, now, color, timeZone }: { x: ExportWatchStatus; width: number; now: number; color: boolean; timeZone?: string }) {
  const c = (name: string) => (color ? { color: name } : {});
  const pad = ' '.repeat(width + 2);
  const state =
    x.state === 'idle' ? <Text dimColor>○ idle   </Text> : x.state === 'running' ? <Text {...c('cyan')}>● running</Text> : <Text {...c('yellow')}>◐ queued </Text>;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="truncate-end">
        <Text bold>{x.name.padEnd(width)}</Text>  {state}  <Text dimColor>{x.segment}</Text>
      </Text>
      {x.current !== undefined ? (
        <Text wrap="truncate-end">
          {pad}
          {progressText(x.current)} <Text dimColor>({x.current.reasons.join(', ')}, {duration(now - x.current.startedAt)})</Text>
          {x.state === 'queued' ? <Text {...c('yellow')}> · another run queued</Text> : null}
        </Text>
      ) : null}
      {x.lastRun !== undefined ? (
        <Text wrap="truncate-end">
          {pad}last {clockTime(x.lastRun.at, timeZone)}{' '}
          {x.lastRun.ok ? <Text {...c('green')}>✓</Text> : <Text {...c('red')}>✗</Text>} {lastRunText(x)}
        </Text>
      ) : null}
      {x.lastRun?.error?.hint !== undefined ? (
        <Text dimColor wrap="truncate-end">
          {pad}  hint: {x.lastRun.error.hint}
        </Text>
      ) : null}
      {x.schedule !== undefined ? (
        <Text wrap="truncate-end">
          {pad}next {x.nextRunAt != null ? `${clockTime(x.nextRunAt, timeZone)} (in ${duration(x.nextRunAt - now)})` : 'never'}{' '}
          <Text dimColor>
            {x.schedule} {x.timezone}
          </Text>
        </Text>
      ) : null}
    </Box>
  );
}

function progressText(r: NonNullable<ExportWatchStatus['current']>): string {
  if (r.phase === 'applying') return `applying ${r.done}/${r.total ?? '?'}`;
  if (r.reading === undefined) return 'planning';
  const what = r.reading.phase === 'list' ? 'reading the list' : r.reading.phase === 'lookup' ? 'looking up newcomers' : 'reading the segment';
  return `${what} ${r.reading.done}${r.reading.total !== undefined ? `/${r.reading.total}` : ''}`;
}

function lastRunText(x: ExportWatchStatus): string {
  const l = x.lastRun;
  if (l === undefined) return '';
  if (l.error !== undefined) return `${l.error.message}${errorLocation(l.error) !== undefined ? ` (${errorLocation(l.error)})` : ''} after ${duration(l.durationMs)}`;
  const counts = l.counts !== undefined ? countsText(l.counts) : '';
  const applied = l.applied !== undefined ? `; ${num(l.applied)} applied${l.failed ? `, ${num(l.failed)} failed` : ''}` : '';
  return `${counts}${applied} in ${duration(l.durationMs)}`;
}
