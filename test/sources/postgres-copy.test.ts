/**
 * The COPY reader (engine/segment/sources/postgres-copy.ts) finds rows in the protocol's bytes however the socket
 * cuts them: a real PostgreSQL behind a real TCP proxy on loopback that forwards the server's bytes a few at a
 * time (1 to 13, every message header and row cut somewhere) gives the same rows and the same fingerprint as a
 * direct read; an error in the middle of the rows, its message cut too, is the server's error; the connection
 * is usable again after a read, for the next one.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../engine/segment/sources/postgres.ts';
import { TextRows } from '../../engine/segment/text-rows.ts';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './postgres-server.ts';

let server: TestPostgres;
let proxy: net.Server;
let proxyUrl: string;

/**
 * Forwards the client's bytes as they come and the server's a few at a time, a timer's tick apart: the reader's
 * socket has read each piece before the next one is written (a turn of the event loop is not always enough).
 */
function startProxy(target: URL): Promise<net.Server> {
  const p = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream);
    let size = 0;
    let sending = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      sending = sending.then(async () => {
        for (let at = 0; at < chunk.length; ) {
          size = (size % 13) + 1;
          client.write(chunk.subarray(at, at + size));
          at += size;
          await sleep(0);
        }
        upstream.resume();
      });
    });
    upstream.on('end', () => void sending.then(() => client.end()));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  return new Promise((resolve) => p.listen(0, '127.0.0.1', () => resolve(p)));
}

function source(url: string, query: string): PostgresSource {
  return new PostgresSource({ label: 'copy', site: { exportName: 'copy', configFile: 'acsync.yaml', mappingLines: new Map() }, query, database: 'warehouse', urlEnv: 'WAREHOUSE_URL', url, statementTimeoutMs: 60_000 });
}

async function readAll(src: PostgresSource, columns: string[]): Promise<Array<Record<string, string | undefined>>> {
  const out: Array<Record<string, string | undefined>> = [];
  for await (const batch of src.records(columns)) for (const r of batch) out.push(r.values);
  return out;
}

describe.skipIf(!postgresAvailable)('the COPY reader', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    server = await startTestPostgres();
    proxy = await startProxy(new URL(server.url));
    const u = new URL(server.url);
    u.hostname = '127.0.0.1';
    u.port = String((proxy.address() as net.AddressInfo).port);
    proxyUrl = u.href;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await server?.stop();
  });

  it('rows and fingerprint are the same whatever the chunks, headers cut included, and the connection reads again', async () => {
    // Empty rows, NULLs, escapes, multi-byte characters, and rows long enough to span many chunks.
    const query = `select 'u' || g || '@contoso.example' as email,
      case when g % 5 = 0 then null when g % 5 = 1 then '' else 'Łęcka 東京 🎉 ' || repeat('é\\t', g % 4) end as note,
      repeat('x', (g * 37) % 300) as long
      from generate_series(1, 200) g`;
    const columns = ['email', 'note', 'long'];
    const direct = source(server.url, query);
    const cut = source(proxyUrl, query);
    try {
      const want = await readAll(direct, columns);
      expect(want).toHaveLength(200);
      expect(await readAll(cut, columns)).toEqual(want);
      expect(cut.fingerprint()).toBe(direct.fingerprint());
      expect(cut.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
      // The same connection, handed back to pg after the copy, reads the rows again.
      expect(await readAll(cut, columns)).toEqual(want);
      expect(cut.origin()).toMatchObject({ rowsRead: 200 });
    } finally {
      await direct.close();
      await cut.close();
    }
  });

  it('the end of the copy, cut anywhere, hands pg the rest whole: read after read on one connection', async () => {
    // Each read shifts where the proxy's cuts fall (its sizes run on from the last read): after 13 reads the end
    // of the rows, CopyDone and what follows have been cut at every offset of the cycle. A byte lost there would
    // leave pg waiting for ReadyForQuery, and the next read would never start.
    const src = source(proxyUrl, "select 'u' || g || '@contoso.example' as email from generate_series(1, 1 + (random() * 20)::int) g");
    try {
      for (let i = 0; i < 13; i++) {
        const rows = await readAll(src, ['email']);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows[0]).toEqual({ email: 'u1@contoso.example' });
      }
    } finally {
      await src.close();
    }
  });

  it('an error after some rows, its message cut into pieces too, is the server error, and nothing reads as complete', async () => {
    const query = "select 'u' || g || '@contoso.example' as email, (1 / (g - 300))::text as v from generate_series(1, 400) g";
    const cut = source(proxyUrl, query);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        // The second time on the same connection: the error left it ready for the next query, not lost.
        let rows = 0;
        const read = (async () => {
          for await (const batch of cut.records(['email', 'v'])) rows += batch.length;
        })();
        await expect(read).rejects.toThrow(/the segment query failed: division by zero/);
        expect(rows).toBeLessThan(300);
      }
    } finally {
      await cut.close();
    }
  });

  it('keeps no batch alive once it is planned: the result is never all in memory, however long the connection lives', async () => {
    // Every read races the connection's loss; a Promise.race with one promise pending as long as the connection
    // kept each batch reachable from it, so the whole result stayed in memory until the connection closed.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const src = source(server.url, "select 'u' || g || '@contoso.example' as email, repeat('x', 200) as pad from generate_series(1, 20000) g");
    try {
      const batches: Array<WeakRef<Buffer>> = [];
      let rows = 0;
      for await (const batch of src.rows(['email', 'pad'])) {
        expect(batch).toBeInstanceOf(TextRows);
        batches.push(new WeakRef((batch as TextRows).bytes));
        rows += batch.length;
      }
      expect(rows).toBe(20_000);
      expect(batches.length).toBeGreaterThan(10);
      // A WeakRef holds its target until the end of the job that made it.
      await sleep(0);
      gc();
      await sleep(0);
      gc();
      const alive = batches.filter((b) => b.deref() !== undefined).length;
      expect(alive, `${alive} of ${batches.length} batches still in memory after the read`).toBeLessThanOrEqual(2);
      expect(src.origin().rowsRead).toBe(20_000);
    } finally {
      await src.close();
    }
  });
});
