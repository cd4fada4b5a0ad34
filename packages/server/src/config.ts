import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { MaskingConfig } from '@gatehouse/mask';
import { Value } from 'typebox/value';
import {
  type ConfigVariable,
  type ConfigVariables,
  configVariables,
  type VariableSchema,
} from './config-schema.ts';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL; absent means the embedded PGlite database in `dataDir`. */
  databaseUrl?: string;
  /** Redis; absent means in-process jobs and live events. */
  redisUrl?: string;
  /** Namespace for Redis keys and channels, so several deployments (or tests) can share a Redis. */
  redisPrefix: string;
  adminToken?: string;
  masterKey?: string;
  /** `iss` of verdicts and session tokens. */
  issuer: string;
  policyFile?: string;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  dbPoolSize: number;
  /** Processes `gatehouse start` runs the API in; always 1 in embedded mode (one process per data dir). */
  workers: number;
  logLevel: string;
  /**
   * Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs), so login
   * rate limits count the real client address, not the proxy's.
   */
  trustProxy?: string;
  /** Days recordings are kept; the audit chain is never purged. */
  recordingRetentionDays: number;
  /**
   * Seconds between audit checkpoints (taken only when the log moved). Events newer than the
   * last checkpoint are not yet vouched for, so this is the window a tail truncation could hide in.
   */
  checkpointSeconds: number;
  audit: AuditConfig;
  /** PostgreSQL role the server works as after migrating; undefined: the login's own. */
  dbAppRole?: string;
  /** PostgreSQL login that applies migrations; DATABASE_URL when absent. */
  migrationDatabaseUrl?: string;
  /** Output masking rules (the `masking:` section of the policy file); defaults when absent. */
  masking?: MaskingConfig;
  /**
   * The URL people reach Gatehouse at (scheme, host, port). It decides the `Secure` cookie
   * flag, the origin a browser's WebSocket must come from, and the OIDC redirect URI.
   */
  publicUrl?: string;
  /** A browser session ends after this many minutes without a call. */
  sessionIdleMinutes: number;
  /** Human login through an OpenID Connect provider; absent means local accounts only. */
  oidc?: OidcConfig;
  /** Outbound webhook deliveries: timeout per attempt and the retry schedule. */
  webhooks: WebhookConfig;
  /** The gateway's brokered execution on registered connections. */
  broker: BrokerConfig;
  /** Longest just-in-time grant, minutes (GATEHOUSE_GRANT_MAX_MINUTES). */
  grantMaxMinutes: number;
  /** Slack approvals; absent means Slack is off. */
  slack?: SlackConfig;
  /** Bearer token for `GET /metrics`; absent: only admin tokens may read it. */
  metricsToken?: string;
  /** The security console's jobs: rollups and the drift alarm. */
  insights: InsightsConfig;
}

export interface InsightsConfig {
  intervalSeconds: number;
  driftCheckSeconds: number;
  drift: {
    windowDays: number;
    baselineDays: number;
    /** 0–1. */
    ceiling: number;
    risePoints: number;
    minRequests: number;
  };
}

export interface BrokerConfig {
  statementTimeoutMs: number;
  rowCap: number;
  connectTimeoutMs: number;
  maxStatementLength: number;
  /** Idle target sessions kept per connection (GATEHOUSE_BROKER_POOL_SIZE); 0: none. */
  poolSize: number;
}

export interface WebhookConfig {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  /** Web API base URL, ending in `/`. */
  apiUrl: string;
  defaultChannel?: string;
  /** `group:<name>` or `environment:<env>` → channel id. */
  channels: Record<string, string>;
  teamId?: string;
  linkByEmail: boolean;
}

export interface AuditConfig {
  /** The witness file; undefined when turned off. */
  witnessFile?: string;
  /** The witness file was named (GATEHOUSE_AUDIT_WITNESS_FILE): `audit verify` then fails without it. */
  witnessRequired: boolean;
  /** Also POST each witness entry here. */
  witnessWebhook?: string;
  /** Seconds between continuous verifications. */
  verifySeconds: number;
  /** Seconds an audit lane lease lasts without renewal. */
  laneLeaseSeconds: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** The claim (ID token or userinfo) that lists the person's groups or roles. */
  rolesClaim: string;
  /** Claim value → Gatehouse roles and `group:<name>` approver groups. */
  roleMap: Record<string, string[]>;
}

/** A variable with a value the server cannot use, or variables that do not fit together. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
  constructor(
    message: string,
    /** The variable at fault, when it is one. */
    readonly variable?: ConfigVariable,
  ) {
    super(message);
  }
}

/**
 * The server's configuration from the environment, every variable parsed and checked through
 * `CONFIG_SCHEMA` (config-schema.ts). An unset variable takes its default; so does an empty
 * one, except where the schema says empty is a mistake.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return toConfig(readVariables(env).values);
}

/** Where a variable's value came from. */
export type ConfigSource = 'env' | 'default';

/** One line of `gatehouse config`. */
export interface ConfigEntry {
  variable: ConfigVariable;
  /** As the server uses it, secrets redacted; `undefined` when unset with no default. */
  value: unknown;
  source: ConfigSource;
  /** What an unset variable without a literal default means (e.g. "generated on first start"). */
  unset?: string;
}

/**
 * The effective configuration, variable by variable, with where each value came from and
 * secrets redacted. Throws the same ConfigError as `loadConfig` for a configuration the server
 * would refuse, so what it shows is what would run.
 */
export function describeConfig(env: NodeJS.ProcessEnv = process.env): ConfigEntry[] {
  const { values, sources } = readVariables(env);
  toConfig(values);
  return configVariables().map(([name, schema]) => ({
    variable: name,
    value: redact(schema, values[name]),
    source: sources[name],
    ...(values[name] === undefined && schema.defaultText ? { unset: schema.defaultText } : {}),
  }));
}

/** How a secret is shown; the docs and `gatehouse config` both say this. */
export const REDACTED = '<redacted>';

function redact(schema: VariableSchema, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (schema.secret === 'value') return REDACTED;
  if (schema.secret === 'url-password') return redactUrl(String(value));
  return value;
}

/** A URL with its password masked; anything that does not parse as a URL may hold one anywhere. */
function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${REDACTED} (not a URL)`;
  }
  if (url.password) url.password = '***';
  return url.href;
}

function readVariables(env: NodeJS.ProcessEnv): {
  values: ConfigVariables;
  sources: Record<ConfigVariable, ConfigSource>;
} {
  const values: Record<string, unknown> = {};
  const sources = {} as Record<ConfigVariable, ConfigSource>;
  for (const [name, schema] of configVariables()) {
    const raw = env[name];
    if (raw === undefined || (raw === '' && schema.emptyIsUnset !== false)) {
      if (schema.default !== undefined) values[name] = structuredClone(schema.default);
      sources[name] = 'default';
    } else {
      values[name] = parseVariable(name, schema, raw);
      sources[name] = 'env';
    }
  }
  return { values: values as ConfigVariables, sources };
}

/**
 * The environment's string as the schema's type, checked. Converted here rather than with
 * TypeBox's `Value.Convert`, which truncates "1.5" to the integer 1: a fractional value is a
 * mistake to report, not to round.
 */
function parseVariable(name: ConfigVariable, schema: VariableSchema, raw: string): unknown {
  let value: unknown = raw;
  if (schema.type === 'integer' || schema.type === 'number') {
    value = Number(raw);
  } else if (schema.contentMediaType === 'application/json') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalid(name, schema, raw);
    }
  }
  if (!Value.Check(schema, value)) throw invalid(name, schema, raw, value);
  return value;
}

/** "NAME must be <what it expects>, got <what it got>", never echoing a secret. */
function invalid(name: ConfigVariable, schema: VariableSchema, raw: string, parsed?: unknown): ConfigError {
  const got =
    schema.secret === 'value'
      ? `${raw.length} characters`
      : `"${schema.secret === 'url-password' ? redactUrl(raw) : raw}"`;
  // In a JSON value, say where the first problem is (a role map can be long): the deepest
  // path TypeBox reports, as the outer ones only say that some branch of a union failed.
  const at =
    parsed !== null && typeof parsed === 'object'
      ? Value.Errors(schema, parsed)
          .map((e) => e.instancePath)
          .reduce((deepest, path) => (path.length > deepest.length ? path : deepest), '')
      : '';
  return new ConfigError(
    `${name} must be ${expectation(schema)}, got ${got}${at ? ` (first problem at ${at})` : ''}`,
    name,
  );
}

/** What a valid value looks like, in words, from the schema. */
export function expectation(schema: VariableSchema): string {
  if (schema.expects) return schema.expects;
  if (schema.type === 'integer') return `an integer between ${schema.minimum} and ${schema.maximum}`;
  if (schema.anyOf) return `one of ${schema.anyOf.map((s) => s.const).join(', ')}`;
  if (schema.minLength !== undefined && schema.minLength > 1)
    return `at least ${schema.minLength} characters`;
  return 'a non-empty string';
}

/** PGlite admits one process per data dir: several workers need PostgreSQL. */
function workersOf(v: ConfigVariables): number {
  if (!v.DATABASE_URL) {
    if ((v.GATEHOUSE_WORKERS ?? 1) > 1)
      throw new ConfigError(
        'GATEHOUSE_WORKERS above 1 needs DATABASE_URL: the embedded database admits one process',
        'GATEHOUSE_WORKERS',
      );
    return 1;
  }
  return v.GATEHOUSE_WORKERS ?? availableParallelism();
}

function toConfig(v: ConfigVariables): Config {
  return {
    host: v.GATEHOUSE_HOST,
    port: v.GATEHOUSE_PORT,
    dataDir: resolve(v.GATEHOUSE_DATA_DIR),
    databaseUrl: v.DATABASE_URL,
    redisUrl: v.REDIS_URL,
    redisPrefix: v.GATEHOUSE_REDIS_PREFIX,
    adminToken: v.GATEHOUSE_ADMIN_TOKEN,
    masterKey: v.GATEHOUSE_MASTER_KEY,
    issuer: v.GATEHOUSE_ISSUER,
    policyFile: v.GATEHOUSE_POLICY_FILE,
    bodyLimit: v.GATEHOUSE_BODY_LIMIT,
    dbPoolSize: v.GATEHOUSE_DB_POOL_SIZE,
    workers: workersOf(v),
    logLevel: v.GATEHOUSE_LOG_LEVEL,
    recordingRetentionDays: v.GATEHOUSE_RECORDING_RETENTION_DAYS,
    checkpointSeconds: v.GATEHOUSE_CHECKPOINT_SECONDS,
    audit: auditConfig(v),
    dbAppRole: v.GATEHOUSE_DB_APP_ROLE === 'none' ? undefined : v.GATEHOUSE_DB_APP_ROLE,
    migrationDatabaseUrl: v.GATEHOUSE_MIGRATION_DATABASE_URL,
    trustProxy: v.GATEHOUSE_TRUST_PROXY,
    // Stored without a trailing slash so paths can be appended to it.
    publicUrl: v.GATEHOUSE_PUBLIC_URL && publicUrl(v.GATEHOUSE_PUBLIC_URL),
    sessionIdleMinutes: v.GATEHOUSE_SESSION_IDLE_MINUTES,
    oidc: oidcConfig(v),
    webhooks: {
      timeoutMs: v.GATEHOUSE_WEBHOOK_TIMEOUT_MS,
      maxAttempts: v.GATEHOUSE_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: v.GATEHOUSE_WEBHOOK_RETRY_BASE_MS,
    },
    grantMaxMinutes: v.GATEHOUSE_GRANT_MAX_MINUTES,
    broker: {
      statementTimeoutMs: v.GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS,
      rowCap: v.GATEHOUSE_BROKER_ROW_CAP,
      connectTimeoutMs: v.GATEHOUSE_BROKER_CONNECT_TIMEOUT_MS,
      maxStatementLength: v.GATEHOUSE_BROKER_MAX_STATEMENT_LENGTH,
      poolSize: v.GATEHOUSE_BROKER_POOL_SIZE,
    },
    slack: slackConfig(v),
    metricsToken: v.GATEHOUSE_METRICS_TOKEN,
    insights: {
      intervalSeconds: v.GATEHOUSE_INSIGHTS_INTERVAL_SECONDS,
      driftCheckSeconds: v.GATEHOUSE_DRIFT_CHECK_SECONDS,
      drift: {
        windowDays: v.GATEHOUSE_DRIFT_WINDOW_DAYS,
        baselineDays: v.GATEHOUSE_DRIFT_BASELINE_DAYS,
        ceiling: v.GATEHOUSE_DRIFT_CEILING_PERCENT / 100,
        risePoints: v.GATEHOUSE_DRIFT_RISE_POINTS,
        minRequests: v.GATEHOUSE_DRIFT_MIN_REQUESTS,
      },
    },
  };
}

/** Slack needs both halves: the token to post, the signing secret to trust what comes back. */
function slackConfig(v: ConfigVariables): SlackConfig | undefined {
  const botToken = v.GATEHOUSE_SLACK_BOT_TOKEN;
  const signingSecret = v.GATEHOUSE_SLACK_SIGNING_SECRET;
  if (!botToken && !signingSecret) return undefined;
  if (!botToken || !signingSecret) {
    throw new ConfigError(
      'Slack needs both GATEHOUSE_SLACK_BOT_TOKEN and GATEHOUSE_SLACK_SIGNING_SECRET',
      botToken ? 'GATEHOUSE_SLACK_SIGNING_SECRET' : 'GATEHOUSE_SLACK_BOT_TOKEN',
    );
  }
  return {
    botToken,
    signingSecret,
    apiUrl: v.GATEHOUSE_SLACK_API_URL.endsWith('/')
      ? v.GATEHOUSE_SLACK_API_URL
      : `${v.GATEHOUSE_SLACK_API_URL}/`,
    ...(v.GATEHOUSE_SLACK_CHANNEL ? { defaultChannel: v.GATEHOUSE_SLACK_CHANNEL } : {}),
    channels: Object.fromEntries(
      Object.entries(v.GATEHOUSE_SLACK_CHANNELS).map(([key, channel]) => {
        const [scope, ...rest] = key.split(':');
        // Environments and group names compare as the rest of Gatehouse compares them.
        const name = rest.join(':').trim();
        return [`${scope}:${scope === 'environment' ? name.toLowerCase() : name}`, channel];
      }),
    ),
    ...(v.GATEHOUSE_SLACK_TEAM_ID ? { teamId: v.GATEHOUSE_SLACK_TEAM_ID } : {}),
    linkByEmail: v.GATEHOUSE_SLACK_LINK_BY_EMAIL === 'true',
  };
}

function publicUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function auditConfig(v: ConfigVariables): AuditConfig {
  const named = v.GATEHOUSE_AUDIT_WITNESS_FILE;
  const witnessFile =
    named === 'off' ? undefined : resolve(named ?? join(v.GATEHOUSE_DATA_DIR, 'audit-witness.jsonl'));
  if (!witnessFile && v.GATEHOUSE_AUDIT_WITNESS_WEBHOOK) {
    throw new ConfigError(
      'GATEHOUSE_AUDIT_WITNESS_WEBHOOK forwards the witness file’s entries: it needs GATEHOUSE_AUDIT_WITNESS_FILE (not off)',
    );
  }
  return {
    witnessFile,
    witnessRequired: named !== undefined && named !== 'off',
    witnessWebhook: v.GATEHOUSE_AUDIT_WITNESS_WEBHOOK,
    verifySeconds: v.GATEHOUSE_AUDIT_VERIFY_SECONDS,
    laneLeaseSeconds: v.GATEHOUSE_AUDIT_LANE_LEASE_SECONDS,
  };
}

/** The rules between variables, which no single variable's schema can say. */
function oidcConfig(v: ConfigVariables): OidcConfig | undefined {
  const issuer = v.GATEHOUSE_OIDC_ISSUER;
  if (!issuer) return undefined;
  const clientId = v.GATEHOUSE_OIDC_CLIENT_ID;
  const clientSecret = v.GATEHOUSE_OIDC_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      'GATEHOUSE_OIDC_ISSUER needs GATEHOUSE_OIDC_CLIENT_ID and GATEHOUSE_OIDC_CLIENT_SECRET',
    );
  }
  if (!v.GATEHOUSE_PUBLIC_URL) {
    throw new ConfigError(
      'OIDC login needs GATEHOUSE_PUBLIC_URL (the redirect URI is <public url>/v1/auth/oidc/callback)',
    );
  }
  return {
    issuer,
    clientId,
    clientSecret,
    scopes: v.GATEHOUSE_OIDC_SCOPES,
    rolesClaim: v.GATEHOUSE_OIDC_ROLES_CLAIM,
    // A single role is a list of one.
    roleMap: Object.fromEntries(
      Object.entries(v.GATEHOUSE_OIDC_ROLE_MAP).map(([claim, roles]) => [
        claim,
        Array.isArray(roles) ? roles : [roles],
      ]),
    ),
  };
}
