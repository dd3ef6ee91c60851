// Placeholder until the command lands (see the open issues); replaced by the real command module.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('acsync validate: not available yet in this build\n');
  return 1;
}
