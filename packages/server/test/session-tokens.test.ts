import {
  generateVerdictKeyPair,
  privateKeyFromJwk,
  type SigningKey,
  signingKeyFromJwk,
} from '@gatehouse/verdict';
import { createLocalJWKSet, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SessionKeySource, signSessionToken, verifySessionToken } from '../src/sessions/tokens.ts';

describe('session tokens', () => {
  let keys: SessionKeySource;
  let signer: SigningKey;
  let foreign: SigningKey;

  beforeAll(async () => {
    const pair = await generateVerdictKeyPair();
    const other = await generateVerdictKeyPair();
    signer = signingKeyFromJwk(pair.privateJwk);
    foreign = { kid: pair.kid, privateKey: privateKeyFromJwk(other.privateJwk) };
    const jwks = createLocalJWKSet({ keys: [pair.publicJwk] });
    keys = { signer: async () => signer, sessionKeys: () => jwks };
  });

  const claims = { agentId: 'agt_1', sessionId: 'ses_1', agentType: 'ci', environments: null };
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);
  /** A token signed with the real session key but with claims of the test's choosing. */
  const signRaw = (payload: Record<string, unknown>, typ: string) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ })
      .setIssuer('gatehouse')
      .setAudience('gatehouse-api')
      .setSubject('agt_1')
      .setExpirationTime('5m')
      .sign(signer.privateKey);

  it('round-trips agent, session and agent type', async () => {
    const token = await signSessionToken(keys, 'gatehouse', claims, inMinutes(15));
    await expect(verifySessionToken(keys, 'gatehouse', token)).resolves.toEqual(claims);
  });

  it('carries an environment binding, and refuses a malformed one rather than unbinding', async () => {
    const bound = { ...claims, environments: ['prod', 'staging'] };
    const token = await signSessionToken(keys, 'gatehouse', bound, inMinutes(15));
    await expect(verifySessionToken(keys, 'gatehouse', token)).resolves.toEqual(bound);

    for (const aen of [[], 'prod', [1], null]) {
      const odd = await signRaw({ sid: 'ses_1', aty: 'ci', aen }, 'gatehouse-session+jwt');
      await expect(verifySessionToken(keys, 'gatehouse', odd)).rejects.toMatchObject({
        code: 'INVALID_TOKEN',
      });
    }
  });

  it('refuses an expired token with its own code', async () => {
    const token = await signSessionToken(keys, 'gatehouse', claims, inMinutes(-1));
    await expect(verifySessionToken(keys, 'gatehouse', token)).rejects.toMatchObject({
      status: 401,
      code: 'SESSION_EXPIRED',
    });
  });

  it('refuses another issuer, another key, and a JWT of another type', async () => {
    const token = await signSessionToken(keys, 'elsewhere', claims, inMinutes(15));
    await expect(verifySessionToken(keys, 'gatehouse', token)).rejects.toMatchObject({
      code: 'INVALID_TOKEN',
    });

    const forged = await signSessionToken(
      { ...keys, signer: async () => foreign },
      'gatehouse',
      claims,
      inMinutes(15),
    );
    await expect(verifySessionToken(keys, 'gatehouse', forged)).rejects.toMatchObject({
      code: 'INVALID_TOKEN',
    });

    // A verdict (or any other JWT) from the same key is not a session.
    const verdictLike = await signRaw({ sid: 'ses_1' }, 'gatehouse-verdict+jwt');
    await expect(verifySessionToken(keys, 'gatehouse', verdictLike)).rejects.toMatchObject({
      code: 'INVALID_TOKEN',
    });
  });
});
