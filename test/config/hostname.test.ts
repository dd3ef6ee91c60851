/** One hostname rule: what `acsync validate` accepts is exactly what the client connects to. */
import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../../engine/activecampaign/base-url.ts';
import { hostnameProblem } from '../../engine/config/hostname.ts';

const HOSTNAMES = [
  'acme.api-us1.com',
  'ACME.api-us1.com',
  'acme.example:8443',
  '127.0.0.1:4010',
  '[::1]:4010',
  'localhost',
  'https://acme.api-us1.com',
  'acme.api-us1.com/api/3',
  'acme.api-us1.com?x=1',
  'user:pw@acme.api-us1.com',
  'acme api-us1.com',
  '',
  'acme_.example',
  'acme.example:0',
  'acme.example:70000',
  '-acme.example',
];

describe('hostname rule', () => {
  it.each(HOSTNAMES)('validate and the client agree on %j', (h) => {
    const validates = hostnameProblem(h) === undefined;
    let connects = true;
    try {
      resolveBaseUrl(h);
    } catch {
      connects = false;
    }
    expect(connects).toBe(validates);
  });

  it('never repeats credentials written into a hostname', () => {
    expect(() => resolveBaseUrl('user:s3cret@acme.api-us1.com')).toThrow(/credentials/);
    expect(() => resolveBaseUrl('user:s3cret@acme.api-us1.com')).not.toThrow(/s3cret/);
  });
});
