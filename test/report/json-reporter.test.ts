import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { EngineEvent } from '../../engine/events.ts';
import type { RunResult } from '../../engine/model.ts';
import { createReporter } from '../../cli/report/reporter.ts';
import { VIP_PLAN } from './sample-plans.ts';
import { Capture } from './streams.ts';
import { expectValidEvents } from '../helpers/events-schema.ts';

const DOC = readFileSync(new URL('../../cli/report/JSON-EVENTS.md', import.meta.url), 'utf8');
/** The event types the document defines (its `### \`type\`` headings). */
const DOCUMENTED = new Set([...DOC.matchAll(/^### (.+)$/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`([a-z:-]+)`/g)].map((x) => x[1])));

const EVENTS: EngineEvent[] = [
  { type: 'diagnostic', diagnostic: { severity: 'warning', file: 'acsync.yaml', line: 3, column: 5, path: 'exports.vip', message: 'm' } },
  { type: 'plan:start', export: 'vip-customers', connection: 'contoso', listId: '3' },
  { type: 'plan:progress', export: 'vip-customers', phase: 'list', done: 100, total: 200 },
  { type: 'plan:done', export: 'vip-customers', plan: VIP_PLAN },
  { type: 'apply:start', export: 'vip-customers', total: 6 },
  { type: 'request:sent', connection: 'contoso', kind: 'POST /import/bulk_import' },
  { type: 'batch:sent', export: 'vip-customers', kind: 'bulk_import', id: '1', contacts: 6 },
  { type: 'ratelimit:wait', connection: 'contoso', ms: 1000, reason: 'retry-after' },
  { type: 'request:retry', connection: 'contoso', method: 'POST', path: '/api/3/import/bulk_import', status: 502, attempt: 2, delayMs: 500 },
  { type: 'change:applied', export: 'vip-customers', change: VIP_PLAN.changes[0]! },
  { type: 'change:failed', export: 'vip-customers', email: 'bo.berg@contoso.example', action: 'create', reason: 'rejected' },
  { type: 'batch:done', export: 'vip-customers', kind: 'bulk_import', id: '1', contacts: 6, succeeded: 5, failed: 1 },
  {
    type: 'apply:summary',
    export: 'vip-customers',
    applied: 5,
    failed: 1,
    counts: VIP_PLAN.counts,
    durationMs: 900,
    requests: { 'POST /import/bulk_import': 1 },
  },
];
const RESULT: RunResult = {
  mode: 'apply',
  ok: false,
  changesPending: true,
  exports: [
    {
      export: 'vip-customers',
      connection: 'contoso',
      listId: '3',
      plan: VIP_PLAN,
      applied: 5,
      failed: 1,
      failures: [{ email: 'bo.berg@contoso.example', action: 'create', reason: 'rejected' }],
      durationMs: 900,
    },
  ],
};

async function run(maskEmails: boolean) {
  const stdout = new Capture();
  const stderr = new Capture();
  const reporter = createReporter('json', { mode: 'apply', color: true, maskEmails, full: false, stdout, stderr, env: {} });
  for (const e of EVENTS) reporter.event(e);
  reporter.result(RESULT);
  await reporter.close();
  return { stdout, stderr };
}

describe('JSON reporter', () => {
  it('writes one parseable object per line, each of a documented type, the result last', async () => {
    const { stdout, stderr } = await run(false);
    const objects = stdout.lines().map((l) => JSON.parse(l) as { type: string });
    expectValidEvents(objects);
    expectValidEvents((await run(true)).stdout.text);
    expect(objects.map((o) => o.type)).toEqual([...EVENTS.map((e) => e.type), 'result']);
    for (const o of objects) expect(DOCUMENTED, `${o.type} is not in JSON-EVENTS.md`).toContain(o.type);
    // The plan went out in plan:done: the result has its counts, not the plan a second time.
    const { plan, ...rest } = RESULT.exports[0]!;
    expect(objects[objects.length - 1]).toEqual({ type: 'result', result: { ...RESULT, exports: [{ ...rest, counts: plan!.counts }] } });
    expect(stderr.text).toBe('');
    expect(stdout.text).not.toContain('\u001b[');
  });

  it('documents every event type of the engine, of watch mode, and the result; nothing else', () => {
    // Read from the contracts themselves, so a new event kind without documentation fails here.
    const typesIn = (file: string, union: string) => {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      // The union runs from `export type <union> =` to the next export.
      const start = source.indexOf(`export type ${union} =`);
      expect(start, `${union} in ${file}`).toBeGreaterThanOrEqual(0);
      const end = source.indexOf('\nexport ', start + 1);
      const body = source.slice(start, end < 0 ? undefined : end);
      return [...body.matchAll(/type: '([a-z:-]+)'/g)].map((m) => m[1]);
    };
    const engineTypes = typesIn('../../engine/events.ts', 'EngineEvent');
    const watchTypes = typesIn('../../engine/watch/events.ts', 'WatchEvent');
    expect(engineTypes.length).toBeGreaterThanOrEqual(13);
    expect(watchTypes.length).toBeGreaterThanOrEqual(11);
    for (const t of watchTypes) expect(t).toMatch(/^watch:/);
    expect([...DOCUMENTED].sort()).toEqual([...engineTypes, ...watchTypes, 'result'].sort());
  });

  it('the watch events are documented under their own heading, after the engine events', () => {
    const watchSection = DOC.slice(DOC.indexOf('## Watch events'));
    expect(DOC.indexOf('## Watch events')).toBeGreaterThan(DOC.indexOf('### `result`'));
    for (const t of [...DOCUMENTED].filter((t) => t?.startsWith('watch:'))) expect(watchSection).toContain(`### \`${t}\``);
  });

  it('keeps full emails only when masking is off', async () => {
    const full = (await run(false)).stdout.text;
    expect(full).toContain('anna@contoso.example');
    const masked = (await run(true)).stdout.text;
    expect(masked).not.toMatch(/[a-z.]{2,}@contoso\.example/);
    expect(masked).toContain('"email":"a***@contoso.example"');
  });

  it('every example in the document is one valid JSON object with a documented type', () => {
    const blocks = [...DOC.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').trim().split('\n'));
    expect(blocks.length).toBeGreaterThanOrEqual(26);
    for (const line of blocks) expect(DOCUMENTED).toContain((JSON.parse(line) as { type: string }).type);
    // ...and each example is valid against the published schema.
    expectValidEvents(blocks.join('\n'));
  });
});
