/**
 * The PostgreSQL the tests use: $ACSYNC_TEST_PG_URL (what .ci/run exports), else a throwaway cluster this process
 * starts with .ci/postgres.sh when the server binaries are installed. Without either, the tests skip when run by
 * hand and fail in CI, where they must run.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

export const HOW_TO_GET_POSTGRES =
  'PostgreSQL tests skipped: no PostgreSQL server binaries. Install them (Debian/Ubuntu: sudo apt-get install -y postgresql, or bash .ci/postgres.sh install as root) or set ACSYNC_TEST_PG_URL=postgres://user:password@host:port/db';

function hasServerBinaries(): boolean {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return false;
  return readdirSync(root).some((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
}

export const postgresAvailable = process.env['ACSYNC_TEST_PG_URL'] !== undefined || hasServerBinaries();

if (!postgresAvailable && process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false') {
  throw new Error(`CI is set but there is no PostgreSQL for the segment-source tests: .ci/run must install and start it. ${HOW_TO_GET_POSTGRES}`);
}
if (!postgresAvailable) console.warn(HOW_TO_GET_POSTGRES);

export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env['ACSYNC_TEST_PG_URL'];
  if (given !== undefined && given !== '') return { url: given, stop: async () => {} };
  const dir = path.join(os.tmpdir(), `acsync-test-pg-${process.pid}-${Date.now()}`);
  const { stdout } = await exec('bash', [path.resolve('.ci/postgres.sh'), 'start', dir]);
  return { url: stdout.trim(), stop: async () => void (await exec('bash', [path.resolve('.ci/postgres.sh'), 'stop', dir])) };
}
