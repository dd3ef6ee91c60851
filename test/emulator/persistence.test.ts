import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.ts';
import { KEY, start } from './helpers.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acsync-emulator-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('keeps state and id counters across a restart', async () => {
    const file = join(dir, 'state', 'emulator.json');
    const a = await start({ dataFile: file, seedLists: 1, seedFields: ['TIER'] });
    a.e.seed({ contacts: [{ email: 'a@example.com', firstName: 'Ann', lists: { '1': 2 }, fields: { TIER: 'Gold' }, tags: ['vip'] }] });
    const q = await a.post('/api/3/import/bulk_import', { contacts: [{ email: 'b@example.com', subscribe: [{ listid: 1 }] }, { email: 'c@example.com' }] });
    const before = (await a.hook('GET', 'state')).body;
    await a.e.stop();

    const b = await start({ dataFile: file, seedLists: 1, seedFields: ['TIER'] });
    try {
      expect((await b.hook('GET', 'state')).body).toEqual(before);
      expect((await b.get(`/api/3/import/info?batchId=${q.body.batchId}`)).body).toEqual({ status: 'completed', success: ['2', '3'], failure: [] });
      expect((await b.get('/api/3/contacts?listid=1&status=2')).body.contacts[0]).toMatchObject({ email: 'a@example.com' });
      expect((await b.post('/api/3/contacts', { contact: { email: 'd@example.com' } })).body.contact.id).toBe('4');
    } finally {
      await b.e.stop();
    }
  });

  it('saves on its own shortly after a change, leaving no temp file behind', async () => {
    const file = join(dir, 'emulator.json');
    const a = await start({ dataFile: file, seedLists: 1 });
    try {
      await a.post('/api/3/contacts', { contact: { email: 'a@example.com' } });
      await new Promise((r) => setTimeout(r, 1400));
      const text = await readFile(file, 'utf8');
      expect(text).toContain('a@example.com');
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(dir)).toEqual(['emulator.json']);
    } finally {
      await a.e.stop();
    }
  });

  it('refuses a damaged data file, naming the file and line', async () => {
    const file = join(dir, 'emulator.json');
    await writeFile(file, '{"format":"acsync-emulator/1","counters":{},"lists":[],"fields":[],"fieldRels":[],"tags":[],"batches":[]}\n{oops\n');
    await expect(startEmulator({ port: 0, dataFile: file })).rejects.toThrow(`${file}:2: not valid JSON`);
    await writeFile(file, '{"hello":1}\n');
    await expect(startEmulator({ port: 0, dataFile: file })).rejects.toThrow(/:1: not an emulator data file/);
  });
});

describe('acsync emulator (subprocess)', () => {
  it('prints the hostname, key and a connection snippet, and saves on SIGTERM', async () => {
    const file = join(dir, 'cli.json');
    const child = spawn(process.execPath, ['bin/acsync.js', 'emulator', '--port', '0', '--api-key', KEY, '--data', file, '--seed-lists', '2'], {
      env: { ...process.env, CI: 'true' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
      child.stdout.on('data', () => {
        if (out.includes('Ctrl-C')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const hostname = /hostname: (127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(hostname).toBeDefined();
    expect(out).toContain(`api key:  ${KEY}`);
    expect(out).toContain('apiKey: ${AC_API_KEY}');
    const r = await fetch(`http://${hostname}/api/3/lists`, { headers: { 'Api-Token': KEY } });
    expect(((await r.json()) as { meta: { total: string } }).meta.total).toBe('2');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('"List 2"');
  });

  it('explains a bad flag and exits 1', async () => {
    const child = spawn(process.execPath, ['bin/acsync.js', 'emulator', '--rate-limit', 'fast']);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1);
    expect(err).toContain('--rate-limit needs a whole number >= 0, got "fast"');
  });
});
