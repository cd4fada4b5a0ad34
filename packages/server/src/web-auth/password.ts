import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** Shortest password accepted for a local account. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted: enough for any passphrase, small enough that hashing it costs nothing extra. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * scrypt at N=2^15, r=8, p=1 (32 MiB, tens of milliseconds): costly for an offline attacker,
 * bearable for a login. The parameters are stored with each hash, so they can be raised later
 * without invalidating existing passwords.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // Refuse parameters outside what this code writes or could sensibly raise to: a tampered row
  // must not turn a login into an unbounded computation.
  if (
    !Number.isInteger(params.N) ||
    params.N < 2 ** 14 ||
    params.N > 2 ** 20 ||
    !(params.r >= 1 && params.r <= 32) ||
    !(params.p >= 1 && params.p <= 4)
  ) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

let dummy: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash. Used when the account does not exist or has no password,
 * so such a login takes as long as a wrong password and the answer reveals nothing.
 */
export async function verifyDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
  return false;
}
