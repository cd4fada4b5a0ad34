import type { ConnectionEngine } from '@gatehouse/contract';
import type { RequestRow, schema } from '@gatehouse/db';
import type { AssessContext, Assessment, Kind, SqlDialect } from '@gatehouse/risk';
import type { Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type ConnectionRow, findConnection, isGranted } from './service.ts';

type AgentPrincipal = Extract<Principal, { type: 'agent' }>;

/**
 * The verdict's target for a brokered request. The prefix keeps it apart from a plain SQL
 * request's database name, so an approval for one connection can never be presented as one
 * for another connection, or for a database the agent reaches with its own credentials.
 */
export function connectionTarget(name: string): string {
  return `connection:${name}`;
}

const DIALECTS: Record<ConnectionEngine, SqlDialect> = {
  postgresql: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mariadb',
};

/**
 * Scored read-only: every reason is a read or context (multi-statement, environment, a grant),
 * nothing with a side effect, nothing the parsers were unsure of. Such a statement runs in a
 * READ ONLY transaction, so if the scoring was wrong the target refuses the write. What the
 * engine found nothing to say about (`prepare …; execute …`) runs READ ONLY too.
 */
export function scoredReadOnly(assessment: Pick<Assessment, 'reasons' | 'commands'>): boolean {
  return (
    assessment.commands.length > 0 &&
    assessment.reasons.every((r) => r.category === 'read_only' || r.category === 'context')
  );
}

/** Statement types that end, open or reshape the transaction or the session. */
const SESSION_CONTROL = new Set([
  'BEGIN',
  'START TRANSACTION',
  'TRANSACTION',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'SET',
  'RESET',
  'DISCARD',
]);

/**
 * Whether the text controls the transaction or the session. The broker owns both: a COMMIT
 * inside the text would end the READ ONLY transaction and let what follows write, and a SET
 * could lift the timeout or the read-only default.
 */
export function controlsSession(assessment: Pick<Assessment, 'reasons' | 'commands'>): boolean {
  return (
    assessment.reasons.some((r) => r.rule === 'sql.session') ||
    assessment.commands.some((c) => SESSION_CONTROL.has(c.name.toUpperCase()))
  );
}

export interface BrokeredSubmission {
  connection: ConnectionRow;
  dialect: SqlDialect;
  target: string;
  context: Omit<AssessContext, 'agentType' | 'agentId' | 'now'> & { connection: string };
  /** Refuses (audited) what the broker will not run, once the statement is assessed. */
  admit(assessment: Assessment): Promise<void>;
  row(draft: RequestRow, assessment: Assessment): typeof schema.brokeredRequests.$inferInsert;
}

interface Input {
  kind: Kind;
  command: string;
  dialect?: SqlDialect;
  connection?: string;
  context?: Omit<AssessContext, 'agentType' | 'agentId' | 'now'>;
}

/**
 * Checks a request naming a connection before it is scored: SQL, in the connection's dialect,
 * a connection that exists and that this agent was granted, a statement the broker would run.
 * Refusals for an unknown connection or a missing grant are audited like any refused request.
 */
export async function prepareBrokered(
  rt: Runtime,
  agent: AgentPrincipal,
  input: Input & { connection: string },
): Promise<BrokeredSubmission> {
  const refuse = async (error: GatehouseError) => {
    await rt.audit.append({
      type: 'request.refused',
      actor: { type: 'agent', id: agent.id },
      subject: { type: 'session', id: agent.sessionId },
      data: { reason: error.code, connection: input.connection, kind: input.kind, command: input.command },
    });
    return error;
  };
  if (input.kind !== 'sql')
    throw new GatehouseError('CONNECTION_INVALID', 'a connection runs SQL; this request is not kind "sql"');
  if (input.command.length > rt.config.broker.maxStatementLength)
    throw new GatehouseError(
      'STATEMENT_TOO_LONG',
      `the statement has ${input.command.length} characters; the broker runs at most ${rt.config.broker.maxStatementLength}`,
    );
  let connection: ConnectionRow;
  try {
    connection = await findConnection(rt.database.db, input.connection);
  } catch (error) {
    throw error instanceof GatehouseError ? await refuse(error) : error;
  }
  if (!(await isGranted(rt.database.db, connection.id, agent)))
    throw await refuse(
      new GatehouseError(
        'CONNECTION_NOT_GRANTED',
        `agent ${agent.id} (type ${agent.agentType}) has no grant for connection ${connection.name}`,
      ),
    );
  const dialect = DIALECTS[connection.engine];
  if (input.dialect && input.dialect !== dialect)
    throw new GatehouseError(
      'CONNECTION_INVALID',
      `connection ${connection.name} is ${connection.engine}; the statement was sent as ${input.dialect}`,
    );
  // The connection says which database and environment the statement runs in; what the
  // agent stated is overridden, so it cannot pick a laxer policy profile for a production target.
  // Its name is kept in the stored context: approvers see where the statement will run.
  const context = {
    ...(input.context ?? {}),
    connection: connection.name,
    database: connection.database,
    ...(connection.environment ? { environment: connection.environment } : {}),
  };
  return {
    connection,
    dialect,
    target: connectionTarget(connection.name),
    context,
    admit: async (assessment) => {
      if (controlsSession(assessment))
        throw await refuse(
          new GatehouseError(
            'STATEMENT_NOT_BROKERABLE',
            'the statement controls the transaction or the session (BEGIN, COMMIT, SET …); the gateway runs each statement in a transaction of its own',
          ),
        );
    },
    row: (draft, assessment) => ({
      requestId: draft.id,
      connectionId: connection.id,
      connectionName: connection.name,
      readOnly: scoredReadOnly(assessment),
      statements: assessment.commands.length,
    }),
  };
}
