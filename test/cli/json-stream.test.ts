/**
 * `--json` streams as a consumer reads them (issue 16, item 5): segment progress counts the rows read (skipped
 * ones too), and a plan is sent once: in its plan:done line, the result carrying only its counts.
 */
import { describe, expect, it } from 'vitest';
import { expectValidEvents } from '../helpers/events-schema.ts';
import { csv, withEmulatorWorkspace } from '../helpers/workspace.ts';

const setup = withEmulatorWorkspace();

type Counts = Record<string, number>;
type ResultLine = { type: 'result'; result: { exports: Array<{ export: string; plan?: { counts: Counts }; counts?: Counts }> } };

async function segmentWithSkips(): Promise<void> {
  const { ws } = setup;
  await ws.write(
    'seg.csv',
    csv([
      ['ana@contoso.example', 'Ana'],
      ['ben@contoso.example', 'Ben'],
      ['not-an-email', 'Bad'],
      ['', 'Nobody'],
      ['ana@contoso.example', 'Ana again'],
    ]),
  );
  await ws.config([{ segment: 'seg.csv', fields: false }]);
}

describe('plan --json', () => {
  it('counts segment progress in rows read, skipped rows included, ending where the source says it read', async () => {
    await segmentWithSkips();
    const r = await setup.ws.cli(['plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = expectValidEvents(r.stdout);
    const progress = events.filter((e) => e.type === 'plan:progress' && e['phase'] === 'segment').map((e) => e['done'] as number);
    expect(progress.length).toBeGreaterThan(0);
    const done = events.find((e) => e.type === 'plan:done') as { plan: { source: { rowsRead: number }; counts: Counts } } | undefined;
    expect(done?.plan.source.rowsRead).toBe(5);
    // 5 rows read; 3 of them with a valid email (one a duplicate): the progress used to end at 3.
    expect(progress.at(-1)).toBe(5);
  });

  it('sends each plan once: plan:done has it, the result its counts', async () => {
    await segmentWithSkips();
    const r = await setup.ws.cli(['plan', '--json', '--no-mask-emails']);
    const events = expectValidEvents(r.stdout);
    const plans = events.filter((e) => e.type === 'plan:done') as unknown as Array<{ plan: { counts: Counts } }>;
    expect(plans).toHaveLength(1);
    const result = events.at(-1) as unknown as ResultLine;
    expect(result.type).toBe('result');
    const [only] = result.result.exports;
    expect(only?.plan).toBeUndefined();
    expect(only?.counts).toEqual(plans[0]?.plan.counts);
    expect(only?.counts).toMatchObject({ create: 2, skip: 3 });
    // The changes are in the stream once: a contact of the plan appears in the plan:done line only.
    const lines = r.stdout.split('\n').filter((l) => l.includes('ben@contoso.example'));
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['plan:done']);
  });

  it('apply of a saved plan: the plan once too, and the result with its counts', async () => {
    await segmentWithSkips();
    expect((await setup.ws.cli(['plan', '--out', 'plan.json'])).code).toBe(0);
    const r = await setup.ws.cli(['apply', 'plan.json', '--json', '--no-mask-emails']);
    expect(r.code, r.stderr).toBe(0);
    const events = expectValidEvents(r.stdout);
    const withPlan = events.filter((e) => e.type === 'plan:done' || (e.type === 'result' && JSON.stringify(e).includes('"changes"')));
    expect(withPlan.map((e) => e.type)).toEqual(['plan:done']);
    const result = events.at(-1) as unknown as ResultLine;
    expect(result.result.exports[0]?.counts).toMatchObject({ create: 2 });
  });
});
