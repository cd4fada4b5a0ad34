import { createHmac, createPrivateKey, createPublicKey, sign as rawSign } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import {
  buildVerdictClaims,
  type CommandSubject,
  canonicalCommand,
  commandHash,
  signCompactJws,
  signingKeyFromJwk,
  signVerdict,
  VERDICT_ALG,
  VERDICT_TYP,
  type VerdictClaims,
  type VerdictErrorCode,
} from '../../src/index.ts';

// Shared test vectors: verdicts signed by the production signing code and command hashes
// computed by the production canonical form, verified by this package's tests and by every
// other SDK (sdks/python). Everything is derived from fixed seeds and a fixed clock, and
// Ed25519 signatures are deterministic, so a rebuild produces the committed file byte for
// byte; vectors.test.ts fails when the two drift apart.

/** The clock every vector is verified at: 2027-01-01T00:00:00Z. */
export const VECTORS_NOW = 1_798_761_600;
const TOLERANCE = 5;

export interface VectorExpectation {
  subject: { kind: 'shell' | 'sql'; command: string; dialect: string | null; target: string | null };
  requestId: string;
  agentId?: string;
  issuer?: string;
  /** Seconds since the epoch to verify at. */
  now: number;
  clockToleranceSeconds: number;
}

export interface VerdictVector {
  name: string;
  description: string;
  jws: string;
  expect: VectorExpectation;
  /** `valid` with the claims the verifier returns, or the error code it must refuse with. */
  result:
    | { valid: true; claims: VerdictClaims; runnable: boolean }
    | { valid: false; code: VerdictErrorCode };
}

export interface CommandVector {
  subject: CommandSubject;
  canonical: string;
  hash: string;
}

export interface Vectors {
  comment: string;
  regenerate: string;
  jwks: { keys: JWK[] };
  commands: CommandVector[];
  verdicts: VerdictVector[];
}

/** An Ed25519 key from a fixed 32-byte seed (PKCS#8 prefix for Ed25519 private keys). */
async function seededKey(
  fill: number,
): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK & { kid: string } }> {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, fill)]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const priv = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(pub);
  const decorate = { kid, alg: VERDICT_ALG, use: 'sig' };
  return { kid, publicJwk: { ...pub, ...decorate }, privateJwk: { ...priv, ...decorate } };
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export async function buildVectors(): Promise<Vectors> {
  const primary = await seededKey(0x11);
  const rotated = await seededKey(0x22);
  const stranger = await seededKey(0x33);
  const signing = signingKeyFromJwk(primary.privateJwk);

  const shell: VectorExpectation['subject'] = {
    kind: 'shell',
    command: 'ls -la /tmp',
    dialect: null,
    target: 'build-01',
  };
  const expectFor = (subject = shell, overrides: Partial<VectorExpectation> = {}): VectorExpectation => ({
    subject,
    requestId: 'req_vector_1',
    agentId: 'agt_vector',
    issuer: 'gatehouse',
    now: VECTORS_NOW,
    clockToleranceSeconds: TOLERANCE,
    ...overrides,
  });
  const claimsFor = (
    subject: CommandSubject = shell,
    overrides: Partial<Parameters<typeof buildVerdictClaims>[0]> = {},
  ): VerdictClaims =>
    buildVerdictClaims({
      issuer: 'gatehouse',
      agentId: 'agt_vector',
      sessionId: 'ses_vector',
      requestId: 'req_vector_1',
      decision: 'allow',
      tier: 'auto',
      score: 3,
      subject,
      approvers: [],
      policyVersion: '2026.11.2',
      // Issued ten seconds before the vectors' clock: valid for another 290 s.
      now: new Date((VECTORS_NOW - 10) * 1000),
      ...overrides,
    });
  const valid = (claims: VerdictClaims) => ({
    valid: true as const,
    claims,
    runnable: claims.decision === 'allow',
  });
  const invalid = (code: VerdictErrorCode) => ({ valid: false as const, code });

  const allowClaims = claimsFor();
  const allow = signVerdict(allowClaims, signing);
  const [allowHeader, allowPayload, allowSignature] = allow.split('.') as [string, string, string];

  const sqlSubject: VectorExpectation['subject'] = {
    kind: 'sql',
    command: 'DELETE FROM orders WHERE id = 42',
    dialect: null,
    target: 'shop',
  };
  const sqlClaims = claimsFor(sqlSubject, {
    tier: 'multi_party',
    score: 72,
    approvers: ['usr_alice', 'usr_bob'],
  });
  const unicodeSubject: VectorExpectation['subject'] = {
    kind: 'shell',
    command: 'echo "héllo 😀"\n\tprintf \'%s\\n\' \u2028 `date` $HOME',
    dialect: null,
    target: null,
  };
  const denyClaims = claimsFor(shell, { decision: 'deny', tier: 'deny', score: 100 });
  const toleranceClaims = { ...allowClaims, exp: VECTORS_NOW - 3 };
  const expiredClaims = { ...allowClaims, iat: VECTORS_NOW - 400, exp: VECTORS_NOW - 60 };
  const rotatedClaims = claimsFor();

  const tamperedPayload = b64(JSON.stringify({ ...denyClaims, decision: 'allow', tier: 'auto', score: 3 }));
  const denyJws = signVerdict(denyClaims, signing);
  const flipped = allowSignature[0] === 'A' ? 'B' : 'A';
  const { cmd: _cmd, ...withoutCmd } = allowClaims;
  const { exp: _exp, ...withoutExp } = allowClaims;
  const hmacInput = `${b64(JSON.stringify({ alg: 'HS256', typ: VERDICT_TYP, kid: primary.kid }))}.${allowPayload}`;

  const verdicts: VerdictVector[] = [
    {
      name: 'allow-shell',
      description: 'an automatic allow verdict for a shell command on a host',
      jws: allow,
      expect: expectFor(),
      result: valid(allowClaims),
    },
    {
      name: 'allow-sql-multi-party',
      description: 'a SQL verdict approved by two people; the dialect defaults to postgresql',
      jws: signVerdict(sqlClaims, signing),
      expect: expectFor(sqlSubject),
      result: valid(sqlClaims),
    },
    {
      name: 'allow-unicode-command',
      description: 'a command with non-ASCII text, control characters and U+2028, and no host',
      jws: signVerdict(claimsFor(unicodeSubject), signing),
      expect: expectFor(unicodeSubject),
      result: valid(claimsFor(unicodeSubject)),
    },
    {
      name: 'allow-rotated-key',
      description: 'signed by the second key of the set (after a rotation)',
      jws: signVerdict(rotatedClaims, signingKeyFromJwk(rotated.privateJwk)),
      expect: expectFor(),
      result: valid(rotatedClaims),
    },
    {
      name: 'allow-within-clock-tolerance',
      description: 'exp passed 3 s ago, within the 5 s clock tolerance',
      jws: signVerdict(toleranceClaims, signing),
      expect: expectFor(),
      result: valid(toleranceClaims),
    },
    {
      name: 'allow-without-optional-expectations',
      description: 'no expected issuer or agent: only the request and the command bind it',
      jws: allow,
      expect: {
        subject: shell,
        requestId: 'req_vector_1',
        now: VECTORS_NOW,
        clockToleranceSeconds: TOLERANCE,
      },
      result: valid(allowClaims),
    },
    {
      name: 'deny-decision',
      description: 'a valid verdict whose decision is deny: verifies, but must never run',
      jws: denyJws,
      expect: expectFor(),
      result: valid(denyClaims),
    },
    {
      name: 'tampered-signature',
      description: 'the first character of the signature changed',
      jws: `${allowHeader}.${allowPayload}.${flipped}${allowSignature.slice(1)}`,
      expect: expectFor(),
      result: invalid('ERR_VERDICT_SIGNATURE'),
    },
    {
      name: 'tampered-payload',
      description: 'a deny verdict whose payload was rewritten to allow, with the original signature',
      jws: `${denyJws.split('.')[0]}.${tamperedPayload}.${denyJws.split('.')[2]}`,
      expect: expectFor(),
      result: invalid('ERR_VERDICT_SIGNATURE'),
    },
    {
      name: 'forged-with-published-kid',
      description: 'signed by an unpublished key but naming the published kid',
      jws: signCompactJws({ typ: VERDICT_TYP }, allowClaims, {
        kid: primary.kid,
        privateKey: signingKeyFromJwk(stranger.privateJwk).privateKey,
      }),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_SIGNATURE'),
    },
    {
      name: 'unknown-kid',
      description: 'signed by a key whose kid the key set does not hold',
      jws: signVerdict(allowClaims, signingKeyFromJwk(stranger.privateJwk)),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_UNKNOWN_KEY'),
    },
    {
      name: 'expired',
      description: 'exp passed 60 s ago, beyond the clock tolerance',
      jws: signVerdict(expiredClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_EXPIRED'),
    },
    {
      name: 'not-yet-valid',
      description: 'an nbf one minute in the future',
      jws: signVerdict({ ...allowClaims, nbf: VECTORS_NOW + 60 } as VerdictClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'wrong-command',
      description: 'a valid verdict for `ls -la /tmp`, checked against `ls -la  /tmp` (two spaces)',
      jws: allow,
      expect: expectFor({ ...shell, command: 'ls -la  /tmp' }),
      result: invalid('ERR_VERDICT_COMMAND_MISMATCH'),
    },
    {
      name: 'wrong-target',
      description: 'a valid verdict for host build-01, checked for host build-02',
      jws: allow,
      expect: expectFor({ ...shell, target: 'build-02' }),
      result: invalid('ERR_VERDICT_COMMAND_MISMATCH'),
    },
    {
      name: 'wrong-dialect',
      description: 'a postgresql verdict checked for the same statement in mysql',
      jws: signVerdict(sqlClaims, signing),
      expect: expectFor({ ...sqlSubject, dialect: 'mysql' }),
      result: invalid('ERR_VERDICT_COMMAND_MISMATCH'),
    },
    {
      name: 'wrong-agent',
      description: 'issued to agt_vector, checked by agt_other',
      jws: allow,
      expect: expectFor(shell, { agentId: 'agt_other' }),
      result: invalid('ERR_VERDICT_WRONG_SUBJECT'),
    },
    {
      name: 'wrong-request',
      description: 'the verdict of another request (jti)',
      jws: allow,
      expect: expectFor(shell, { requestId: 'req_vector_2' }),
      result: invalid('ERR_VERDICT_WRONG_SUBJECT'),
    },
    {
      name: 'wrong-issuer',
      description: 'iss is not the expected issuer',
      jws: signVerdict({ ...allowClaims, iss: 'someone-else' }, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'wrong-typ',
      description: 'a plain JWT (typ JWT) signed by the verdict key is not a verdict',
      jws: signCompactJws({ typ: 'JWT' }, allowClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'missing-cmd',
      description: 'no cmd claim',
      jws: signVerdict(withoutCmd as VerdictClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'missing-exp',
      description: 'no exp claim: a verdict never lives forever',
      jws: signVerdict(withoutExp as VerdictClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'bad-decision',
      description: 'decision is neither allow nor deny',
      jws: signVerdict({ ...allowClaims, decision: 'maybe' } as unknown as VerdictClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_CLAIMS'),
    },
    {
      name: 'alg-hs256',
      description: 'HS256 keyed with the public key bytes (algorithm confusion)',
      jws: `${hmacInput}.${createHmac('sha256', Buffer.from(primary.publicJwk.x!, 'base64url')).update(hmacInput).digest('base64url')}`,
      expect: expectFor(),
      result: invalid('ERR_VERDICT_MALFORMED'),
    },
    {
      name: 'alg-none',
      description: 'an unsigned token',
      jws: `${b64(JSON.stringify({ alg: 'none', typ: VERDICT_TYP }))}.${allowPayload}.`,
      expect: expectFor(),
      result: invalid('ERR_VERDICT_MALFORMED'),
    },
    {
      name: 'unknown-critical-header',
      description: 'a crit header parameter the verifier does not understand',
      jws: signCompactJws({ typ: VERDICT_TYP, crit: ['exp'], exp: 1 }, allowClaims, signing),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_MALFORMED'),
    },
    {
      name: 'not-a-jws',
      description: 'garbage',
      jws: 'not-a-jws',
      expect: expectFor(),
      result: invalid('ERR_VERDICT_MALFORMED'),
    },
    {
      name: 'payload-not-json',
      description: 'a correctly signed payload that is not JSON',
      jws: (() => {
        // The production signer only signs JSON payloads; this vector needs a raw one.
        const input = `${b64(JSON.stringify({ alg: VERDICT_ALG, kid: primary.kid, typ: VERDICT_TYP }))}.${b64('not json')}`;
        return `${input}.${rawSign(null, Buffer.from(input), signing.privateKey).toString('base64url')}`;
      })(),
      expect: expectFor(),
      result: invalid('ERR_VERDICT_MALFORMED'),
    },
  ];

  const subjects: CommandSubject[] = [
    { kind: 'shell', command: 'git status' },
    { kind: 'shell', command: 'ls -la /tmp', target: 'build-01' },
    { kind: 'shell', command: 'ls -la  /tmp', target: 'build-01' },
    { kind: 'shell', command: 'ls -la /tmp', target: '' },
    { kind: 'shell', command: 'ls', dialect: 'mysql' },
    { kind: 'shell', command: 'a","b' },
    { kind: 'shell', command: 'a', target: 'b' },
    { kind: 'shell', command: "printf \"%s\\n\" 'it'\"'\"'s' \\\\ / </script>" },
    { kind: 'shell', command: 'echo héllo 😀 \u2028\u2029 \u00a0 \ufeff' },
    { kind: 'shell', command: 'x\u0000\u0001\u0008\u0009\u000a\u000b\u000c\u000d\u001b\u001f\u007f\u0080y' },
    { kind: 'sql', command: 'select 1' },
    { kind: 'sql', command: 'select 1', dialect: 'postgresql' },
    { kind: 'sql', command: 'select 1', dialect: 'mysql', target: 'shop' },
    { kind: 'sql', command: 'DROP TABLE "Users";\n-- ünïcode', target: 'prod-db' },
  ];
  const commands = subjects.map((subject) => ({
    subject,
    canonical: canonicalCommand(subject),
    hash: commandHash(subject),
  }));

  return {
    comment:
      'Shared Gatehouse verdict and command-hash vectors, generated by the TypeScript implementation (packages/verdict). Verify every verdict at expect.now with expect.clockToleranceSeconds against jwks.',
    regenerate: 'node --import tsx packages/verdict/test/vectors/generate.ts',
    jwks: { keys: [primary.publicJwk, rotated.publicJwk] },
    commands,
    verdicts,
  };
}
