import type { GrantView } from '@gatehouse/contract';
import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { TIER_LABEL } from '../format.ts';
import { scopeText } from './Grants.tsx';
import { messageOf } from './useList.ts';

/**
 * In place of the command, for a grant request: what approving it lets the agent do without a
 * person per request, how far (the ceiling) and for how long, and why it asks.
 */
export function GrantSummary({ grantId }: { grantId: string }) {
  const [grant, setGrant] = useState<GrantView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<GrantView>(`/v1/grants/${encodeURIComponent(grantId)}`)
      .then(setGrant, (failure: unknown) => setError(messageOf(failure)));
  }, [grantId]);
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!grant) return <p className="page-status">Loading the grant…</p>;
  return (
    <figure className="command" aria-label="Grant asked for">
      <figcaption>just-in-time grant · {grant.id}</figcaption>
      <dl className="facts" data-testid="grant-summary">
        <dt>Scope</dt>
        <dd>
          <code>{scopeText(grant.scope)}</code>
        </dd>
        <dt>Up to</dt>
        <dd>{TIER_LABEL[grant.ceiling]} (never deny)</dd>
        <dt>For</dt>
        <dd>{grant.durationMinutes} minutes from approval</dd>
        <dt>Reason</dt>
        <dd>{grant.reason}</dd>
        <dt>State</dt>
        <dd>{grant.state}</dd>
      </dl>
    </figure>
  );
}
