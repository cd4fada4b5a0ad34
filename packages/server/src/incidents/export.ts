import { createHash } from 'node:crypto';
import { type Db, schema } from '@gatehouse/db';
import { and, asc, eq, gte, inArray } from 'drizzle-orm';
import type { JWK } from 'jose';
import { type ExportLine, exportLog, verifyExport } from '../audit/log.ts';
import { GatehouseError } from '../errors.ts';
import { grantsOfAgent } from '../grants/service.ts';

export interface IncidentFilter {
  agentId: string;
  since: Date;
}

export interface IncidentFile {
  name: string;
  lines: number;
  sha256: string;
}

/** Receives each file of the bundle as JSON lines, one call per file. */
export type WriteBundleFile = (
  name: string,
  lines: AsyncIterable<string> | Iterable<string>,
) => Promise<void>;

/**
 * Everything a responder needs about one agent since a time: the agent, its requests with
 * their verdicts, the decisions on them, what ran and what it printed, its grants, and the audit slice
 * with the checkpoints that prove it — plus a manifest with each file's SHA-256 and the
 * result of verifying the audit slice at export time.
 */
export async function exportIncident(
  db: Db,
  keys: readonly JWK[],
  filter: IncidentFilter,
  write: WriteBundleFile,
) {
  const files: IncidentFile[] = [];
  const emit = async (name: string, rows: readonly unknown[]) => {
    const hash = createHash('sha256');
    const lines = rows.map((row) => {
      const line = `${JSON.stringify(row)}\n`;
      hash.update(line);
      return line;
    });
    await write(name, lines);
    files.push({ name, lines: lines.length, sha256: hash.digest('hex') });
  };

  const [agent] = await db.select().from(schema.agents).where(eq(schema.agents.id, filter.agentId));
  if (!agent) throw new GatehouseError('AGENT_NOT_FOUND', `no agent ${filter.agentId}`);
  const { keyHash: _secret, ...agentRecord } = agent;
  await emit('agent.jsonl', [agentRecord]);

  const requests = await db
    .select()
    .from(schema.requests)
    .where(and(eq(schema.requests.agentId, filter.agentId), gte(schema.requests.createdAt, filter.since)))
    .orderBy(asc(schema.requests.createdAt));
  await emit('requests.jsonl', requests);
  const ids = requests.map((r) => r.id);
  await emit(
    'decisions.jsonl',
    ids.length
      ? await db.select().from(schema.decisions).where(inArray(schema.decisions.requestId, ids))
      : [],
  );
  await emit(
    'executions.jsonl',
    ids.length
      ? await db.select().from(schema.executions).where(inArray(schema.executions.requestId, ids))
      : [],
  );
  await emit(
    'recordings.jsonl',
    ids.length
      ? await db.select().from(schema.recordings).where(inArray(schema.recordings.requestId, ids))
      : [],
  );
  await emit(
    'sessions.jsonl',
    await db
      .select()
      .from(schema.agentSessions)
      .where(
        and(
          eq(schema.agentSessions.agentId, filter.agentId),
          gte(schema.agentSessions.createdAt, filter.since),
        ),
      ),
  );

  // The agent's just-in-time grants: what it was let do without a person per request, and until when.
  await emit('grants.jsonl', await grantsOfAgent(db, filter.agentId, filter.since));

  const audit: ExportLine[] = [];
  await exportLog(db, keys, { agentId: filter.agentId, since: filter.since }, (line) => {
    audit.push(line);
  });
  await emit('audit.jsonl', audit);
  const proof = await verifyExport(
    (async function* () {
      yield* audit;
    })(),
    keys,
  );

  const manifest = {
    format: 'gatehouse.incident',
    version: 1,
    createdAt: new Date().toISOString(),
    agent: filter.agentId,
    since: filter.since.toISOString(),
    files,
    audit: {
      ok: proof.ok,
      events: proof.events,
      covered: proof.covered,
      problems: proof.problems.slice(0, 20),
    },
    verify: 'gatehouse audit verify --file audit.jsonl',
  };
  await write('manifest.json', [`${JSON.stringify(manifest, null, 2)}\n`]);
  return manifest;
}
