import { formatTime } from '../format.ts';
import { onLinkClick } from '../router.ts';
import type { ParsedCommand, Reason, RequestView, SimilarRequest } from '../types.ts';
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

export function ParsedCommands({ commands }: { commands: ParsedCommand[] | null }) {
  if (!commands || commands.length === 0) return <p className="muted">No command was parsed.</p>;
  return (
    <ol className="parsed">
      {commands.map((command, index) => (
        <li key={`${command.text}-${index}`}>
          <code className="prog">{command.name}</code>{' '}
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
          <span className="muted small">{formatTime(item.createdAt)}</span>
        </li>
      ))}
    </ul>
  );
}
