#!/usr/bin/env node
// The sources are TypeScript run through tsx's loader: a fresh clone needs no build step,
// and what runs is always what is checked out.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
