/** Customer Insights' data-lake output (CDM folders) as segments, through the real CLI against the emulator. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { listMembers, unwrapped, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';
import { writeManifestFolder, writeModelJsonFolder } from './cdm-fixture.ts';
import { writeConfig } from './helpers.ts';

let emulator: EmulatorHandle;
let ws: Workspace;
const CDM_MAPPING = ['      email: EmailAddress', '      firstName: FirstName', '      lastName: LastName', '      fields:', '        LOYALTY_TIER: Tier'];

const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

describe('CDM folders', { timeout: 120_000 }, () => {
  it('model.json with headerless CSV partitions: columns from the metadata, partitions found by their lake path', async () => {
    await writeModelJsonFolder(ws, 'lake/ci-export', [
      ['c-1', 'ana@contoso.example', 'Ana', 'Silva', 'Gold'],
      ['c-2', 'ben@contoso.example', 'Ben, "B"', '', 'Silver'],
      ['c-3', '', 'Nobody', '', ''],
    ]);
    await writeConfig(ws, [{ name: 'vip', segment: 'lake/ci-export', listId: 1, mapping: CDM_MAPPING }]);
    const plan = await ws.cli(['plan', '--no-mask-emails']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(unwrapped(plan.stdout)).toMatch(/segment: duckdb, 3 files \(lake\/ci-export\/model\.json, lake\/ci-export\/VipCustomers\/VipCustomers\/part-00000-7f3c\.csv, …\), 3 rows read/);
    expect(plan.stdout).toMatch(/row 3 +\(no email\) +no email/);
    const apply = await ws.cli(['apply', '--auto-approve']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await listMembers(emulator, 1)).toMatchObject([
      { email: 'ana@contoso.example', firstName: 'Ana', lastName: 'Silva', fields: { LOYALTY_TIER: 'Gold' } },
      { email: 'ben@contoso.example', firstName: 'Ben, "B"', lastName: '', fields: { LOYALTY_TIER: 'Silver' } },
    ]);
    const again = await ws.cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('a manifest with a Parquet partition, named directly; a mapping to a name the metadata lacks is refused', async () => {
    await writeManifestFolder(ws, 'lake/ci-manifest', [['c-9', 'cy@contoso.example', 'Cy', 'Chen', 'Bronze']]);
    await writeConfig(ws, [{ name: 'vip', segment: 'lake/ci-manifest/default.manifest.cdm.json', listId: 1, mapping: CDM_MAPPING }]);
    const apply = await ws.cli(['apply', '--auto-approve']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await listMembers(emulator, 1)).toMatchObject([{ email: 'cy@contoso.example', firstName: 'Cy', fields: { LOYALTY_TIER: 'Bronze' } }]);

    await writeConfig(ws, [{ name: 'vip', segment: 'lake/ci-manifest', listId: 1, mapping: ['      email: Email'] }]);
    const bad = await ws.cli(['plan']);
    expect(bad.code).toBe(1);
    expect(unwrapped(bad.stdout + bad.stderr)).toMatch(/CDM entity 'VipCustomers' \(lake\/ci-manifest\/default\.manifest\.cdm\.json\) has no column Email \(mapping\.email\); it has 'CustomerId', 'EmailAddress'/);
  });

  it('a partition missing from the local copy is named, with what to copy', async () => {
    await writeModelJsonFolder(ws, 'lake/ci-export', [['c-1', 'ana@contoso.example', 'Ana', 'Silva', 'Gold']]);
    const { rm } = await import('node:fs/promises');
    await rm(`${ws.dir}/lake/ci-export/VipCustomers/VipCustomers/part-00001-7f3c.csv`);
    await writeConfig(ws, [{ name: 'vip', segment: 'lake/ci-export', listId: 1, mapping: CDM_MAPPING }]);
    const r = await ws.cli(['plan']);
    expect(r.code).toBe(1);
    expect(unwrapped(r.stdout + r.stderr)).toMatch(/partition https:\/\/contosolake\.dfs\.core\.windows\.net\/.*part-00001-7f3c\.csv of entity 'VipCustomers' is not in the folder/);
  });
});
