import { formatTime } from '../format.ts';
import type { RequestView } from '../types.ts';

/** Who has decided so far and how many approvals are still missing. */
export function QuorumProgress({ request }: { request: RequestView }) {
  const decisions = request.decisions ?? [];
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  const required = Math.max(1, request.requiredApprovals);
  const missing = Math.max(0, required - approvals);
  // Decided by the policy alone: there was never a quorum to count.
  if (request.status === 'auto_approved' || request.status === 'denied') {
    return (
      <div className="quorum" data-testid="quorum">
        <p>
          {request.status === 'auto_approved'
            ? 'No approval needed: the policy approved it automatically.'
            : 'No approval possible: the policy denied it outright.'}
        </p>
      </div>
    );
  }
  return (
    <div className="quorum" data-testid="quorum">
      <p>
        <strong>
          {approvals} of {required}
        </strong>{' '}
        approval{required === 1 ? '' : 's'}
        {request.status === 'pending' && missing > 0 && (
          <span className="muted">
            {' '}
            · {missing} more needed{required > 1 ? ' from different people' : ''}
          </span>
        )}
      </p>
      <progress max={required} value={Math.min(approvals, required)} aria-label="approvals" />
      {decisions.length > 0 && (
        <ul className="decisions">
          {decisions.map((decision) => (
            <li key={`${decision.userId}-${decision.createdAt}`} className={`decision-${decision.decision}`}>
              <strong>{decision.decision === 'approve' ? 'Approved' : 'Rejected'}</strong> by {decision.email}{' '}
              <span className="muted small">{formatTime(decision.createdAt)}</span>
              {decision.comment && <blockquote>{decision.comment}</blockquote>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
