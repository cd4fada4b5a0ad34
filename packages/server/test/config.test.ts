import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../src/config.ts';
import { configVariables } from '../src/config-schema.ts';

const OIDC = {
  GATEHOUSE_OIDC_ISSUER: 'https://idp.example.com',
  GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse',
  GATEHOUSE_OIDC_CLIENT_SECRET: 'client-secret-value',
  GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.com/',
};

function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('runs with no configuration at all: the embedded defaults', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: resolve('.gatehouse'),
      redisPrefix: 'gatehouse',
      issuer: 'gatehouse',
      bodyLimit: 262_144,
      dbPoolSize: 20,
      workers: 1,
      logLevel: 'info',
      recordingRetentionDays: 90,
      checkpointSeconds: 60,
      audit: {
        witnessFile: resolve('.gatehouse', 'audit-witness.jsonl'),
        witnessRequired: false,
        verifySeconds: 300,
        laneLeaseSeconds: 30,
      },
      dbAppRole: 'gatehouse_app',
      sessionIdleMinutes: 30,
      webhooks: { timeoutMs: 10_000, maxAttempts: 8, retryBaseMs: 5_000 },
      broker: {
        statementTimeoutMs: 30_000,
        rowCap: 10_000,
        connectTimeoutMs: 5_000,
        maxStatementLength: 16_384,
        poolSize: 4,
      },
      grantMaxMinutes: 480,
      insights: {
        intervalSeconds: 15,
        driftCheckSeconds: 300,
        drift: { windowDays: 7, baselineDays: 28, ceiling: 0.95, risePoints: 10, minRequests: 50 },
      },
    });
  });

  it('runs one API process per core on PostgreSQL, and refuses several on the embedded database', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/gh' }).workers).toBe(availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'postgres://db/gh', GATEHOUSE_WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ GATEHOUSE_WORKERS: '1' }).workers).toBe(1);
    expect(refusal({ GATEHOUSE_WORKERS: '2' }).message).toBe(
      'GATEHOUSE_WORKERS above 1 needs DATABASE_URL: the embedded database admits one process',
    );
  });

  it('takes every variable from the environment, converted to its type', () => {
    const config = loadConfig({
      GATEHOUSE_HOST: '0.0.0.0',
      GATEHOUSE_PORT: '9000',
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      DATABASE_URL: 'postgres://gh:pw@db/gh',
      REDIS_URL: 'redis://cache:6379',
      GATEHOUSE_DB_POOL_SIZE: '7',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_TRUST_PROXY: '10.0.0.0/8',
      ...OIDC,
      GATEHOUSE_OIDC_ROLE_MAP: JSON.stringify({ 'eng-oncall': 'approver', dba: ['group:dba', 'auditor'] }),
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      dataDir: '/var/lib/gatehouse',
      databaseUrl: 'postgres://gh:pw@db/gh',
      redisUrl: 'redis://cache:6379',
      dbPoolSize: 7,
      logLevel: 'warn',
      trustProxy: '10.0.0.0/8',
      // Without the trailing slash, so paths append to it.
      publicUrl: 'https://gatehouse.example.com',
      oidc: {
        issuer: 'https://idp.example.com',
        scopes: 'openid email profile',
        rolesClaim: 'groups',
        // One role is a list of one.
        roleMap: { 'eng-oncall': ['approver'], dba: ['group:dba', 'auditor'] },
      },
    });
  });

  it('treats an empty variable as unset, but refuses an empty secret', () => {
    expect(loadConfig({ GATEHOUSE_PORT: '', DATABASE_URL: '', GATEHOUSE_LOG_LEVEL: '' })).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      logLevel: 'info',
    });
    // A secret that resolved to nothing must not silently become a generated one.
    expect(refusal({ GATEHOUSE_MASTER_KEY: '' }).message).toMatch(
      /^GATEHOUSE_MASTER_KEY must be at least 32/,
    );
    expect(refusal({ GATEHOUSE_ADMIN_TOKEN: '' }).message).toMatch(
      /^GATEHOUSE_ADMIN_TOKEN must be at least 24/,
    );
  });

  it('refuses every integer out of range, fractional or not a number, naming the variable, value and range', () => {
    const integers = configVariables().filter(([, schema]) => schema.type === 'integer');
    expect(integers.length).toBeGreaterThan(5);
    for (const [name, schema] of integers) {
      for (const value of [String(schema.minimum! - 1), String(schema.maximum! + 1), '2.5', 'lots']) {
        const error = refusal({ [name]: value });
        expect(error.variable).toBe(name);
        expect(error.message).toBe(
          `${name} must be an integer between ${schema.minimum} and ${schema.maximum}, got "${value}"`,
        );
      }
      // With PostgreSQL, which GATEHOUSE_WORKERS above 1 needs; no other integer depends on it.
      expect(() =>
        loadConfig({ DATABASE_URL: 'postgres://db/gh', [name]: String(schema.maximum) }),
      ).not.toThrow();
    }
  });

  it('never repeats a secret in an error', () => {
    const error = refusal({ GATEHOUSE_MASTER_KEY: 'hunter2-short' });
    expect(error.message).toBe(
      'GATEHOUSE_MASTER_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`), got 13 characters',
    );
    expect(refusal({ GATEHOUSE_ADMIN_TOKEN: 'tiny-token' }).message).not.toContain('tiny-token');
  });

  it('refuses URLs the server must not use', () => {
    expect(refusal({ GATEHOUSE_PUBLIC_URL: 'gatehouse.example.com' }).message).toBe(
      'GATEHOUSE_PUBLIC_URL must be an https: URL (or http: on a trusted network) such as ' +
        'https://gatehouse.example.com, got "gatehouse.example.com"',
    );
    expect(refusal({ GATEHOUSE_PUBLIC_URL: 'ftp://gatehouse.example.com' }).variable).toBe(
      'GATEHOUSE_PUBLIC_URL',
    );
    // Tokens travel to the issuer: plain http only to this machine.
    expect(refusal({ ...OIDC, GATEHOUSE_OIDC_ISSUER: 'http://idp.example.com' }).message).toMatch(
      /^GATEHOUSE_OIDC_ISSUER must be an https: URL \(http: only to localhost\), got "http:\/\/idp\.example\.com"/,
    );
    expect(loadConfig({ ...OIDC, GATEHOUSE_OIDC_ISSUER: 'http://127.0.0.1:4000' }).oidc?.issuer).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it('refuses an unknown log level, listing the levels', () => {
    expect(refusal({ GATEHOUSE_LOG_LEVEL: 'loud' }).message).toBe(
      'GATEHOUSE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('checks the rules between the OIDC variables', () => {
    expect(refusal({ GATEHOUSE_OIDC_ISSUER: OIDC.GATEHOUSE_OIDC_ISSUER }).message).toBe(
      'GATEHOUSE_OIDC_ISSUER needs GATEHOUSE_OIDC_CLIENT_ID and GATEHOUSE_OIDC_CLIENT_SECRET',
    );
    expect(refusal({ ...OIDC, GATEHOUSE_PUBLIC_URL: '' }).message).toMatch(
      /^OIDC login needs GATEHOUSE_PUBLIC_URL/,
    );
  });

  it('refuses a role map that is not JSON, or maps to something that is not a role, saying where', () => {
    expect(refusal({ ...OIDC, GATEHOUSE_OIDC_ROLE_MAP: '{oops' }).message).toMatch(
      /^GATEHOUSE_OIDC_ROLE_MAP must be a JSON object of claim value → admin, approver, auditor or group:<name>.*, got "\{oops"$/,
    );
    const map = JSON.stringify({ dba: ['auditor', 'root'] });
    expect(refusal({ ...OIDC, GATEHOUSE_OIDC_ROLE_MAP: map }).message).toMatch(/first problem at \/dba\)$/);
    expect(refusal({ ...OIDC, GATEHOUSE_OIDC_ROLE_MAP: '["admin"]' }).variable).toBe(
      'GATEHOUSE_OIDC_ROLE_MAP',
    );
  });
});

describe('describeConfig', () => {
  const entry = (entries: ReturnType<typeof describeConfig>, name: string) =>
    entries.find((e) => e.variable === name);

  it('lists every variable with its value and where it came from', () => {
    const entries = describeConfig({ GATEHOUSE_PORT: '9000' });
    expect(entries.map((e) => e.variable)).toEqual(configVariables().map(([name]) => name));
    expect(entry(entries, 'GATEHOUSE_PORT')).toEqual({
      variable: 'GATEHOUSE_PORT',
      value: 9000,
      source: 'env',
    });
    expect(entry(entries, 'GATEHOUSE_HOST')).toEqual({
      variable: 'GATEHOUSE_HOST',
      value: '127.0.0.1',
      source: 'default',
    });
    expect(entry(entries, 'GATEHOUSE_ADMIN_TOKEN')).toEqual({
      variable: 'GATEHOUSE_ADMIN_TOKEN',
      value: undefined,
      source: 'default',
      unset: 'generated on first start',
    });
  });

  it('redacts the secrets and the passwords inside URLs', () => {
    const env = {
      GATEHOUSE_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      GATEHOUSE_MASTER_KEY: 'master-key-0123456789abcdef0123456789',
      DATABASE_URL: 'postgres://gatehouse:db-pass-123@db.internal:5432/gatehouse',
      REDIS_URL: 'redis://:redis-pass-456@cache.internal:6379',
      ...OIDC,
    };
    const entries = describeConfig(env);
    const shown = JSON.stringify(entries);
    for (const secret of [
      'admin-token-0123',
      'master-key-0123',
      'db-pass-123',
      'redis-pass-456',
      'client-secret-value',
    ])
      expect(shown).not.toContain(secret);
    expect(entry(entries, 'GATEHOUSE_ADMIN_TOKEN')?.value).toBe('<redacted>');
    expect(entry(entries, 'GATEHOUSE_OIDC_CLIENT_SECRET')?.value).toBe('<redacted>');
    expect(entry(entries, 'DATABASE_URL')?.value).toBe('postgres://gatehouse:***@db.internal:5432/gatehouse');
    expect(entry(entries, 'REDIS_URL')?.value).toBe('redis://:***@cache.internal:6379');
    // What does not parse as a URL could hold a password anywhere.
    expect(entry(describeConfig({ DATABASE_URL: 'password=x host=db' }), 'DATABASE_URL')?.value).toBe(
      '<redacted> (not a URL)',
    );
  });

  it('refuses a configuration the server would refuse', () => {
    expect(() => describeConfig({ GATEHOUSE_OIDC_ISSUER: 'https://idp.example.com' })).toThrow(ConfigError);
  });
});
