/**
 * Hostile servers through the real CLI (issue 13, items 9 and 12): a 429 asking to wait ~31 years fails that export
 * at once with a clear message (no TimeoutOverflowWarning flood, nothing written); a server that keeps sending
 * pages past the total it announced is stopped with an error. A hostile front over loopback before the emulator.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { startBrokenActiveCampaign, type Breaker, type BrokenServer } from '../corpus/broken-activecampaign.ts';
import { csv, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

let emulator: EmulatorHandle;
let ws: Workspace;
let front: BrokenServer | undefined;

const setup = withEmulatorWorkspace();
beforeEach(async () => {
  ({ emulator, ws } = setup);
  await ws.write('seg.csv', csv([['ana@contoso.example', 'Ana']]));
});
afterEach(async () => {
  await front?.close();
  front = undefined;
});

async function through(breaker: Breaker, args: string[]): Promise<{ code: number; out: string; ms: number }> {
  front = await startBrokenActiveCampaign(emulator, breaker);
  await ws.config([{ segment: 'seg.csv', fields: false }]);
  const text = await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8');
  await ws.write('acsync.yaml', text.replace(/hostname: .*/, `hostname: ${front.hostname}`));
  const started = Date.now();
  const r = await ws.cli(args, { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout + r.stderr, ms: Date.now() - started };
}

describe('hostile servers, through the CLI', { timeout: 90_000 }, () => {
  it('a Retry-After of 999999999 s fails the export at once, says so, and prints no timer warnings', async () => {
    const r = await through(
      (_m, p) => (p.startsWith('/api/3/lists/') ? { status: 429, headers: { 'retry-after': '999999999', 'content-type': 'application/json' }, body: '{}' } : undefined),
      ['apply', '--auto-approve'],
    );
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.out).toMatch(/Retry-After|rate limit/i);
    expect(r.out).not.toContain('TimeoutOverflowWarning');
    expect(Object.keys(emulator.stats().byEndpoint).filter((k) => !k.startsWith('GET '))).toEqual([]);
  });

  it('pages past the announced total stop the read with an error; nothing is written', async () => {
    // Every page claims a total of 1 and answers 100 contacts again and again (id_greater ignored).
    const page = JSON.stringify({
      contacts: Array.from({ length: 100 }, (_, i) => ({ id: String(i + 1), email: `p${i}@contoso.example`, firstName: '', lastName: '', phone: '' })),
      contactLists: Array.from({ length: 100 }, (_, i) => ({ contact: String(i + 1), list: '1', status: '1' })),
      meta: { total: '1' },
    });
    let n = 0;
    const r = await through(
      (m, p) => {
        if (m !== 'GET' || p !== '/api/3/contacts') return undefined;
        n++;
        return { status: 200, headers: { 'content-type': 'application/json' }, body: page.replace(/"(id|contact)":"(\d+)"/g, (_x, k: string, d: string) => `"${k}":"${Number(d) + (n - 1) * 100}"`) };
      },
      ['apply', '--auto-approve'],
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/meta\.total|past|announced/i);
    expect(n).toBeLessThan(50);
    expect(Object.keys(emulator.stats().byEndpoint).filter((k) => !k.startsWith('GET '))).toEqual([]);
  });
});
