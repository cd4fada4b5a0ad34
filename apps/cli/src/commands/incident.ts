import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportIncident, GatehouseError } from '@gatehouse/server';
import { type AdminTarget, ApiRefusal, adminPost } from '../admin-api.ts';
import { openAuditSource } from '../audit-source.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

/** The server builds the whole bundle before it answers. */
const EXPORT_TIMEOUT_MS = 5 * 60_000;

interface Summary {
  files: { name: string; lines: number }[];
  audit: { ok: boolean };
}

/** `gatehouse incident export`: exit code 1 when the bundle's audit slice does not verify. */
export async function exportBundle(
  values: { agent: string; since: string; out?: string; url?: string; token?: string },
  io: CommandIO,
): Promise<number> {
  const since = new Date(values.since);
  if (Number.isNaN(since.getTime())) throw new CliError(`--since "${values.since}" is not a time (ISO 8601)`);
  const dir = resolve(values.out ?? `incident-${values.agent}-${since.toISOString().replace(/[:.]/g, '')}`);
  // Made with the first file, so a refused export (no database, unknown agent) leaves nothing.
  let made = false;
  const write = (name: string, content: string) => {
    if (!made) mkdirSync(dir, { recursive: true, mode: 0o700 });
    made = true;
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    io.stderr.write(`wrote ${name}\n`);
  };

  const source = await openAuditSource(values, io);
  let manifest: Summary;
  if (source.kind === 'api') {
    manifest = await exportThroughApi(source.target, values.agent, since, write);
  } else {
    try {
      manifest = await exportIncident(
        source.access.database.db,
        source.access.keys,
        { agentId: values.agent, since },
        async (name, lines) => write(name, [...(lines as Iterable<string>)].join('')),
      );
    } catch (error) {
      // Same message and exit code as through the API.
      if (error instanceof GatehouseError && error.code === 'AGENT_NOT_FOUND')
        throw new CliError(error.message);
      throw error;
    } finally {
      await source.access.close();
    }
  }
  io.stdout.write(
    `incident bundle in ${dir}: ${manifest.files.map((f) => `${f.name} (${f.lines})`).join(', ')}; ` +
      `audit slice ${manifest.audit.ok ? 'verifies' : 'DOES NOT VERIFY'}\n`,
  );
  return manifest.audit.ok ? 0 : 1;
}

/** A bundle file name as the server builds them: never a path that leaves the bundle directory. */
const FILE_NAME = /^[a-z][a-z0-9_-]*\.(jsonl|json)$/;

async function exportThroughApi(
  target: AdminTarget,
  agentId: string,
  since: Date,
  write: (name: string, content: string) => void,
): Promise<Summary> {
  let bundle: { manifest: Summary; files: { name: string; content: string }[] };
  try {
    bundle = await adminPost(
      target,
      '/v1/incidents/export',
      'incident export',
      { agent: agentId, since: since.toISOString() },
      { timeoutMs: EXPORT_TIMEOUT_MS },
    );
  } catch (error) {
    // Same message and exit code as when the database itself has no such agent.
    if (error instanceof ApiRefusal && error.code === 'AGENT_NOT_FOUND') throw new CliError(error.reason);
    throw error;
  }
  if (!Array.isArray(bundle?.files) || typeof bundle.manifest !== 'object')
    throw new CliError(`incident export: ${target.url} did not answer with a bundle`, 1);
  for (const file of bundle.files) {
    if (!FILE_NAME.test(file.name))
      throw new CliError(`incident export: ${target.url} sent a file named ${JSON.stringify(file.name)}`, 1);
    write(file.name, file.content);
  }
  return bundle.manifest;
}
