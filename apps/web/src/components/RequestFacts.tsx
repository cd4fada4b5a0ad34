import { formatTime } from '../format.ts';
import { onLinkClick } from '../router.ts';
import type { Execution, ParsedCommand, Reason, RequestView, SimilarRequest } from '../types.ts';
import { StatusBadge } from './Badges.tsx';

export function ReasonsTable({ reasons }: { reasons: Reason[] }) {
  if (reasons.length === 0) return <p className="muted">No rule matched.</p>;
  const sorted = [...reasons].sort((a, b) => b.weight - a.weight);
  return (
    <table className="reasons">
      <caption className="sr-only">Why this score</caption>
      <thead>
        <tr>
          <th scope="col">weight</th>
          <th scope="col">rule</th>
          <th scope="col">explanation</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((reason, index) => (
          <tr key={`${reason.rule}-${index}`}>
            <td className="num">{reason.weight}</td>
            <td>
              <code>{reason.rule}</code>
              <div className="muted small">
                {reason.category.replaceAll('_', ' ')}
                {reason.floor ? ` · at least ${reason.floor.replace('_', '-')}` : ''}
              </div>
            </td>
            <td>{reason.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Each parsed command. A SQL statement has no argv, so it is shown with its own text (which
 * names its tables) and the database it runs against, the `target` its verdict is bound to.
 */
export function ParsedCommands({
  commands,
  database,
}: {
  commands: ParsedCommand[] | null;
  /** For a SQL request: `context.database`; undefined for shell. */
  database?: string | undefined;
}) {
  if (!commands || commands.length === 0) return <p className="muted">No command was parsed.</p>;
  return (
    <ol className="parsed">
      {commands.map((command, index) => (
        <li key={`${command.text}-${index}`}>
          <code className="prog">{command.name}</code>{' '}
          {command.kind === 'sql' && (
            <>
              <code className="arg sql-text">{command.text}</code>{' '}
              {command.tables && command.tables.length > 0 && (
                <span className="small" data-testid="sql-tables">
                  {command.tables.length === 1 ? 'table ' : 'tables '}
                  {command.tables.map((table, i) => (
                    <span key={table}>
                      {i > 0 && ', '}
                      <code>{table}</code>
                    </span>
                  ))}{' '}
                </span>
              )}
              {command.via.length === 0 && (
                <span className="small" data-testid="sql-database">
                  on database{' '}
                  {database ? (
                    <code>{database}</code>
                  ) : (
                    <span className="muted">not named (the connection's default)</span>
                  )}
                </span>
              )}
            </>
          )}
          {command.args.map((arg, i) => (
            <code key={`${i}-${arg}`} className="arg">
              {arg}
            </code>
          ))}
          {command.via.length > 0 && <span className="muted small"> via {command.via.join(' → ')}</span>}
          {command.dialect && <span className="muted small"> ({command.dialect})</span>}
        </li>
      ))}
    </ol>
  );
}

function Fact({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value ? value : <span className="muted">—</span>}</dd>
    </div>
  );
}

export function AgentFacts({ request }: { request: RequestView }) {
  return (
    <dl className="facts">
      <Fact label="agent" value={request.agent?.name ?? request.agentId} />
      <Fact label="type" value={request.agent?.type} />
      <Fact label="owner" value={request.agent?.ownerEmail ?? request.agent?.owner} />
      <Fact label="bound to" value={request.agent?.environments?.join(', ') ?? 'any environment it states'} />
      <Fact label="session" value={request.sessionId} />
    </dl>
  );
}

export function ContextFacts({ request }: { request: RequestView }) {
  const context = request.context ?? {};
  return (
    <dl className="facts">
      <Fact label="environment" value={context.environment} />
      <Fact label="host" value={context.host} />
      <Fact label="database" value={context.database} />
      <Fact label="cwd" value={context.cwd} />
      <Fact label="tool" value={context.tool} />
      <Fact label="justification" value={context.justification} />
      <Fact label="submitted" value={formatTime(request.createdAt)} />
      <Fact label="policy" value={request.policyVersion} />
    </dl>
  );
}

export function SimilarList({ similar }: { similar: SimilarRequest[] | undefined }) {
  if (!similar || similar.length === 0) return <p className="muted">No earlier request of this pattern.</p>;
  return (
    <ul className="similar">
      {similar.map((item) => (
        <li key={item.id}>
          <StatusBadge status={item.status} />{' '}
          <a href={`/requests/${encodeURIComponent(item.id)}`} onClick={onLinkClick}>
            <code>{item.command}</code>
          </a>{' '}
          <span className="small similar-where">
            {item.agent.name} ·{' '}
            <span className={`env env-${item.environment ?? 'none'}`}>
              {item.environment ?? 'no environment'}
            </span>
          </span>{' '}
          <span className="muted small">{formatTime(item.createdAt)}</span>
        </li>
      ))}
    </ul>
  );
}

export function ExecutionFacts({ execution }: { execution: Execution }) {
  return (
    <dl className="facts">
      <Fact
        label="exit"
        value={
          execution.signal
            ? `signal ${execution.signal}`
            : execution.exitCode === null
              ? null
              : String(execution.exitCode)
        }
      />
      <Fact label="took" value={`${(execution.durationMs / 1000).toFixed(1)} s`} />
      <Fact label="reported" value={formatTime(execution.reportedAt)} />
    </dl>
  );
}
