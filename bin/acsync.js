#!/usr/bin/env node
// Which code runs:
//  - the published package (and anything installed from its tarball) has no TypeScript sources, only the
//    compiled dist/: that is what runs, with no tsx or esbuild anywhere;
//  - a git checkout has the sources (cli/main.ts): they run through tsx's loader, so a fresh clone needs no build
//    step (`npm ci && npm run demo`), and what runs is always what is checked out, never a stale dist/.
//    ACSYNC_RUN=dist runs a checkout's dist/ instead (after `npm run build`: the startup benchmark does).
// The repo's tsconfig is named explicitly: tsx would otherwise look for one in the folder acsync is run from,
// and JSX (the Ink screens) needs ours.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Commands that apply run for up to an hour mostly waiting on ActiveCampaign's rate limits; they keep their heap
// compact with V8's full collection (engine/heap.ts), which Node exposes only when started with --expose-gc (it
// cannot be turned on once running). So those commands start once more, with the flag; the rest run as they are.
const NEEDS_GC = new Set(['apply', 'watch']);
const command = process.argv[2];

if (command !== undefined && NEEDS_GC.has(command) && typeof globalThis.gc !== 'function') {
  const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C goes to the whole foreground process group, so the child has it already: passing it on
  // would make it a second Ctrl-C (which quits at once). A signal sent to this process alone (kill, a CI runner,
  // a test) is passed on. With no terminal on any of stdin, stdout or stderr, nothing delivers to the group.
  const inTerminal = process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal === 'SIGINT' && inTerminal) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`acsync: cannot start: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const sources = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
  if (process.env.ACSYNC_RUN !== 'dist' && existsSync(sources)) {
    const { register } = await import('tsx/esm/api');
    register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
    await import('../cli/main.ts');
  } else {
    await import('../dist/cli/main.js');
  }
}
