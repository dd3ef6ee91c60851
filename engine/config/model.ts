/**
 * The resolved configuration: what `loadConfig` returns once the YAML has passed the JSON Schema and the
 * cross-reference rules. Names follow the YAML surface (see schemas/acsync.schema.json).
 */

/** A 1-based position in a source file. */
export interface SourcePos {
  line: number;
  column: number;
}

export type Severity = 'error' | 'warning';

/** A problem found in user input: errors are data until the edge (the CLI decides how to show them). */
export interface Diagnostic {
  severity: Severity;
  /** The file the problem is in (as the user named it, relative to the working directory where possible). */
  file: string;
  /** 1-based; 0 (with column 0) when the problem is about the whole file, e.g. it cannot be read. */
  line: number;
  column: number;
  /** Where in the document: a dotted path such as `exports.vip-customers.mapping.email`, or '' for the file. */
  path: string;
  message: string;
  /** What to do about it, when there is something useful to say. */
  hint?: string;
}

export type UsableBy = 'admins' | 'admins-and-contributors';
export type OnLeave = 'keep' | 'unsubscribe';

export interface ConnectionConfig {
  /** The key under `connections:`. */
  id: string;
  type: 'activecampaign';
  displayName: string;
  /** Hostname only (host or host:port), no scheme, no path. */
  hostname: string;
  /** The environment variable holding the API key (from `apiKey: ${NAME}`). The key itself is never stored here. */
  apiKeyEnv: string;
  usableBy: UsableBy;
  dataPrivacyConsent: boolean;
  exportUser: string;
  contactLimit?: number;
}

/** A database segment queries run on (`databases.<id>`). */
export interface DatabaseConfig {
  /** The key under `databases:`. */
  id: string;
  type: 'postgres' | 'duckdb';
  /** postgres: the environment variable holding the URL (from `url: ${NAME}`); the URL itself is never stored here. */
  urlEnv?: string;
  /** duckdb: the database file, resolved against the config file's folder (absolute); in-memory when absent. */
  path?: string;
  /** Statement timeout in milliseconds. */
  statementTimeoutMs: number;
}

/** A segment that is the result of an SQL query (`segment: {query, database?}`). */
export interface SegmentQueryConfig {
  query: string;
  /** The key under `databases:`; absent for the embedded DuckDB. */
  database?: string;
}

export interface MappingConfig {
  /** Profile column holding the email (required). */
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  /** ActiveCampaign custom fields: personalization tag (e.g. LOYALTY_TIER) -> profile column. */
  fields: Record<string, string>;
  /** Personalization tags whose values are masked in every output but the request to ActiveCampaign. */
  sensitive?: string[];
}

export interface ExportConfig {
  /** The key under `exports:`. */
  name: string;
  connection: string;
  owner: string;
  /** The segment path as written in the config (relative to the config file); for a query, a short label. */
  segment: string;
  /**
   * The segment path resolved against the config file's folder (absolute): a file, a glob or a folder. For a
   * query segment, the config file's folder (the embedded DuckDB's working directory).
   */
  segmentPath: string;
  /** Present when the segment is an SQL query rather than a path. */
  segmentQuery?: SegmentQueryConfig;
  /** Watch mode: how often (ms) a query segment on a database is re-read, applied only when its rows changed. */
  pollMs?: number;
  /** ActiveCampaign list id, as a string (ActiveCampaign ids are strings on the wire). */
  listId: string;
  mapping: MappingConfig;
  onLeave: OnLeave;
  /** Cron expression for scheduled refresh (watch mode). */
  schedule?: string;
  /** IANA time zone for `schedule`; the local zone when absent. */
  timezone?: string;
  enabled: boolean;
  /** Refuse an apply that would unsubscribe more than this fraction (0..1) of the export's managed contacts. */
  maxUnsubscribe: number;
  /** Extra ActiveCampaign tag names put on every exported contact ([] when none). */
  tags: string[];
  /** Subscribe without starting the list's automations (ActiveCampaign starts them by default). */
  excludeAutomations: boolean;
  /** Newcomers looked up in the account at most per plan (0: none); DEFAULT_LOOKUP_LIMIT when absent. */
  lookupLimit?: number;
}

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  /** The path as the user gave it (for messages). */
  displayFile: string;
  version: 1;
  roles: { admins: string[]; contributors: string[] };
  connections: Record<string, ConnectionConfig>;
  /** `databases:` by id; absent or empty when the config has none. */
  databases?: Record<string, DatabaseConfig>;
  exports: Record<string, ExportConfig>;
  /** Source positions by dotted path (same form as Diagnostic.path), so later stages can point at the YAML. */
  locations: Record<string, SourcePos>;
}

export interface LoadResult {
  /** Present when there are no errors (warnings allowed). */
  config?: Config;
  diagnostics: Diagnostic[];
}
