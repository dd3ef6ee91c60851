/**
 * `npm run bench -- --only startup`: how long each command takes to start, against `node -e 0` (the floor: a Node
 * process that does nothing), all in one run, interleaved round by round so that load on the machine hits every
 * command alike. The package is measured as users get it: `npm pack` (which builds dist/ through `prepack`), the
 * tarball unpacked into a scratch folder with the repo's node_modules linked next to it. The checkout's own start
 * (the TypeScript sources through tsx) is shown for comparison.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';

export interface StartupOptions {
  root: string;
  work: string;
  rounds: number;
  out: (line?: string) => void;
}

interface Case {
  label: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** The target ratio to `node -e 0`, when there is one. */
  target?: number;
}

/** Targets of issue 17: --help and --version within 1.6x of a bare Node start. */
export const STARTUP_TARGET = 1.6;

export async function startupBench(opts: StartupOptions): Promise<void> {
  const { root, work, rounds, out } = opts;
  out(`== startup: median of ${rounds} runs each, interleaved, wall time from spawn to exit`);
  const packDir = path.join(work, 'pack');
  await mkdir(packDir, { recursive: true });
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', path.join(packDir, packed), '-C', packDir]);
  const pkg = path.join(packDir, 'package');
  await symlink(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  const bin = path.join(pkg, 'bin', 'acsync.js');
  const example = path.join(pkg, 'examples', 'quickstart', 'acsync.yaml');
  const env = { ...process.env, AC_API_KEY: 'bench', NO_COLOR: '1' };
  const cases: Case[] = [
    { label: 'node -e 0', argv: ['-e', '0'] },
    { label: 'acsync --help', argv: [bin, '--help'], target: STARTUP_TARGET },
    { label: 'acsync --version', argv: [bin, '--version'], target: STARTUP_TARGET },
    { label: 'acsync validate (quickstart)', argv: [bin, 'validate', '-c', example] },
    { label: 'acsync plan --help', argv: [bin, 'plan', '--help'] },
    { label: 'checkout: acsync --version (tsx)', argv: [path.join(root, 'bin', 'acsync.js'), '--version'] },
  ];
  const times: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds + 1; round++) {
    cases.forEach((c, i) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, c.argv, { env: c.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr.toString()}`);
      if (round > 0) times[i]!.push(ms); // round 0 warms the file cache
    });
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const base = median(times[0]!);
  const width = Math.max(...cases.map((c) => c.label.length));
  cases.forEach((c, i) => {
    const m = median(times[i]!);
    const ratio = m / base;
    const target = c.target === undefined ? '' : `   target <= ${c.target}x: ${ratio <= c.target ? 'met' : 'MISSED'}`;
    out(`${c.label.padEnd(width)}  ${m.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x${target}`);
  });
  out(`package: ${packed} (unpacked from npm pack; node_modules of the repo linked)`);
  out();
}
