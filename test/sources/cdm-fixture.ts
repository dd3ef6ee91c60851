/**
 * A small synthetic Common Data Model folder shaped like the one Dynamics 365 Customer Insights writes when it
 * exports a segment to a data lake: the metadata (model.json, or a manifest with a schema document per entity)
 * beside headerless partitions whose `location` is the data-lake URL they were written to.
 */
import type { Workspace } from '../helpers/workspace.ts';
import { duck } from './helpers.ts';

export const LAKE = 'https://contosolake.dfs.core.windows.net/customerinsights/ci-export';

export const CDM_ATTRIBUTES = ['CustomerId', 'EmailAddress', 'FirstName', 'LastName', 'Tier'];

/** model.json with two headerless CSV partitions of entity VipCustomers, plus an unrelated entity. */
export async function writeModelJsonFolder(ws: Workspace, folder: string, rows: string[][]): Promise<void> {
  const half = Math.ceil(rows.length / 2);
  const csvText = (part: string[][]): string => part.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
  await ws.write(`${folder}/VipCustomers/VipCustomers/part-00000-7f3c.csv`, csvText(rows.slice(0, half)));
  await ws.write(`${folder}/VipCustomers/VipCustomers/part-00001-7f3c.csv`, csvText(rows.slice(half)));
  const model = {
    name: 'cdm',
    description: 'Customer Insights export',
    version: '1.0',
    modifiedTime: '2026-11-30T02:00:00Z',
    entities: [
      {
        $type: 'LocalEntity',
        name: 'VipCustomers',
        description: 'Segment VipCustomers',
        attributes: CDM_ATTRIBUTES.map((name) => ({ name, dataType: 'string' })),
        partitions: ['part-00000-7f3c.csv', 'part-00001-7f3c.csv'].map((p) => ({
          name: p,
          refreshTime: '2026-11-30T02:00:00Z',
          location: `${LAKE}/VipCustomers/VipCustomers/${p}`,
          fileFormatSettings: { $type: 'CsvFormatSettings', columnHeaders: false, delimiter: ',', quoteStyle: 'QuoteStyle.Csv', csvStyle: 'CsvStyle.QuoteAlways', encoding: 'UTF-8' },
        })),
      },
    ],
  };
  await ws.write(`${folder}/model.json`, JSON.stringify(model, null, 2));
}

/** A manifest (*.manifest.cdm.json + VipCustomers.cdm.json) with one Parquet partition. */
export async function writeManifestFolder(ws: Workspace, folder: string, rows: string[][]): Promise<void> {
  const file = await ws.write(`${folder}/VipCustomers/part-00000.snappy.parquet`, '');
  const values = rows.map((r) => `(${r.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`).join(', ');
  await duck(ws.dir, `copy (select * from (values ${values}) t(${CDM_ATTRIBUTES.map((a) => `"${a}"`).join(', ')})) to '${file}' (format parquet)`);
  await ws.write(`${folder}/VipCustomers.cdm.json`, JSON.stringify({
    jsonSchemaSemanticVersion: '1.0.0',
    imports: [{ corpusPath: 'cdm:/foundations.cdm.json' }],
    definitions: [{ entityName: 'VipCustomers', hasAttributes: CDM_ATTRIBUTES.map((name) => ({ name, dataFormat: 'String' })) }],
  }, null, 2));
  await ws.write(`${folder}/default.manifest.cdm.json`, JSON.stringify({
    jsonSchemaSemanticVersion: '1.0.0',
    manifestName: 'default',
    entities: [{
      type: 'LocalEntity',
      entityName: 'VipCustomers',
      entityPath: 'VipCustomers.cdm.json/VipCustomers',
      dataPartitions: [{
        location: `${LAKE}/VipCustomers/part-00000.snappy.parquet`,
        exhibitsTraits: [{ traitReference: 'is.partition.format.parquet' }],
      }],
    }],
  }, null, 2));
}
