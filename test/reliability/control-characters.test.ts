/**
 * Control characters from data are never printed raw (issue 13, item 5): a crafted row can otherwise move the
 * cursor and erase the plan's unsubscribe lines when a CI log or piped output is replayed in a terminal. The real
 * CLI in CI mode (output to pipes) against the emulator; and the escaping itself.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { printable, printableOutput } from '../../cli/report/printable.ts';
import { csv, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const ERASE = '\u001b[1A\u001b[2K\r';

let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ ws } = setup);
});

/** The real CLI as a subprocess, CI=true (test/helpers/workspace.ts): what it printed, both streams. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await ws.cli(args, { env });
  return r.stdout + r.stderr;
}

describe('control characters in data', { timeout: 60_000 }, () => {
  it('an invalid email, a name and a reason holding ESC sequences are printed escaped, in plain and in GitHub output', async () => {
    await ws.write(
      'seg.csv',
      csv([
        [`evil${ERASE}@contoso.example`, 'Evil'],
        ['ana@contoso.example', `Ana${ERASE}`],
        ['ben@contoso.example', 'Ben\u202eolleh'],
      ]),
    );
    await ws.config([{ segment: 'seg.csv', fields: false }]);
    for (const env of [{}, { GITHUB_ACTIONS: 'true' }, { FORCE_COLOR: '1', NO_COLOR: '' }]) {
      const out = await cli(['plan', '--no-mask-emails'], env);
      expect(out).toContain('evil\\u001b[1A\\u001b[2K\\u000d@contoso.example');
      expect(out).toContain('Ana\\u001b[1A\\u001b[2K'); // the trailing CR is trimmed away as whitespace
      expect(out).toContain('Ben\\u202eolleh');
      // Nothing that moves the cursor or erases: only colour sequences may be left.
      expect(out.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u001b\r\u202e]/);
    }
  });
});

describe('printable', () => {
  it.each([
    ['plain', 'Ana', 'Ana'],
    ['ESC', 'a\u001b[2Jb', 'a\\u001b[2Jb'],
    ['newline in a value', 'a\nb', 'a\\u000ab'],
    ['bidi override', 'a\u202eb', 'a\\u202eb'],
    ['C1 CSI', 'a\u009bb', 'a\\u009bb'],
  ])('%s', (_n, value, shown) => {
    expect(printable(value)).toBe(shown);
  });

  it('keeps line breaks and colour in output, escapes the rest', () => {
    expect(printableOutput('\u001b[31mred\u001b[39m\nnext\u001b[1A\r')).toBe('\u001b[31mred\u001b[39m\nnext\\u001b[1A\\u000d');
  });
});
