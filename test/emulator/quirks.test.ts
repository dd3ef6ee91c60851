/**
 * The quirks profile's switches: `--quirks`, `--quirks=a,b`, unknown names, and each quirk off unless asked for.
 */
import { describe, expect, it } from 'vitest';
import { parseEmulatorArgs } from '../../cli/commands/emulator.ts';
import { startEmulator } from '../../emulator/index.ts';
import { QUIRK_NAMES } from '../../emulator/quirks.ts';

describe('acsync emulator --quirks', () => {
  it('--quirks alone is every quirk; --quirks=a,b the named ones; a later flag is not swallowed', () => {
    expect(parseEmulatorArgs(['--quirks', '--port', '0'])).toEqual({ options: { quirks: true, port: 0 } });
    expect(parseEmulatorArgs(['--quirks=emptyBodies,rateLimit503'])).toEqual({ options: { quirks: ['emptyBodies', 'rateLimit503'] } });
  });

  it('an unknown quirk is refused with the list of known ones', () => {
    const r = parseEmulatorArgs(['--quirks=emptyBodies,slowness']);
    expect(r).toEqual({ error: expect.stringContaining("Unknown quirk 'slowness'. Known quirks: largeSideloads,") });
  });
});

describe('startEmulator({ quirks })', () => {
  it('is off by default, all with true, and exactly the named ones otherwise', async () => {
    for (const [quirks, expected] of [
      [undefined, []],
      [true, [...QUIRK_NAMES]],
      [['shortPages', 'emptyBodies'], ['emptyBodies', 'shortPages']],
    ] as const) {
      const emu = await startEmulator({ port: 0, ...(quirks === undefined ? {} : { quirks: quirks === true ? true : [...quirks] }) });
      try {
        expect(emu.quirks()).toEqual(expected);
      } finally {
        await emu.stop();
      }
    }
  });

  it('an empty body and a 403 come at fixed places, and reset restarts the count', async () => {
    const emu = await startEmulator({ port: 0, apiKey: 'k-quirks-1234', rateLimit: 1000, quirks: ['intermittent403', 'emptyBodies'] });
    try {
      const run = async (): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await fetch(`${emu.url}/api/3/lists`, { headers: { 'Api-Token': 'k-quirks-1234' } });
          const text = await r.text();
          out.push(text === '' ? `${r.status} empty` : String(r.status));
        }
        return out;
      };
      const first = await run();
      expect(first).toEqual(['200', '200', '200', '403', '200', '200', '200', '200', '200', '200 empty']);
      emu.reset();
      expect(await run()).toEqual(first);
    } finally {
      await emu.stop();
    }
  });
});
