import { readFile } from 'node:fs/promises';
import { loadPolicy } from './load.ts';
import type { PolicyDocument } from './types.ts';

/** Version of the bundled default policy (a test keeps it equal to `policy/default.yaml`). */
export const policyVersion = '2026.12.1';

const DEFAULT_POLICY_URL = new URL('../../policy/default.yaml', import.meta.url);

/** Reads the default policy that ships with the package. */
export async function readDefaultPolicyText(): Promise<string> {
  return readFile(DEFAULT_POLICY_URL, 'utf8');
}

export async function loadDefaultPolicy(): Promise<PolicyDocument> {
  return loadPolicy(await readDefaultPolicyText(), { source: 'default.yaml' });
}
