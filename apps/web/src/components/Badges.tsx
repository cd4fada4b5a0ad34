import { STATUS_LABEL, TIER_LABEL } from '../format.ts';
import type { Status, Tier } from '../types.ts';

export function TierBadge({ tier }: { tier: Tier }) {
  return <span className={`badge tier-${tier}`}>{TIER_LABEL[tier] ?? tier}</span>;
}

export function StatusBadge({ status }: { status: Status }) {
  return <span className={`badge status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

/** The score with a bar, so the riskier items stand out while scanning the queue. */
export function Score({ score }: { score: number }) {
  const level = score >= 70 ? 'high' : score >= 40 ? 'medium' : 'low';
  return (
    <span className={`score score-${level}`} title={`risk score ${score} of 100`}>
      <span className="score-value">{score}</span>
      <span className="score-bar" aria-hidden="true">
        <span style={{ width: `${Math.max(0, Math.min(100, score))}%` }} />
      </span>
    </span>
  );
}
