import { createLocalJWKSet, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildVerdictClaims,
  type CommandSubject,
  canonicalCommand,
  commandHash,
  generateVerdictKeyPair,
  MAX_VERDICT_TTL_SECONDS,
  privateKeyFromJwk,
  signingKeyFromJwk,
  signVerdict,
  type VerdictKeyPair,
  verifyVerdict,
} from '../src/index.ts';

const subject: CommandSubject = { kind: 'shell', command: 'ls -la /tmp', target: 'build-01' };

function facts(overrides: Partial<Parameters<typeof buildVerdictClaims>[0]> = {}) {
  return {
    issuer: 'gatehouse',
    agentId: 'agt_1',
    sessionId: 'ses_1',
    requestId: 'req_1',
    decision: 'allow' as const,
    tier: 'auto' as const,
    score: 3,
    subject,
    approvers: [],
    policyVersion: '2026.11.1',
    ...overrides,
  };
}

describe('command hashing', () => {
  it('binds kind, dialect, command and target', () => {
    const base = commandHash(subject);
    expect(commandHash({ ...subject })).toBe(base);
    expect(commandHash({ ...subject, command: 'ls -la  /tmp' })).not.toBe(base);
    expect(commandHash({ ...subject, target: 'build-02' })).not.toBe(base);
    expect(commandHash({ ...subject, target: null })).not.toBe(base);
    expect(commandHash({ ...subject, kind: 'sql' })).not.toBe(base);
  });

  it('defaults the SQL dialect to postgresql and ignores a dialect on shell', () => {
    const sql: CommandSubject = { kind: 'sql', command: 'select 1' };
    expect(commandHash(sql)).toBe(commandHash({ ...sql, dialect: 'postgresql' }));
    expect(commandHash(sql)).not.toBe(commandHash({ ...sql, dialect: 'mysql' }));
    expect(canonicalCommand({ ...subject, dialect: 'mysql' })).toBe(canonicalCommand(subject));
  });

  it('cannot be confused by field boundaries', () => {
    const a = commandHash({ kind: 'shell', command: 'a","b', target: null });
    const b = commandHash({ kind: 'shell', command: 'a', target: 'b' });
    expect(a).not.toBe(b);
  });
});

describe('verdict claims', () => {
  it('expire in minutes, capped', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const claims = buildVerdictClaims(facts({ now }));
    expect(claims.iat).toBe(now.getTime() / 1000);
    expect(claims.exp - claims.iat).toBe(300);
    expect(buildVerdictClaims(facts({ now, ttlSeconds: 86_400 })).exp - claims.iat).toBe(
      MAX_VERDICT_TTL_SECONDS,
    );
    expect(claims).toMatchObject({ sub: 'agt_1', sid: 'ses_1', jti: 'req_1', cmd: commandHash(subject) });
  });
});

describe('sign and verify', () => {
  let key: VerdictKeyPair;
  let other: VerdictKeyPair;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    key = await generateVerdictKeyPair();
    other = await generateVerdictKeyPair();
    jwks = createLocalJWKSet({ keys: [key.publicJwk] });
  });

  const sign = async (claims = buildVerdictClaims(facts()), pair = key) =>
    signVerdict(claims, signingKeyFromJwk(pair.privateJwk));

  it('round-trips a verdict for the exact command', async () => {
    const claims = await verifyVerdict(await sign(), jwks, { subject, agentId: 'agt_1', requestId: 'req_1' });
    expect(claims.decision).toBe('allow');
  });

  it('refuses a verdict for another command', async () => {
    await expect(
      verifyVerdict(await sign(), jwks, { subject: { ...subject, command: 'rm -rf /tmp' } }),
    ).rejects.toMatchObject({ code: 'ERR_VERDICT_COMMAND_MISMATCH' });
  });

  it('refuses a verdict for another agent or request', async () => {
    const jws = await sign();
    await expect(verifyVerdict(jws, jwks, { subject, agentId: 'agt_2' })).rejects.toMatchObject({
      code: 'ERR_VERDICT_WRONG_SUBJECT',
    });
    await expect(verifyVerdict(jws, jwks, { subject, requestId: 'req_2' })).rejects.toMatchObject({
      code: 'ERR_VERDICT_WRONG_SUBJECT',
    });
  });

  it('refuses an expired verdict', async () => {
    const old = buildVerdictClaims(facts({ now: new Date(Date.now() - 3_600_000) }));
    await expect(verifyVerdict(await sign(old), jwks, { subject })).rejects.toMatchObject({
      code: 'ERR_VERDICT_EXPIRED',
    });
  });

  it('refuses a tampered payload', async () => {
    const [h, p, s] = (await sign(buildVerdictClaims(facts({ decision: 'deny' })))).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.decision = 'allow';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    await expect(verifyVerdict(forged, jwks, { subject })).rejects.toMatchObject({
      code: 'ERR_VERDICT_SIGNATURE',
    });
  });

  it('refuses a key the server does not publish', async () => {
    await expect(verifyVerdict(await sign(undefined, other), jwks, { subject })).rejects.toMatchObject({
      code: 'ERR_VERDICT_UNKNOWN_KEY',
    });
  });

  it('refuses a JWT of another type signed by the same key', async () => {
    const token = await new SignJWT({ ...buildVerdictClaims(facts()) })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .sign(privateKeyFromJwk(key.privateJwk));
    await expect(verifyVerdict(token, jwks, { subject })).rejects.toMatchObject({
      code: 'ERR_VERDICT_CLAIMS',
    });
  });

  it('refuses garbage and unsigned tokens', async () => {
    await expect(verifyVerdict('not-a-jws', jwks, { subject })).rejects.toMatchObject({
      code: 'ERR_VERDICT_MALFORMED',
    });
    const none = `${Buffer.from('{"alg":"none","typ":"gatehouse-verdict+jwt"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(buildVerdictClaims(facts())),
    ).toString('base64url')}.`;
    await expect(verifyVerdict(none, jwks, { subject })).rejects.toHaveProperty('code');
  });
});
