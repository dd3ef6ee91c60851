/**
 * An export's error names its place once: `✗ customers: seg.csv:2: <what>`, not `seg.csv:2: <what> (seg.csv:2)`.
 * Segment errors carry their location in their message (as compilers print it) as well as in file and line.
 */
import { describe, expect, it } from 'vitest';
import type { ExportRunResult } from '../../engine/model.ts';
import { formatWatchLine } from '../../cli/report/watch-text.ts';
import { jsonResult, unwrapped, withEmulatorWorkspace } from '../helpers/workspace.ts';

const ctx = withEmulatorWorkspace();

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('an export error is located once', () => {
  it('a CSV error: seg.csv:2 appears once; --json keeps file and line', async () => {
    const { ws } = ctx;
    await ws.write('seg.csv', 'Email,First,Last,Phone,Tier\nana@contoso.example,"Ana\nbob@contoso.example,Bob\n');
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    const r = await ws.cli(['plan']);
    expect(r.code).toBe(1);
    expect(unwrapped(r.stderr + r.stdout)).toMatch(/✗ customers: seg\.csv:2: a quote opened in the record starting at line 2 is never closed( hint:|\n)/);
    expect(count(r.stderr + r.stdout, 'seg.csv:2')).toBe(1);
    const json = jsonResult<{ exports: ExportRunResult[] }>((await ws.cli(['plan', '--json'])).stdout);
    expect(json?.exports[0]?.error).toMatchObject({
      kind: 'user',
      message: 'seg.csv:2: a quote opened in the record starting at line 2 is never closed',
      file: 'seg.csv',
      line: 2,
    });
  });

  it('a query error located in the config: acsync.yaml:<line> appears once', async () => {
    const { ws } = ctx;
    await ws.config([{ segment: "{ query: 'select * from no_such_table' }", fields: false }]);
    const r = await ws.cli(['plan']);
    expect(r.code).toBe(1);
    const out = unwrapped(r.stderr + r.stdout);
    const at = /✗ customers: acsync\.yaml:(\d+): .*no_such_table/.exec(out);
    expect(at, out).not.toBeNull();
    expect(count(out, `acsync.yaml:${at?.[1]}`)).toBe(1);
  });

  it('in watch lines too: once when the message names it, after the message when it does not', () => {
    const failed = (error: { message: string; file?: string; line?: number }): string | undefined =>
      formatWatchLine({ type: 'watch:run-done', at: 0, export: 'customers', run: 2, ok: false, durationMs: 1_000, error: { kind: 'user', ...error } });
    expect(failed({ message: 'seg.csv:2: a quote is never closed', file: 'seg.csv', line: 2 })).toBe(
      'customers: run 2 failed after 1.0s: seg.csv:2: a quote is never closed',
    );
    expect(failed({ message: 'list 9 not found', file: 'acsync.yaml', line: 7 })).toBe('customers: run 2 failed after 1.0s: list 9 not found (acsync.yaml:7)');
  });
});
