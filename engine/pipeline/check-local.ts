/**
 * Stage 2, check what is local: the export's segment source opens and has the mapped columns, before any
 * request goes to ActiveCampaign (a typo in a column name costs no list read).
 */
import type { ExportConfig } from '../config/model.ts';
import { openSegmentSource } from '../segment/open-source.ts';
import { mappedColumns } from '../segment/normalize.ts';
import type { SegmentSource } from '../segment/source.ts';

/** `roots`: the folders segment files must be in (engine/segment/locate.ts). */
export async function checkLocal(exp: ExportConfig, roots: readonly string[]): Promise<SegmentSource> {
  const source = openSegmentSource(exp, roots);
  await source.check(mappedColumns(exp.mapping));
  return source;
}
