// `node --import ./test/helpers/record-modules.mjs ...` appends the URL of every module the process loads to the
// file named by ACSYNC_MODULE_LOG: what the start-up test reads to see that a command loads only what it uses.
// ES modules are seen by a load hook as they load; CommonJS modules that other CommonJS modules require (which
// bypass the hooks) are added from require.cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./record-modules-hooks.mjs', import.meta.url);

const log = process.env.ACSYNC_MODULE_LOG;
if (log) {
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const files = Object.keys(cache).map((f) => pathToFileURL(f).href);
    if (files.length > 0) appendFileSync(log, files.join('\n') + '\n');
  });
}
