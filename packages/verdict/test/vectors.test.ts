import { readFileSync } from 'node:fs';
import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { canonicalCommand, commandHash, verifyVerdict } from '../src/index.ts';
import { buildVectors, type Vectors } from './vectors/build.ts';
import { serialize, VECTORS_FILE } from './vectors/generate.ts';

// The shared vectors (vectors/verdicts.json) are what other SDKs verify against; this file
// proves that the committed copy is what the TypeScript implementation produces today and
// that the TypeScript verifier reaches every expected outcome.
const committed = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as Vectors;

describe('shared verdict vectors', () => {
  it('are what the current implementation generates (regenerate with vectors/generate.ts)', async () => {
    // Compared as data, not bytes: the repository's formatter may re-wrap the committed file.
    expect(committed).toEqual(JSON.parse(serialize(await buildVectors())));
  });

  it('cover every refusal code and both decisions', () => {
    const codes = new Set(committed.verdicts.map((v) => (v.result.valid ? 'valid' : v.result.code)));
    expect([...codes].sort()).toEqual(
      [
        'valid',
        'ERR_VERDICT_CLAIMS',
        'ERR_VERDICT_COMMAND_MISMATCH',
        'ERR_VERDICT_EXPIRED',
        'ERR_VERDICT_MALFORMED',
        'ERR_VERDICT_SIGNATURE',
        'ERR_VERDICT_UNKNOWN_KEY',
        'ERR_VERDICT_WRONG_SUBJECT',
      ].sort(),
    );
    const decisions = committed.verdicts.flatMap((v) => (v.result.valid ? [v.result.claims.decision] : []));
    expect(new Set(decisions)).toEqual(new Set(['allow', 'deny']));
  });

  it.each(committed.commands.map((c) => [c.canonical, c] as const))('hash %s', (_, vector) => {
    expect(canonicalCommand(vector.subject)).toBe(vector.canonical);
    expect(commandHash(vector.subject)).toBe(vector.hash);
  });

  const keys = createLocalJWKSet(committed.jwks);
  it.each(committed.verdicts.map((v) => [v.name, v] as const))('verdict %s', async (_, vector) => {
    const { expect: e } = vector;
    const outcome = verifyVerdict(vector.jws, keys, {
      subject: e.subject,
      requestId: e.requestId,
      now: new Date(e.now * 1000),
      clockToleranceSeconds: e.clockToleranceSeconds,
      ...(e.agentId === undefined ? {} : { agentId: e.agentId }),
      ...(e.issuer === undefined ? {} : { issuer: e.issuer }),
    });
    if (vector.result.valid) {
      const claims = await outcome;
      expect(claims).toEqual(vector.result.claims);
      expect(claims.decision === 'allow').toBe(vector.result.runnable);
    } else {
      await expect(outcome).rejects.toMatchObject({ name: 'VerdictError', code: vector.result.code });
    }
  });
});
