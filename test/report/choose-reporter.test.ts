import { describe, expect, it } from 'vitest';
import { chooseReporterKind } from '../../cli/report/reporter.ts';

describe('chooseReporterKind', () => {
  it.each([
    [{ json: true, stderrIsTTY: true, env: {} }, 'json'],
    [{ json: false, stderrIsTTY: true, env: {} }, 'ink'],
    [{ json: false, stderrIsTTY: false, env: {} }, 'lines'],
    [{ json: false, stderrIsTTY: true, env: { CI: 'true' } }, 'lines'],
    // Ink itself treats an empty CI as CI (is-in-ci): it would draw nothing until the end.
    [{ json: false, stderrIsTTY: true, env: { CI: '' } }, 'lines'],
    [{ json: false, stderrIsTTY: true, env: { CI: 'false' } }, 'ink'],
    [{ json: false, stderrIsTTY: true, env: { CI: '0' } }, 'ink'],
    [{ json: false, stderrIsTTY: true, env: { TERM: 'dumb' } }, 'lines'],
  ] as const)('%j → %s', (input, expected) => {
    expect(chooseReporterKind({ ...input, env: { ...input.env } })).toBe(expected);
  });
});
