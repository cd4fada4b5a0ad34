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
