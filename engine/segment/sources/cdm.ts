/**
 * Common Data Model folders, as Dynamics 365 Customer Insights writes them to a data lake: a metadata file
 * (model.json, or a *.manifest.cdm.json with one *.cdm.json schema document per entity) beside headerless CSV or
 * Parquet partitions. Columns are named from the metadata's attributes, so `mapping:` uses those names. A
 * partition's `location` is a data-lake URL (https://account.dfs.core.windows.net/container/...): a local copy is
 * matched by the longest tail of that URL's path that exists below the metadata file's folder.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SegmentError } from '../errors.ts';
import { DuckDbSource } from './duckdb.ts';
import { sqlString, type PathSourceOptions } from './files.ts';
import type { SegmentSource } from '../source.ts';

export function isCdmMetadata(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return base === 'model.json' || base.endsWith('.manifest.cdm.json');
}

interface Partition {
  location: string;
  format: 'csv' | 'parquet';
  csv?: { header: boolean; delimiter: string };
}

interface Entity {
  name: string;
  attributes: string[];
  partitions: Partition[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export async function openCdmSource(o: PathSourceOptions & { metadataFile: string; entity?: string }): Promise<SegmentSource> {
  const folder = path.dirname(o.metadataFile);
  const display = path.relative(o.cwd, o.metadataFile) || o.metadataFile;
  const fail = (message: string, hint: string): SegmentError => new SegmentError({ message, file: display, hint });
  const entities = path.basename(o.metadataFile).toLowerCase() === 'model.json'
    ? modelJsonEntities(await readJson(o.metadataFile, display))
    : await manifestEntities(o.metadataFile, display);
  if (entities.length === 0) throw fail('the CDM metadata describes no entity', 'point `segment:` at the folder Customer Insights exported (it has model.json or *.manifest.cdm.json and the partitions)');
  let entity: Entity | undefined;
  if (o.entity !== undefined) {
    entity = entities.find((e) => e.name === o.entity);
    if (entity === undefined) throw fail(`the CDM metadata has no entity '${o.entity}'`, `entities: ${entities.map((e) => e.name).join(', ')}`);
  } else if (entities.length === 1) {
    entity = entities[0]!;
  } else {
    throw fail(`the CDM metadata describes ${entities.length} entities (${entities.map((e) => e.name).join(', ')}): which one is the segment?`, `name it after the metadata file: segment: ${path.relative(o.cwd, o.metadataFile)}#${entities[0]!.name}`);
  }
  if (entity.attributes.length === 0) throw fail(`entity '${entity.name}' lists no attributes`, 'the metadata must name the columns of its partitions');
  const files: string[] = [];
  for (const p of entity.partitions) {
    const local = await localPartition(p.location, folder);
    if (local === undefined) {
      throw fail(`partition ${p.location} of entity '${entity.name}' is not in the folder`, `copy the whole exported folder: the partition is looked for by its path relative to ${display} (e.g. ${entity.name}/part-00001.csv)`);
    }
    files.push(local);
  }
  if (files.length === 0) throw fail(`entity '${entity.name}' has no data partitions`, 'export the segment again from Customer Insights, or point `segment:` at a folder with data');
  const formats = new Set(entity.partitions.map((p) => p.format));
  if (formats.size > 1) throw fail(`entity '${entity.name}' mixes CSV and Parquet partitions`, 'acsync reads an entity of one format');
  const columns = entity.attributes;
  let sql: string;
  const list = `[${files.map(sqlString).join(', ')}]`;
  if (formats.has('parquet')) {
    sql = `select ${columns.map(ident).join(', ')} from read_parquet(${list}, union_by_name = true)`;
  } else {
    const csv = entity.partitions[0]!.csv ?? { header: false, delimiter: ',' };
    const spec = `{${columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}`;
    sql = `select * from read_csv(${list}, header = ${csv.header}, delim = ${sqlString(csv.delimiter)}, quote = '"', escape = '"', columns = ${spec}, auto_detect = false)`;
  }
  return new DuckDbSource({
    label: o.label,
    site: o.site,
    sql,
    kind: 'files',
    cwd: o.cwd,
    statementTimeoutMs: o.statementTimeoutMs,
    files: { display: [display, ...files.map((f) => path.relative(o.cwd, f))], absolute: [o.metadataFile, ...files] },
    what: `CDM entity '${entity.name}' (${display})`,
  });
}

async function readJson(file: string, display: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SegmentError({ message: 'cannot read the CDM metadata file', file: display, hint: 'check the `segment:` path' });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SegmentError({ message: `the CDM metadata is not valid JSON (${err instanceof Error ? err.message : String(err)})`, file: display, hint: 'copy the folder again: the metadata file is damaged' });
  }
}

/** model.json: entities[].attributes[].name, entities[].partitions[].location with fileFormatSettings. */
function modelJsonEntities(doc: unknown): Entity[] {
  if (!isObj(doc)) return [];
  return arr(doc['entities']).filter(isObj).map((e) => ({
    name: String(e['name'] ?? ''),
    attributes: arr(e['attributes']).filter(isObj).map((a) => String(a['name'] ?? '')).filter((n) => n !== ''),
    partitions: arr(e['partitions']).filter(isObj).map((p) => {
      const location = String(p['location'] ?? '');
      const settings = isObj(p['fileFormatSettings']) ? p['fileFormatSettings'] : {};
      const parquet = /parquet/i.test(String(settings['$type'] ?? '')) || /\.parquet$/i.test(urlPath(location));
      return parquet
        ? { location, format: 'parquet' as const }
        : { location, format: 'csv' as const, csv: { header: settings['columnHeaders'] === true, delimiter: typeof settings['delimiter'] === 'string' ? settings['delimiter'] : ',' } };
    }),
  }));
}

/** *.manifest.cdm.json: entities[] with entityPath "Doc.cdm.json/Name" and dataPartitions[] with format traits. */
async function manifestEntities(file: string, display: string): Promise<Entity[]> {
  const doc = await readJson(file, display);
  if (!isObj(doc)) return [];
  const folder = path.dirname(file);
  const out: Entity[] = [];
  for (const e of arr(doc['entities']).filter(isObj)) {
    const name = String(e['entityName'] ?? '');
    const [docPath, defName] = String(e['entityPath'] ?? '').split('/').length > 1
      ? [String(e['entityPath']).slice(0, String(e['entityPath']).lastIndexOf('/')), String(e['entityPath']).slice(String(e['entityPath']).lastIndexOf('/') + 1)]
      : [String(e['entityPath'] ?? ''), name];
    let attributes: string[] = [];
    if (docPath !== '') {
      const schemaFile = path.resolve(folder, docPath.replace(/^local:\//, ''));
      const schema = await readJson(schemaFile, path.relative(process.cwd(), schemaFile));
      const def = arr(isObj(schema) ? schema['definitions'] : undefined).filter(isObj).find((d) => d['entityName'] === defName) ?? undefined;
      attributes = arr(def?.['hasAttributes']).filter(isObj).map((a) => String(a['name'] ?? '')).filter((n) => n !== '');
    }
    const partitions = arr(e['dataPartitions']).filter(isObj).map((p): Partition => {
      const location = String(p['location'] ?? '').replace(/^local:\//, '');
      const traits = arr(p['exhibitsTraits']).filter(isObj);
      const csvTrait = traits.find((t) => String(t['traitReference'] ?? '').toLowerCase() === 'is.partition.format.csv');
      const parquet = traits.some((t) => String(t['traitReference'] ?? '').toLowerCase() === 'is.partition.format.parquet') || /\.parquet$/i.test(urlPath(location));
      if (parquet) return { location, format: 'parquet' };
      const args = new Map(arr(csvTrait?.['arguments']).filter(isObj).map((a) => [String(a['name']), String(a['value'])]));
      return { location, format: 'csv', csv: { header: args.get('columnHeaders') === 'true', delimiter: args.get('delimiter') ?? ',' } };
    });
    out.push({ name, attributes, partitions });
  }
  return out;
}

function urlPath(location: string): string {
  try {
    return decodeURIComponent(new URL(location).pathname);
  } catch {
    return location;
  }
}

/** The local file for a partition location: the longest tail of its path that exists below `folder`. */
async function localPartition(location: string, folder: string): Promise<string | undefined> {
  const parts = urlPath(location).split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const rel = parts.slice(i);
    if (rel.includes('..')) continue;
    const candidate = path.join(folder, ...rel);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return candidate;
  }
  return undefined;
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
