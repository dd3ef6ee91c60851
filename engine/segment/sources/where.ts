/** Where in the config a source's problems are reported: the export, its `segment:`/`query:` line, its mapping. */
import type { Config, ExportConfig } from '../../config/model.ts';
import { SegmentError } from '../errors.ts';

export interface SourceSite {
  exportName: string;
  /** The config file as the user named it. */
  configFile: string;
  /** Line of `query:` (query segments) or of `segment:`. */
  line?: number;
  /** Line of the mapping entry that names each column (`mapping.email: EmailAddress` -> line of that entry). */
  mappingLines: Map<string, { key: string; line?: number }>;
}

export function siteOf(config: Config, exp: ExportConfig): SourceSite {
  const at = `exports.${exp.name}`;
  const loc = config.locations;
  const mappingLines = new Map<string, { key: string; line?: number }>();
  const add = (column: string | undefined, key: string): void => {
    if (column === undefined || mappingLines.has(column)) return;
    const line = loc[`${at}.mapping.${key}`]?.line;
    mappingLines.set(column, { key: `mapping.${key}`, ...(line !== undefined ? { line } : {}) });
  };
  add(exp.mapping.email, 'email');
  add(exp.mapping.firstName, 'firstName');
  add(exp.mapping.lastName, 'lastName');
  add(exp.mapping.phone, 'phone');
  for (const [tag, column] of Object.entries(exp.mapping.fields)) add(column, `fields.${tag}`);
  const line = loc[`${at}.segment.query`]?.line ?? loc[`${at}.segment`]?.line;
  return { exportName: exp.name, configFile: config.displayFile, ...(line !== undefined ? { line } : {}), mappingLines };
}

/** The error for mapped columns the source does not have, at the first one's mapping line. */
export function missingColumnsError(site: SourceSite, missing: string[], available: string[], what: string): SegmentError {
  const first = site.mappingLines.get(missing[0]!);
  const names = missing.map((c) => `${c} (${site.mappingLines.get(c)?.key ?? 'mapping'})`).join(', ');
  const line = first?.line ?? site.line;
  return new SegmentError({
    message: `export '${site.exportName}': ${what} has no column ${names}; it has ${available.map((c) => `'${c}'`).join(', ') || 'no columns'}`,
    file: site.configFile,
    ...(line !== undefined ? { line } : {}),
    hint: missing[0] === [...site.mappingLines.keys()][0]
      ? 'the email column is required: select it in the query (e.g. select email_address as email ...) or fix mapping.email (names are case-sensitive)'
      : 'fix the names under mapping: (they are case-sensitive) or select those columns',
  });
}
