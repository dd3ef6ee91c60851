import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keepHeapCompact } from '../../engine/heap.ts';

const execFileP = promisify(execFile);

describe('keepHeapCompact', () => {
  it('collects once garbage beyond the slack has piled up, and stops when told', async () => {
    const collections: Array<[number, number]> = [];
    const stop = keepHeapCompact({ slackBytes: 8 * 1024 * 1024, minHeapBytes: 0, everyMs: 5, onCollect: (b, a) => collections.push([b, a]) });
    try {
      // ~40 MB of short-lived arrays, kept alive for a moment as apply's batches are.
      for (let round = 0; round < 10 && collections.length < 2; round++) {
        let garbage: number[][] | undefined = Array.from({ length: 40 }, () => Array.from({ length: 50_000 }, (_, i) => i + round));
        await new Promise((r) => setTimeout(r, 20));
        expect(garbage.length).toBe(40);
        garbage = undefined;
      }
      expect(collections.length).toBeGreaterThanOrEqual(1);
      for (const [before, after] of collections) expect(after).toBeLessThan(before);
    } finally {
      stop();
    }
    const seen = collections.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(collections.length).toBe(seen);
  });

  it('does nothing while the heap is under its floor', async () => {
    const collections: number[] = [];
    const stop = keepHeapCompact({ minHeapBytes: Number.MAX_SAFE_INTEGER, everyMs: 5, onCollect: (b) => collections.push(b) });
    await new Promise((r) => setTimeout(r, 40));
    stop();
    expect(collections).toEqual([]);
  });

  it('reaches V8\'s full collection in a process started without --expose-gc (as bin/acsync.js starts apply)', async () => {
    // A fresh node (the suite's workers run with --expose-gc): garbage made, then collected by what fullGc found.
    const script = [
      "const { fullGc } = await import('./engine/heap.ts');",
      'const before = typeof globalThis.gc;',
      'const gc = fullGc();',
      'let junk = Array.from({ length: 200 }, () => new Array(10000).fill(1));',
      'junk = undefined;',
      'const used = process.memoryUsage().heapUsed;',
      'gc();',
      'console.log(JSON.stringify({ before, found: typeof gc, freed: used - process.memoryUsage().heapUsed }));',
    ].join('\n');
    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
    const r = JSON.parse(stdout) as { before: string; found: string; freed: number };
    expect(r.before).toBe('undefined');
    expect(r.found).toBe('function');
    // About 16 MB of arrays were garbage: a full collection frees most of it.
    expect(r.freed).toBeGreaterThan(8 * 1024 * 1024);
  });
});
