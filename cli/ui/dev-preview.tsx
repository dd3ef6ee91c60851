/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * Dev preview of the terminal UI with made-up events, no network:
 *   node --import tsx cli/ui/dev-preview.tsx [plan|apply] [--ask] [--mask] [--lines] [--json] [--fast]
 * Run it in a real terminal (or tmux) to see the Ink views; --lines/--json show the other reporters.
 */
import type { EngineEvent } from '../../engine/events.ts';
import { emptyCounts, type Change, type ExportPlan, type RunResult } from '../../engine/model.ts';
import { confirm, createReporter } from '../report/reporter.ts';

const args = process.argv.slice(2);
const mode = args.includes('apply') ? 'apply' : 'plan';
const kind = args.includes('--json') ? 'json' : args.includes('--lines') ? 'lines' : 'ink';
const speed = args.includes('--fast') ? 0.1 : 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms * speed));

function plan(name: string, listId: string, n: { create: number; update: number; unsub: number; skip: number; noop: number }): ExportPlan {
  const changes: Change[] = [];
  const first = ['Anna', 'Bo', 'Carl', 'Dana', 'Erik', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jon'];
  for (let i = 0; i < n.create; i++) {
    const fn = first[i % first.length] ?? 'X';
    const email = `${fn.toLowerCase()}.${i}@contoso.example`;
    changes.push({ action: 'create', email, key: email, row: i + 2, after: { email, firstName: fn, lastName: 'Lind' } });
  }
  for (let i = 0; i < n.update; i++) {
    const email = `member${i}@fabrikam.example`;
    changes.push({
      action: 'update',
      email,
      key: email,
      contactId: String(100 + i),
      fieldChanges: [
        { field: 'firstName', before: 'Karl', after: 'Carl' },
        { field: 'LOYALTY_TIER', before: 'silver member', after: 'gold member' },
      ],
    });
  }
  changes.push({ action: 'resubscribe', email: 'erik@contoso.example', key: 'erik@contoso.example', reason: 'unsubscribed by acsync earlier, back in the segment' });
  for (let i = 0; i < n.unsub; i++) changes.push({ action: 'unsubscribe', email: `gone${i}@contoso.example`, key: `gone${i}@contoso.example`, reason: 'left the segment' });
  for (let i = 0; i < n.skip; i++)
    changes.push(
      i % 2 === 0
        ? { action: 'skip', email: `opted.out${i}@contoso.example`, key: `opted.out${i}@contoso.example`, row: 40 + i, reasonCode: 'unsubscribed-in-activecampaign', reason: 'unsubscribed in ActiveCampaign' }
        : { action: 'skip', email: 'not-an-email', key: 'not-an-email', row: 40 + i, reasonCode: 'invalid-email', reason: 'invalid email' },
    );
  const counts = emptyCounts();
  for (const c of changes) counts[c.action]++;
  counts.noop = n.noop;
  return { export: name, connection: 'contoso', listId, changes, counts };
}

const plans = [plan('vip-customers', '3', { create: 24, update: 2, unsub: 1, skip: 3, noop: 1180 }), plan('lapsed-buyers', '7', { create: 3, update: 0, unsub: 0, skip: 0, noop: 54 })];

const reporter = createReporter(kind, {
  mode,
  color: !args.includes('--no-color'),
  maskEmails: args.includes('--mask'),
  full: false,
  stdout: process.stdout,
  stderr: process.stderr,
  heartbeatMs: 2_000,
  connectionNames: { contoso: 'Contoso Marketing' },
});
const emit = (e: EngineEvent) => reporter.event(e);

for (const p of plans) emit({ type: 'plan:start', export: p.export, connection: p.connection, listId: p.listId });
for (let done = 0; done <= 1200; done += 100) {
  emit({ type: 'plan:progress', export: 'vip-customers', phase: 'list', done, total: 1200 });
  if (done <= 600) emit({ type: 'plan:progress', export: 'lapsed-buyers', phase: 'segment', done: done / 10 });
  await sleep(120);
}
for (const p of plans) emit({ type: 'plan:done', export: p.export, plan: p });
await sleep(300);

const startedAt = Date.now();
if (mode === 'apply') {
  if (args.includes('--ask')) {
    const yes = await confirm('Apply these changes to ActiveCampaign?', { stdin: process.stdin, stdout: process.stderr });
    if (!yes) {
      await reporter.close();
      process.stderr.write('cancelled; nothing was applied.\n');
      process.exit(1);
    }
  }
  const work = plans.map((p) => ({ p, todo: p.changes.filter((c) => c.action !== 'skip') }));
  for (const { p, todo } of work) emit({ type: 'apply:start', export: p.export, total: todo.length });
  let batch = 0;
  for (let round = 0; work.some((w) => w.todo.length > 0); round++) {
    for (const w of work) {
      const chunk = w.todo.splice(0, 3);
      if (chunk.length === 0) continue;
      const id = String(++batch);
      emit({ type: 'request:sent', connection: 'contoso', kind: 'bulk_import' });
      emit({ type: 'batch:sent', export: w.p.export, kind: 'bulk_import', id, contacts: chunk.length });
      await sleep(250);
      emit({ type: 'request:sent', connection: 'contoso', kind: 'bulk_status' });
      let failed = 0;
      for (const c of chunk) {
        if (c.email.startsWith('anna.10')) {
          failed++;
          emit({ type: 'change:failed', export: w.p.export, email: c.email, action: c.action, reason: 'ActiveCampaign: email domain rejected' });
        } else emit({ type: 'change:applied', export: w.p.export, change: c });
      }
      emit({ type: 'batch:done', export: w.p.export, kind: 'bulk_import', id, contacts: chunk.length, succeeded: chunk.length - failed, failed });
      if (w.todo.length === 0) {
        const f = w.p.export === 'vip-customers' ? 1 : 0;
        const total = w.p.changes.filter((c) => c.action !== 'skip').length;
        emit({ type: 'apply:summary', export: w.p.export, applied: total - f, failed: f, counts: w.p.counts, durationMs: Date.now() - startedAt, requests: { bulk_import: 4 } });
      }
    }
    if (round === 2) emit({ type: 'ratelimit:wait', connection: 'contoso', ms: 1_500, reason: 'retry-after' });
  }
}

const result: RunResult =
  mode === 'plan'
    ? { mode, ok: true, changesPending: true, exports: plans.map((p) => ({ export: p.export, connection: p.connection, listId: p.listId, plan: p, durationMs: 1_400 })) }
    : {
        mode,
        ok: false,
        changesPending: true,
        exports: plans.map((p) => {
          const f = p.export === 'vip-customers' ? [{ email: 'anna.10@contoso.example', action: 'create' as const, reason: 'ActiveCampaign: email domain rejected' }] : [];
          const total = p.changes.filter((c) => c.action !== 'skip').length;
          return { export: p.export, connection: p.connection, listId: p.listId, plan: p, applied: total - f.length, failed: f.length, failures: f, durationMs: Date.now() - startedAt };
        }),
      };
reporter.result(result);
await reporter.close();
