/** examples/warehouse works from the CLI as the README says; `acsync init` keeps customer data out of Git. */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { fastEmulator, listMembers, unwrapped, Workspace } from '../helpers/workspace.ts';


let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await fastEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

describe('examples/warehouse', { timeout: 120_000 }, () => {
  it('plans, applies and then plans no changes against the emulator (Parquet glob + a DuckDB query)', async () => {
    const ws = await Workspace.create(emulator);
    try {
      await cp(path.resolve('examples/warehouse'), ws.dir, { recursive: true });
      const yaml = path.join(ws.dir, 'acsync.yaml');
      await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('hostname: 127.0.0.1:4010', `hostname: ${emulator.hostname}`));
      const plan = await ws.cli(['plan']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(unwrapped(plan.stdout)).toMatch(/all-profiles[\s\S]*segment: duckdb, 2 files \(lake\/profiles\/part-00001\.parquet, lake\/profiles\/part-00002\.parquet\), 200 rows read[\s\S]*create 200/);
      expect(plan.stdout).toMatch(/churn-risk[\s\S]*segment: duckdb, query [0-9a-f]{16}/);
      const apply = await ws.cli(['apply', '--auto-approve']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      expect(await listMembers(emulator, 1)).toHaveLength(200);
      const churn = (await listMembers(emulator, 2)).length;
      expect(churn).toBeGreaterThan(10);
      expect(churn).toBeLessThan(100);
      expect((await ws.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await ws.dispose();
    }
  });
});

describe('acsync init', () => {
  it('writes a .gitignore for segment data and .acsync/, and leaves an existing one alone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-init-'));
    const ws = new Workspace(dir, emulator);
    try {
      const r = await ws.cli(['init', '--dir', 'a']);
      expect(r.code, r.stderr).toBe(0);
      const ignore = await readFile(path.join(dir, 'a', '.gitignore'), 'utf8');
      for (const line of ['segments/', 'lake/', '*.parquet', '.acsync/', 'plan.json']) expect(ignore.split('\n')).toContain(line);
      await mkdir(path.join(dir, 'b'));
      await writeFile(path.join(dir, 'b', '.gitignore'), 'node_modules/\n');
      const again = await ws.cli(['init', '--dir', 'b']);
      expect(again.code, again.stderr).toBe(0);
      expect(await readFile(path.join(dir, 'b', '.gitignore'), 'utf8')).toBe('node_modules/\n');
      expect(again.stdout).toContain('add segments/, lake/ and .acsync/ to it');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
