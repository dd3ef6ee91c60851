import { describe, expect, it } from 'vitest';
import { HostnameError, isLoopbackHost, resolveBaseUrl } from '../../engine/activecampaign/base-url.ts';
import { createActiveCampaignClient } from '../../engine/activecampaign/client.ts';

describe('resolveBaseUrl', () => {
  it.each([
    ['acme.api-us1.com', 'https://acme.api-us1.com/api/3'],
    ['ACME.api-us1.com', 'https://acme.api-us1.com/api/3'],
    ['acme.example:8443', 'https://acme.example:8443/api/3'],
    ['127.0.0.1:4010', 'http://127.0.0.1:4010/api/3'],
    ['127.8.9.10', 'http://127.8.9.10/api/3'],
    ['localhost:4010', 'http://localhost:4010/api/3'],
    ['[::1]:4010', 'http://[::1]:4010/api/3'],
    // Names that merely look like loopback are not loopback.
    ['127.0.0.1.nip.io', 'https://127.0.0.1.nip.io/api/3'],
    ['localhost.example.com', 'https://localhost.example.com/api/3'],
    ['10.0.0.5:4010', 'https://10.0.0.5:4010/api/3'],
  ])('%s -> %s', (hostname, expected) => {
    expect(resolveBaseUrl(hostname).href).toBe(expected);
  });

  it.each([
    ['https://acme.api-us1.com', 'scheme'],
    ['http://127.0.0.1:4010', 'scheme'],
    ['acme.api-us1.com/api/3', 'path'],
    ['user:pw@acme.api-us1.com', 'credentials'],
    ['', 'empty'],
  ])('refuses %j (%s)', (hostname, what) => {
    expect(() => resolveBaseUrl(hostname)).toThrow(HostnameError);
    expect(() => resolveBaseUrl(hostname)).toThrow(what);
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('example.com')).toBe(false);
  });

  it('a client for a non-loopback host speaks https only', async () => {
    const client = createActiveCampaignClient({ connection: 'marketing', hostname: 'acme.api-us1.com', apiKey: 'k-123456' });
    expect(client.baseUrl).toBe('https://acme.api-us1.com/api/3');
    await client.close();
  });
});
