/**
 * Stage 2, check what is local: the export's segment source opens and has the mapped columns, before any
 * request goes to ActiveCampaign (a typo in a column name costs no list read). A database source may connect to
 * its database here (to prepare the query, reading no row); ActiveCampaign is not called.
 */
import type { Config, ExportConfig } from '../config/model.ts';
import { mappedColumns } from '../segment/normalize.ts';
import { openSegmentSource } from '../segment/open-source.ts';
import type { SegmentSource } from '../segment/source.ts';

/** `roots`: the folders segment files must be in (engine/segment/locate.ts); `env` holds database URLs. */
export async function checkLocal(config: Config, exp: ExportConfig, roots: readonly string[], env: NodeJS.ProcessEnv): Promise<SegmentSource> {
  const source = await openSegmentSource(config, exp, roots, env);
  try {
    await source.check(mappedColumns(exp.mapping));
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
