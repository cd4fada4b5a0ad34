import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './io.ts';

export interface AdminTarget {
  url: string;
  token: string;
}

/** Where and as whom admin commands call Gatehouse: flags, then environment, then the data dir. */
export function adminTarget(flags: { url?: string; token?: string }): AdminTarget {
  return {
    url: flags.url ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080',
    token: flags.token ?? process.env.GATEHOUSE_ADMIN_TOKEN ?? readAdminTokenFile(),
  };
}

function readAdminTokenFile(): string {
  const file = join(resolve(process.env.GATEHOUSE_DATA_DIR || '.gatehouse'), 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new CliError(
      `no admin token: set GATEHOUSE_ADMIN_TOKEN, pass --token, or run where ${file} exists`,
    );
  }
}

/** POSTs as the admin; any refusal or network failure becomes a CliError saying what happened. */
export async function adminPost<T>(
  target: AdminTarget,
  path: string,
  what: string,
  body: unknown = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, target.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach Gatehouse at ${target.url}: ${(error as Error).message}`, 1);
  }
  const parsed = (await response.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!response.ok) {
    throw new CliError(
      `${what} refused (${response.status}): ${parsed.error?.message ?? 'no reason given'}`,
      1,
    );
  }
  return parsed;
}
