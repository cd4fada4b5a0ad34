import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { privateKeyFromJwk, type SigningKey, VERDICT_ALG } from './sign.ts';

export interface VerdictKeyPair {
  /** RFC 7638 thumbprint of the public key: stable, and derivable by anyone holding the JWK. */
  kid: string;
  publicJwk: JWK & { kid: string };
  privateJwk: JWK & { kid: string };
}

export async function generateVerdictKeyPair(): Promise<VerdictKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(VERDICT_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const decorate = (jwk: JWK): JWK & { kid: string } => ({ ...jwk, kid, alg: VERDICT_ALG, use: 'sig' });
  return { kid, publicJwk: decorate(publicJwk), privateJwk: decorate(await exportJWK(privateKey)) };
}

/** The signing key of a private JWK, ready for `signVerdict`. */
export function signingKeyFromJwk(jwk: JWK & { kid: string }): SigningKey {
  return { kid: jwk.kid, privateKey: privateKeyFromJwk(jwk) };
}
