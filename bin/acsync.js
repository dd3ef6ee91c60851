#!/usr/bin/env node
// The sources are TypeScript run through tsx's loader: a fresh clone needs no build step, and what runs is
// always what is checked out. The repo's tsconfig is named explicitly: tsx would otherwise look for one in the
// folder acsync is run from, and JSX (the Ink screens) needs ours.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/main.ts');
