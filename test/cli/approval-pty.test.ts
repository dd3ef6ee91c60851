/**
 * `acsync apply` in a real terminal asks as Terraform does (issue 16, item 4): only "yes" and Enter approve; a
 * lone `y` never does and leaves nothing on the shell; Ctrl-C at the prompt exits 130 (issue 16, item 14). The
 * real CLI in a pseudo-terminal of 80 columns against the emulator.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { inPty, plain } from '../helpers/pty.ts';
import { csv, listMembers, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.write(
    'seg.csv',
    csv([
      ['ana@contoso.example', 'Ana'],
      ['ben@contoso.example', 'Ben'],
    ]),
  );
  await ws.config([{ segment: 'seg.csv', fields: false }]);
});

const PROMPT = "Only 'yes' will be accepted:";

describe('approval in a terminal', { timeout: 60_000 }, () => {
  it('"yes" and Enter apply', async () => {
    const r = await inPty(['apply'], { cwd: ws.dir, env: ws.env, script: [{ expect: PROMPT, send: 'yes\r' }] });
    expect(r.pending).toEqual([]);
    expect(r.code, plain(r.output)).toBe(0);
    expect(plain(r.output)).toMatch(/Apply these changes to ActiveCampaign\? yes/);
    expect(await listMembers(emulator, 1)).toHaveLength(2);
  });

  it('a lone "y" and Enter cancel; nothing is applied', async () => {
    const r = await inPty(['apply'], {
      cwd: ws.dir,
      env: ws.env,
      script: [
        { expect: PROMPT, send: 'y' },
        { send: '\r', delay: 0.5 },
      ],
    });
    expect(r.code).toBe(1);
    expect(plain(r.output)).toContain("cancelled (only 'yes' approves); nothing was applied");
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });

  it('Ctrl-C at the prompt exits 130 and applies nothing', async () => {
    const r = await inPty(['apply'], { cwd: ws.dir, env: ws.env, script: [{ expect: PROMPT, send: '\u0003' }] });
    expect(r.code).toBe(130);
    expect(plain(r.output)).toContain('interrupted; nothing was applied');
    expect(await listMembers(emulator, 1)).toHaveLength(0);
  });
});
