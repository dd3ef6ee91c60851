/**
 * Scale check (not part of the test run; it takes tens of seconds and ~1 GB):
 *   node --import tsx emulator/scale-check.ts [contacts=1000000]
 * Seeds N contacts on two lists with a field value and a tag, then reports heap use and the time of
 * 100-contact pages read by id_greater (with sideloads) near the start and near the end of the list.
 */
import { startEmulator } from './index.ts';

const n = Number(process.argv[2] ?? 1_000_000);
const e = await startEmulator({ port: 0, apiKey: 'scale', rateLimit: 1_000_000, seedLists: 2, seedFields: ['TIER'] });
const t0 = performance.now();
const chunk = 50_000;
for (let from = 0; from < n; from += chunk) {
  e.seed({
    contacts: Array.from({ length: Math.min(chunk, n - from) }, (_, k) => {
      const i = from + k;
      return {
        email: `user${i}@example.com`,
        firstName: `First${i}`,
        lastName: `Last${i}`,
        fields: { TIER: i % 2 === 0 ? 'Gold' : 'Silver' },
        lists: i % 10 === 0 ? { '1': 1 as const, '2': 1 as const } : { '1': (i % 7 === 0 ? 2 : 1) as 1 | 2 },
        tags: i % 100 === 0 ? ['vip'] : [],
      };
    }),
  });
}
const seedMs = performance.now() - t0;
globalThis.gc?.();
const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
const rssMb = process.memoryUsage().rss / 1024 / 1024;

async function pageMs(afterId: number): Promise<number> {
  const reps = 20;
  const t = performance.now();
  for (let r = 0; r < reps; r++) {
    const res = await fetch(`${e.url}/api/3/contacts?listid=1&status=-1&orders[id]=ASC&id_greater=${afterId}&limit=100&include=contactLists,fieldValues,contactTags`, {
      headers: { 'Api-Token': 'scale' },
    });
    const body = (await res.json()) as { contacts: unknown[] };
    if (body.contacts.length === 0) throw new Error('empty page');
  }
  return (performance.now() - t) / reps;
}
await pageMs(500); // warm-up: the first requests pay for JIT compilation
const near = await pageMs(100);
const deep = await pageMs(n - 1000);
async function offsetMs(offset: number): Promise<number> {
  const t = performance.now();
  await (await fetch(`${e.url}/api/3/contacts?listid=1&limit=100&offset=${offset}`, { headers: { 'Api-Token': 'scale' } })).json();
  return performance.now() - t;
}
const offNear = await offsetMs(100);
const offDeep = await offsetMs(n - 1000);
const filtered = performance.now();
await (await fetch(`${e.url}/api/3/contacts?listid=1&filters[updated_after]=2000-01-01&limit=100&id_greater=${n - 1000}`, { headers: { 'Api-Token': 'scale' } })).json();
const filteredMs = performance.now() - filtered;
process.stdout.write(
  [
    `contacts: ${n}, seeded in ${(seedMs / 1000).toFixed(1)} s`,
    `heap used: ${heapMb.toFixed(0)} MB, rss: ${rssMb.toFixed(0)} MB`,
    `page of 100 with sideloads by id_greater: near start ${near.toFixed(1)} ms, near end ${deep.toFixed(1)} ms`,
    `page of 100 by offset: near start ${offNear.toFixed(1)} ms, near end ${offDeep.toFixed(1)} ms`,
    `page with filters[updated_after] (scans the rest of the list): ${filteredMs.toFixed(1)} ms`,
    '',
  ].join('\n'),
);
await e.stop();

// Save and load time of a data file this size (the emulator saves at most once a second while busy).
const { mkdtemp, rm, stat } = await import('node:fs/promises');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { saveState, loadState } = await import('./persistence.ts');
const { Store } = await import('./store.ts');
const dir = await mkdtemp(join(tmpdir(), 'acsync-scale-'));
try {
  const file = join(dir, 'state.json');
  const big = new Store();
  big.createList('List 1');
  for (let i = 0; i < n; i++) big.setListStatus(big.createContact({ email: `user${i}@example.com`, firstName: `First${i}` }), big.lists.get(1)!, 1);
  let t = performance.now();
  await saveState(file, big, []);
  const saveMs = performance.now() - t;
  t = performance.now();
  await loadState(file, new Store());
  const loadMs = performance.now() - t;
  process.stdout.write(`data file: ${((await stat(file)).size / 1024 / 1024).toFixed(0)} MB, saved in ${(saveMs / 1000).toFixed(1)} s, loaded in ${(loadMs / 1000).toFixed(1)} s\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
