/**
 * A server that echoes the API key back (issue 13, items 6 and 7): in a bulk-import refusal's message and
 * reasons, in an unknown batch status, raw, URL-encoded, base64 and hex. None of it reaches stdout, stderr,
 * --json events or the GitHub step summary. A hostile front over loopback (test/corpus/broken-activecampaign.ts)
 * in front of the emulator, and the real CLI.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { secretForms } from '../../engine/secrets.ts';
import { startBrokenActiveCampaign, type Breaker, type BrokenServer } from '../corpus/broken-activecampaign.ts';
import { csv, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const KEY = 'echo-key-9f8e7d6c5b4a3210-acsync';
const ENCODED = [KEY, encodeURIComponent(`k=${KEY}&x=1`), Buffer.from(`Api-Token: ${KEY}`).toString('base64'), Buffer.from(KEY).toString('hex')];

let emulator: EmulatorHandle;
let ws: Workspace;
let front: BrokenServer | undefined;

const setup = withEmulatorWorkspace({ apiKey: KEY });
beforeEach(async () => {
  ({ emulator, ws } = setup);
  const rows = Array.from({ length: 12 }, (_, i) => [`p${i}@contoso.example`, `P${i}`] as [string, string]);
  await ws.write('seg.csv', csv(rows));
});
afterEach(async () => {
  await front?.close();
  front = undefined;
});

async function through(breaker: Breaker): Promise<string> {
  front = await startBrokenActiveCampaign(emulator, breaker);
  await ws.config([{ segment: 'seg.csv' }]);
  const text = await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8');
  await ws.write('acsync.yaml', text.replace(/hostname: .*/, `hostname: ${front.hostname}`));
  const summary = path.join(ws.dir, 'summary.md');
  const out: string[] = [];
  for (const args of [['apply', '--auto-approve'], ['apply', '--auto-approve', '--json', '--no-mask-emails']]) {
    out.push(await run(args, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }));
  }
  out.push(await readFile(summary, 'utf8').catch(() => ''));
  return out.join('\n');
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await ws.cli(args, { env });
  return r.stdout + r.stderr;
}

function expectNoKey(text: string): void {
  for (const form of [...ENCODED, ...secretForms(KEY)]) expect(text, `output shows the key as ${form}`).not.toContain(form);
}

describe('remote text that echoes the key is scrubbed', { timeout: 90_000 }, () => {
  it('in a bulk-import refusal (message and failure reasons)', async () => {
    const body = JSON.stringify({
      success: 0,
      message: `JSON payload did not pass validation for token ${ENCODED.join(' ')}`,
      failureReasons: [
        { contact: 0, failureReason: `Field 'email' incorrect format (token ${KEY})` },
        { contact: 1, failureReason: `bad ${ENCODED[2]}` },
      ],
    });
    const out = await through((method, p) => (method === 'POST' && p === '/api/3/import/bulk_import' ? { status: 400, headers: { 'content-type': 'application/json' }, body } : undefined));
    expect(out).toContain('[redacted]');
    expectNoKey(out);
  });

  it('in an unknown batch status', async () => {
    const out = await through((method, p) =>
      method === 'GET' && p === '/api/3/import/info' ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: `weird-${KEY}`, success: [], failure: [] }) } : undefined,
    );
    expect(out).toContain('unknown batch status');
    expectNoKey(out);
  });

  it('in an error page quoting the request headers', async () => {
    const out = await through((method, p) =>
      method === 'GET' && p.startsWith('/api/3/lists/') ? { status: 500, headers: { 'content-type': 'text/plain' }, body: `upstream failed; request was GET ${p} Api-Token: ${KEY} (${ENCODED[2]}) ${ENCODED[1]}` } : undefined,
    );
    expectNoKey(out);
  });
});
