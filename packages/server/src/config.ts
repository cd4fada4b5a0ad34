import { resolve } from 'node:path';
import type { MaskingConfig } from '@gatehouse/mask';

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

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'GATEHOUSE_PORT', 8080, 0, 65_535);
  const host = env.GATEHOUSE_HOST || '127.0.0.1';
  if (env.GATEHOUSE_MASTER_KEY !== undefined && env.GATEHOUSE_MASTER_KEY.length < 32) {
    throw new ConfigError(
      'GATEHOUSE_MASTER_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)',
    );
  }
  if (env.GATEHOUSE_ADMIN_TOKEN !== undefined && env.GATEHOUSE_ADMIN_TOKEN.length < 24) {
    throw new ConfigError('GATEHOUSE_ADMIN_TOKEN must be at least 24 characters');
  }
  return {
    host,
    port,
    dataDir: resolve(env.GATEHOUSE_DATA_DIR || '.gatehouse'),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.GATEHOUSE_REDIS_PREFIX || 'gatehouse',
    adminToken: env.GATEHOUSE_ADMIN_TOKEN || undefined,
    masterKey: env.GATEHOUSE_MASTER_KEY || undefined,
    issuer: env.GATEHOUSE_ISSUER || 'gatehouse',
    policyFile: env.GATEHOUSE_POLICY_FILE || undefined,
    bodyLimit: integer(env, 'GATEHOUSE_BODY_LIMIT', 256 * 1024, 1024, 16 * 1024 * 1024),
    dbPoolSize: integer(env, 'GATEHOUSE_DB_POOL_SIZE', 20, 1, 500),
    logLevel: env.GATEHOUSE_LOG_LEVEL || 'info',
    recordingRetentionDays: integer(env, 'GATEHOUSE_RECORDING_RETENTION_DAYS', 90, 1, 36_500),
    checkpointSeconds: integer(env, 'GATEHOUSE_CHECKPOINT_SECONDS', 60, 1, 3_600),
    trustProxy: env.GATEHOUSE_TRUST_PROXY || undefined,
    publicUrl: publicUrl(env),
    sessionIdleMinutes: integer(env, 'GATEHOUSE_SESSION_IDLE_MINUTES', 30, 1, 12 * 60),
    oidc: oidcConfig(env),
  };
}

function publicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.GATEHOUSE_PUBLIC_URL;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `GATEHOUSE_PUBLIC_URL must be a URL such as https://gatehouse.example.com, got "${raw}"`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('GATEHOUSE_PUBLIC_URL must start with https: (or http: on a trusted network)');
  }
  // Stored without a trailing slash so paths can be appended to it.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.GATEHOUSE_OIDC_ISSUER;
  if (!issuer) return undefined;
  const clientId = env.GATEHOUSE_OIDC_CLIENT_ID;
  const clientSecret = env.GATEHOUSE_OIDC_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      'GATEHOUSE_OIDC_ISSUER needs GATEHOUSE_OIDC_CLIENT_ID and GATEHOUSE_OIDC_CLIENT_SECRET',
    );
  }
  if (!env.GATEHOUSE_PUBLIC_URL) {
    throw new ConfigError(
      'OIDC login needs GATEHOUSE_PUBLIC_URL (the redirect URI is <public url>/v1/auth/oidc/callback)',
    );
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`GATEHOUSE_OIDC_ISSUER must be a URL, got "${issuer}"`);
  }
  // Tokens and userinfo travel over this connection: plain http only to this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('GATEHOUSE_OIDC_ISSUER must be an https: URL');
  }
  return {
    issuer,
    clientId,
    clientSecret,
    scopes: env.GATEHOUSE_OIDC_SCOPES || 'openid email profile',
    rolesClaim: env.GATEHOUSE_OIDC_ROLES_CLAIM || 'groups',
    roleMap: roleMap(env.GATEHOUSE_OIDC_ROLE_MAP),
  };
}

function roleMap(raw: string | undefined): Record<string, string[]> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('GATEHOUSE_OIDC_ROLE_MAP must be JSON: {"<claim value>": "<role or group:name>"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('GATEHOUSE_OIDC_ROLE_MAP must be a JSON object');
  }
  const map: Record<string, string[]> = {};
  for (const [claim, target] of Object.entries(parsed)) {
    const targets = Array.isArray(target) ? target : [target];
    for (const t of targets) {
      const valid =
        typeof t === 'string' &&
        (['admin', 'approver', 'auditor'].includes(t) || /^group:[\w.@-]{1,100}$/.test(t));
      if (!valid) {
        throw new ConfigError(
          `GATEHOUSE_OIDC_ROLE_MAP: "${claim}" maps to ${JSON.stringify(t)}; use admin, approver, auditor or group:<name>`,
        );
      }
    }
    map[claim] = targets as string[];
  }
  return map;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}
