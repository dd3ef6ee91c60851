#!/usr/bin/env node
// Which code runs:
//  - the published package (and anything installed from its tarball) has no TypeScript sources, only the
//    compiled dist/: that is what runs, with no tsx or esbuild anywhere;
//  - a git checkout has the sources (cli/main.ts): they run through tsx's loader, so a fresh clone needs no build
//    step (`npm ci && npm run demo`), and what runs is always what is checked out, never a stale dist/.
//    ACSYNC_RUN=dist runs a checkout's dist/ instead (after `npm run build`: the startup benchmark does).
// The repo's tsconfig is named explicitly: tsx would otherwise look for one in the folder acsync is run from,
// and JSX (the Ink screens) needs ours.
// `apply` and `watch` keep their heap compact with V8's full collection (engine/heap.ts), which that module reaches
// in this same process: no second process is started for --expose-gc, so nothing can outlive this one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
if (process.env.ACSYNC_RUN !== 'dist' && existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import('../cli/main.ts');
} else {
  await import('../dist/cli/main.js');
}
