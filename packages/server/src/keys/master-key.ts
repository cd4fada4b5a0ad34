import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key-encryption key for signing keys at rest. From GATEHOUSE_MASTER_KEY when set
 * (every replica must share it), otherwise from a 0600 file in the data dir, created on
 * first start. It never enters the database.
 */
export function loadMasterKey(options: { masterKey?: string; dataDir: string }): Buffer {
  const material = options.masterKey ?? readOrCreateKeyFile(join(options.dataDir, 'master.key'));
  return Buffer.from(hkdfSync('sha256', material, 'gatehouse', 'signing-key-encryption', 32));
}

const purposeKeys = new WeakMap<object, Map<string, Buffer>>();

/**
 * A key for one purpose alone (webhook secrets, connection logins, the OIDC cookie), derived
 * from the master key: what is sealed for one use cannot be opened as another's. Kept per
 * configuration, since loading the master key may read its file.
 */
export function purposeKey(config: { masterKey?: string; dataDir: string }, purpose: string): Buffer {
  let derived = purposeKeys.get(config);
  if (!derived) {
    derived = new Map();
    purposeKeys.set(config, derived);
  }
  let key = derived.get(purpose);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', loadMasterKey(config), 'gatehouse', purpose, 32));
    derived.set(purpose, key);
  }
  return key;
}

function readOrCreateKeyFile(path: string): string {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  // 'wx': if another process created it meanwhile, use theirs rather than overwrite it.
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(path, 'utf8').trim();
  }
}

/** AES-256-GCM; the associated data (the key id) stops a ciphertext from being moved to another row. */
export function seal(key: Buffer, plaintext: string, associated: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associated));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

export function open(key: Buffer, sealed: string, associated: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !body) throw new Error('unknown sealed key format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    .setAAD(Buffer.from(associated))
    .setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
