import { ROLES } from '@gatehouse/contract';
import Type, { type Static, type TSchema } from 'typebox';

// Every environment variable the server reads, once: its type (a TypeBox schema of the value
// after conversion from the environment's string), default and description. `loadConfig`
// parses through it, `gatehouse config` shows it, and the README's table is generated from it
// (`npm run docs:config`). Besides the JSON Schema keywords, a variable may carry:
//   defaultText   what an unset variable means when there is no literal default
//   expects       the phrase error messages use for a valid value, where the schema's own is unclear
//   secret        'value': never shown, not even in errors; 'url-password': the URL is shown
//                 with its password masked
//   emptyIsUnset  false when an empty value is a mistake to refuse, not "use the default": a
//                 secret that resolved to nothing must not quietly become a generated one

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const isUrl = (value: string, accept: (url: URL) => boolean) => {
  try {
    return accept(new URL(value));
  } catch {
    return false;
  }
};

/** http: or https: */
const webUrl = (url: URL) => url.protocol === 'https:' || url.protocol === 'http:';
/** Tokens and userinfo travel over this connection: plain http only to this machine. */
const secureOrLoopback = (url: URL) =>
  url.protocol === 'https:' ||
  (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));

const role = Type.Union([
  ...ROLES.map((r) => Type.Literal(r)),
  Type.String({ pattern: '^group:[\\w.@-]{1,100}$' }),
]);

export const CONFIG_SCHEMA = Type.Object({
  GATEHOUSE_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'listen address' }),
  GATEHOUSE_PORT: Type.Integer({
    minimum: 0,
    maximum: 65_535,
    default: 8080,
    description: 'listen port (`0`: any free port)',
  }),
  GATEHOUSE_DATA_DIR: Type.String({
    minLength: 1,
    default: './.gatehouse',
    description: 'PGlite data, `admin-token`, `master.key`',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({ secret: 'url-password', description: 'PostgreSQL instead of PGlite' }),
  ),
  GATEHOUSE_DB_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 20,
    description: 'PostgreSQL connections per process',
  }),
  GATEHOUSE_WORKERS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 64,
      defaultText: 'the number of cores with DATABASE_URL; 1 embedded',
      description: 'API processes of `gatehouse start` (node:cluster, one port); embedded mode runs one',
    }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      secret: 'url-password',
      description: 'BullMQ jobs and pub/sub instead of in-process',
    }),
  ),
  GATEHOUSE_REDIS_PREFIX: Type.String({
    minLength: 1,
    default: 'gatehouse',
    description: 'namespace of Redis keys and channels',
  }),
  GATEHOUSE_ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 24,
      secret: 'value',
      emptyIsUnset: false,
      defaultText: 'generated on first start',
      description: 'bootstrap admin credential',
    }),
  ),
  GATEHOUSE_MASTER_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      secret: 'value',
      emptyIsUnset: false,
      expects: 'at least 32 characters (e.g. `openssl rand -base64 32`)',
      defaultText: '<data dir>/master.key',
      description: 'seals signing keys at rest; every replica must share it',
    }),
  ),
  GATEHOUSE_POLICY_FILE: Type.Optional(
    Type.String({
      defaultText: 'built-in policy',
      description: 'risk policy YAML (see `packages/risk/README.md`)',
    }),
  ),
  GATEHOUSE_ISSUER: Type.String({
    minLength: 1,
    default: 'gatehouse',
    description: '`iss` of verdicts and session tokens',
  }),
  GATEHOUSE_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    maximum: 16 * 1024 * 1024,
    default: 256 * 1024,
    description: 'largest request body, bytes',
  }),
  GATEHOUSE_CHECKPOINT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3_600,
    default: 60,
    description: 'audit checkpoint interval: the window a tail truncation could hide in',
  }),
  GATEHOUSE_AUDIT_WITNESS_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      defaultText: '<data dir>/audit-witness.jsonl',
      description:
        'append-only file where every checkpoint and verification report is also recorded (best on another volume; `off`: none). Set, `audit verify` fails without it',
    }),
  ),
  GATEHOUSE_AUDIT_WITNESS_WEBHOOK: Type.Optional(
    Type.Refine(
      Type.String({
        format: 'uri',
        expects: 'an https: URL (http: only to localhost)',
        description: 'also POST each witness entry (one signed JSON line) here, e.g. to a log archive',
      }),
      (value) => isUrl(value, secureOrLoopback),
    ),
  ),
  GATEHOUSE_AUDIT_VERIFY_SECONDS: Type.Integer({
    minimum: 5,
    maximum: 86_400,
    default: 300,
    description: 'continuous verification: how often the jobs verify what the audit log gained',
  }),
  GATEHOUSE_AUDIT_LANE_LEASE_SECONDS: Type.Integer({
    minimum: 2,
    maximum: 600,
    default: 30,
    description: 'how long an audit lane stays a stopped process’s before another takes it over',
  }),
  GATEHOUSE_DB_APP_ROLE: Type.String({
    pattern: '^(none|[a-z_][a-z0-9_]{0,62})$',
    default: 'gatehouse_app',
    expects: 'a PostgreSQL role name (a-z, 0-9, _) or none',
    description:
      'PostgreSQL role the server works as: it may insert audit rows, not change them (`none`: the login’s own rights; see `docs/operations.md`)',
  }),
  GATEHOUSE_MIGRATION_DATABASE_URL: Type.Optional(
    Type.String({
      secret: 'url-password',
      defaultText: 'DATABASE_URL',
      description:
        'PostgreSQL login that applies migrations (the schema owner), when DATABASE_URL logs in as the application role',
    }),
  ),
  GATEHOUSE_RECORDING_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    maximum: 36_500,
    default: 90,
    description: 'recordings are purged after this; the audit chain never is',
  }),
  GATEHOUSE_PUBLIC_URL: Type.Optional(
    Type.Refine(
      Type.String({
        format: 'uri',
        expects: 'an https: URL (or http: on a trusted network) such as https://gatehouse.example.com',
        description: 'URL people use; `https:` makes cookies `Secure`; needed for OIDC',
      }),
      (value) => isUrl(value, webUrl),
    ),
  ),
  GATEHOUSE_SESSION_IDLE_MINUTES: Type.Integer({
    minimum: 1,
    maximum: 12 * 60,
    default: 30,
    description: 'web session idle timeout',
  }),
  GATEHOUSE_TRUST_PROXY: Type.Optional(
    Type.String({
      description: 'proxies whose `X-Forwarded-For` is believed (addresses or CIDRs, comma-separated)',
    }),
  ),
  GATEHOUSE_OIDC_ISSUER: Type.Optional(
    Type.Refine(
      Type.String({
        format: 'uri',
        expects: 'an https: URL (http: only to localhost)',
        defaultText: 'local accounts only',
        description: 'OpenID Connect provider for human login (see `docs/web-api.md`)',
      }),
      (value) => isUrl(value, secureOrLoopback),
    ),
  ),
  GATEHOUSE_OIDC_CLIENT_ID: Type.Optional(
    Type.String({ description: 'OIDC client id (needed with the issuer)' }),
  ),
  GATEHOUSE_OIDC_CLIENT_SECRET: Type.Optional(
    Type.String({
      secret: 'value',
      description: 'OIDC client secret (needed with the issuer)',
    }),
  ),
  GATEHOUSE_OIDC_SCOPES: Type.String({
    minLength: 1,
    default: 'openid email profile',
    description: 'scopes asked of the OIDC provider',
  }),
  GATEHOUSE_OIDC_ROLES_CLAIM: Type.String({
    minLength: 1,
    default: 'groups',
    description: 'the claim (ID token or userinfo) that lists the person’s groups or roles',
  }),
  GATEHOUSE_OIDC_ROLE_MAP: Type.Record(Type.String(), Type.Union([role, Type.Array(role)]), {
    contentMediaType: 'application/json',
    default: {},
    expects:
      'a JSON object of claim value → admin, approver, auditor or group:<name> (or a list of them), ' +
      'e.g. {"eng-oncall": "approver", "dba": ["group:dba", "auditor"]}',
    description: 'claim value → Gatehouse roles and approver groups',
  }),
  GATEHOUSE_WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 10_000,
    description: 'how long a webhook receiver may take to answer one delivery attempt, ms',
  }),
  GATEHOUSE_WEBHOOK_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 20,
    default: 8,
    description: 'attempts per webhook delivery before it is marked failed (admins can replay it)',
  }),
  GATEHOUSE_WEBHOOK_RETRY_BASE_MS: Type.Integer({
    minimum: 10,
    maximum: 3_600_000,
    default: 5_000,
    description:
      'delay before the first webhook retry; each later one waits 4× longer (at most 6 h), with jitter',
  }),
  GATEHOUSE_GRANT_MAX_MINUTES: Type.Integer({
    minimum: 1,
    maximum: 10_080,
    default: 480,
    description: 'longest just-in-time grant an agent may ask for, minutes (see docs/grants.md)',
  }),
  GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 3_600_000,
    default: 30_000,
    description: 'longest a brokered statement may run on its target before it is cancelled, ms',
  }),
  GATEHOUSE_BROKER_ROW_CAP: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 10_000,
    description:
      'rows a brokered statement returns at most; more are dropped and the result is marked truncated',
  }),
  GATEHOUSE_BROKER_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 120_000,
    default: 5_000,
    description: 'how long the broker waits to connect to a target before answering TARGET_UNREACHABLE, ms',
  }),
  GATEHOUSE_BROKER_MAX_STATEMENT_LENGTH: Type.Integer({
    minimum: 16,
    maximum: 65_536,
    default: 16_384,
    description: 'longest statement (characters) a brokered request may carry',
  }),
  GATEHOUSE_BROKER_POOL_SIZE: Type.Integer({
    minimum: 0,
    maximum: 100,
    default: 4,
    description:
      'idle sessions the broker keeps open per connection, reset before each reuse; 0 opens a fresh session per run',
  }),
  GATEHOUSE_SLACK_BOT_TOKEN: Type.Optional(
    Type.String({
      minLength: 1,
      secret: 'value',
      emptyIsUnset: false,
      defaultText: 'Slack off',
      description:
        'bot token (`xoxb-…`) of the Slack app that posts pending requests (see `docs/notifications.md`)',
    }),
  ),
  GATEHOUSE_SLACK_SIGNING_SECRET: Type.Optional(
    Type.String({
      minLength: 1,
      secret: 'value',
      emptyIsUnset: false,
      description:
        'the Slack app’s signing secret: interactions must carry its signature (needed with the token)',
    }),
  ),
  GATEHOUSE_SLACK_CHANNEL: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 80,
      description: 'channel id for pending requests that no route below matches',
    }),
  ),
  GATEHOUSE_SLACK_CHANNELS: Type.Refine(
    Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 80 }), {
      contentMediaType: 'application/json',
      default: {},
      expects:
        'a JSON object of group:<approver group name> or environment:<environment> → channel id, ' +
        'e.g. {"group:dba": "C0DBA", "environment:prod": "C0PROD"}',
      description:
        'Slack channel by approver group or environment (groups first, then environment, then the default)',
    }),
    (value) => Object.keys(value).every((key) => /^(group|environment):\S.*$/.test(key)),
  ),
  GATEHOUSE_SLACK_TEAM_ID: Type.Optional(
    Type.String({
      pattern: '^T[A-Z0-9]{2,30}$',
      expects: 'a Slack workspace id such as T0123ABCD',
      defaultText: 'any',
      description: 'accept interactions only from this Slack workspace',
    }),
  ),
  GATEHOUSE_SLACK_LINK_BY_EMAIL: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'true',
    description:
      'map Slack members to Gatehouse people by their confirmed Slack email (`false`: admin links only)',
  }),
  GATEHOUSE_SLACK_API_URL: Type.Refine(
    Type.String({
      format: 'uri',
      default: 'https://slack.com/api/',
      expects: 'an https: URL (http: only to localhost)',
      description: 'Slack Web API base URL (a proxy, or a local test server)',
    }),
    (value) => isUrl(value, secureOrLoopback),
  ),
  GATEHOUSE_METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 24,
      secret: 'value',
      emptyIsUnset: false,
      defaultText: 'admin token only',
      description: 'bearer token that may read `GET /metrics` (Prometheus); an admin token may too',
    }),
  ),
  GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3_600,
    default: 15,
    description:
      'how often the security console’s rollups and the anomaly baselines take in new and closed requests',
  }),
  GATEHOUSE_DRIFT_CHECK_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 300,
    description: 'how often the auto-approval drift alarm is checked',
  }),
  GATEHOUSE_DRIFT_WINDOW_DAYS: Type.Integer({
    minimum: 1,
    maximum: 90,
    default: 7,
    description: 'drift alarm: the rolling window whose auto-approval rate is judged',
  }),
  GATEHOUSE_DRIFT_BASELINE_DAYS: Type.Integer({
    minimum: 1,
    maximum: 365,
    default: 28,
    description: 'drift alarm: the baseline, this many days before the window',
  }),
  GATEHOUSE_DRIFT_CEILING_PERCENT: Type.Number({
    minimum: 0,
    maximum: 100,
    default: 95,
    expects: 'a number between 0 and 100',
    description: 'drift alarm: a window rate above this percentage alarms',
  }),
  GATEHOUSE_DRIFT_RISE_POINTS: Type.Number({
    minimum: 0,
    maximum: 100,
    default: 10,
    expects: 'a number between 0 and 100',
    description: 'drift alarm: a window rate more than this many points above the baseline alarms',
  }),
  GATEHOUSE_DRIFT_MIN_REQUESTS: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 50,
    description: 'drift alarm: fewer requests in the window (or baseline) than this are not judged',
  }),
  GATEHOUSE_LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', description: 'server log level' },
  ),
});

/** The variables as `loadConfig` reads them, each converted to its type. */
export type ConfigVariables = Static<typeof CONFIG_SCHEMA>;
export type ConfigVariable = keyof ConfigVariables;

/** The extra keywords above, as `loadConfig` and the docs read them. */
export interface VariableSchema extends TSchema {
  type?: string;
  format?: string;
  description: string;
  default?: unknown;
  defaultText?: string;
  expects?: string;
  secret?: 'value' | 'url-password';
  emptyIsUnset?: boolean;
  contentMediaType?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  anyOf?: { const?: unknown }[];
}

/** Each variable's name and schema, in the order of the schema (the order of the docs). */
export function configVariables(): [ConfigVariable, VariableSchema][] {
  return Object.entries(CONFIG_SCHEMA.properties) as unknown as [ConfigVariable, VariableSchema][];
}
