// Module hooks (they run on node's loader thread): log each module as it loads, then load it as usual.
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  const log = process.env.ACSYNC_MODULE_LOG;
  if (log) appendFileSync(log, url + '\n');
  return nextLoad(url, context);
}
