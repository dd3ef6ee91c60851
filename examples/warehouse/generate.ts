/**
 * Writes the synthetic Parquet partitions of this example (fictitious people, deterministic):
 *   node --import tsx examples/warehouse/generate.ts
 * The files are committed so the example works without running this; a real lake is never committed (.gitignore).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'lake', 'profiles');
mkdirSync(out, { recursive: true });

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Emeka', 'Fatima', 'Gustavo', 'Hana', 'Ines', 'Jonas'];
const LAST = ['Silva', 'Okafor', 'Dubois', 'Ivanov', 'Eze', 'Haddad', 'Rocha', 'Sato', 'García', 'Berg'];
const TIERS = ['Bronze', 'Silver', 'Gold'];

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
for (const part of [1, 2]) {
  const rows: string[] = [];
  for (let i = (part - 1) * 100; i < part * 100; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const email = `${first.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}.${last.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}${i}@example.com`;
    // risk: a fixed pseudo-random score in [0, 1) (Knuth's multiplicative hash), so the churn query picks about 20%.
    const risk = (((i + 1) * 2654435761) % 1000) / 1000;
    rows.push(`(${lit(email)}, ${lit(first)}, ${lit(last)}, ${lit(TIERS[i % 3]!)}, ${risk}, date '2024-01-01' + ${i})`);
  }
  const file = path.join(out, `part-0000${part}.parquet`);
  await conn.run(`copy (select * from (values ${rows.join(', ')}) t(email, first_name, last_name, tier, risk, customer_since)) to ${lit(file)} (format parquet)`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
conn.closeSync();
db.closeSync();
