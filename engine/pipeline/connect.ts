/**
 * Stage 1, connect: the export's connection, the connector's rules (consent, roles) checked again so that no
 * request is ever made for an export the config forbids, whatever path led here (a stale saved plan, a watch
 * reload...), the API key from the environment, and a client on the account's shared rate budget. Sends nothing.
 */
import { createHmac } from 'node:crypto';
import type { ActiveCampaignApi } from '../activecampaign/api.ts';
import { createActiveCampaignClient } from '../activecampaign/client.ts';
import { getAccountBudget, type RateLimits } from '../activecampaign/rate-budget.ts';
import { resolveApiKey } from '../config/load.ts';
import type { Config, ConnectionConfig, ExportConfig } from '../config/model.ts';
import { mayUseConnection, roleOf } from '../config/roles.ts';
import { UserError } from '../errors.ts';
import type { EventSink } from '../events.ts';

export interface Connected {
  connection: ConnectionConfig;
  api: ActiveCampaignApi;
  /**
   * HMAC-SHA256 keyed by the API key, hex: a fingerprint of sensitive values that nobody without the key can
   * test guesses against (a birth date has only some 36,500 values), and that apply, which has the key, recomputes.
   */
  keyedDigest: (data: string) => string;
}

export function connect(config: Config, exp: ExportConfig, env: NodeJS.ProcessEnv, sink: EventSink): Connected {
  const connection = config.connections[exp.connection];
  if (connection === undefined) throw new UserError(`export '${exp.name}' names unknown connection '${exp.connection}'`);
  if (!connection.dataPrivacyConsent) {
    throw new UserError(
      `connection '${connection.id}' has no data privacy consent: no data may leave`,
      `set dataPrivacyConsent: true on connection '${connection.id}' once you agree that data leaves for ActiveCampaign`,
      config.displayFile,
      config.locations[`connections.${connection.id}.dataPrivacyConsent`]?.line ?? config.locations[`connections.${connection.id}`]?.line,
    );
  }
  if (roleOf(config.roles, connection.exportUser) !== 'admin') {
    throw new UserError(`connection '${connection.id}': exportUser ${connection.exportUser} is not an admin`);
  }
  if (!mayUseConnection(roleOf(config.roles, exp.owner), connection.usableBy)) {
    throw new UserError(`export '${exp.name}': owner ${exp.owner} may not use connection '${connection.id}' (usableBy: ${connection.usableBy})`);
  }
  const key = resolveApiKey(connection, env);
  if ('error' in key) throw new UserError(key.error, key.hint, config.displayFile, config.locations[`connections.${connection.id}.apiKey`]?.line);
  const api = createActiveCampaignClient({
    connection: connection.id,
    hostname: connection.hostname,
    apiKey: key.key,
    apiKeyEnv: connection.apiKeyEnv,
    budget: getAccountBudget(connection.hostname, limitsFromEnv(env)),
    onEvent: sink,
  });
  const secret = key.key;
  return { api, connection, keyedDigest: (data) => createHmac('sha256', secret).update(data).digest('hex') };
}

/** Limits for clients, from the environment: only for running against a scaled-up emulator (tests, benchmarks). */
function limitsFromEnv(env: NodeJS.ProcessEnv): Partial<RateLimits> | undefined {
  const raw = env['ACSYNC_RATE_LIMITS'];
  if (raw === undefined || raw === '') return undefined;
  const out: Partial<RateLimits> = {};
  for (const part of raw.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) continue;
    if (k === 'rps') out.requestsPerSecond = n;
    else if (k === 'bulk') out.bulkPerMinute = n;
    else if (k === 'single') out.bulkSinglePerMinute = n;
  }
  return out;
}
