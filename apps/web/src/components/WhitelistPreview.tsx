import { useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { TIER_LABEL } from '../format.ts';
import type { WhitelistPreview, WhitelistScope } from '../types.ts';

/** Typing a pattern should not send a request per key. */
const PREVIEW_DELAY_MS = 300;

const SCOPE_WORDS: Record<WhitelistScope, string> = {
  agent: 'this agent',
  agent_type: 'agents of this type',
  environment: 'agents in this environment',
  global: 'every agent',
};

/**
 * What the entry being written will really do, scored by the server for this request's
 * agent and environment: the only promise the page makes is the one the engine keeps.
 */
export function WhitelistPreviewView({
  requestId,
  pattern,
  scope,
}: {
  requestId: string;
  pattern: string;
  scope: WhitelistScope;
}) {
  const [preview, setPreview] = useState<WhitelistPreview | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setPreview(null);
    setError(null);
    if (pattern.trim() === '') return;
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .post<WhitelistPreview>(`/v1/requests/${encodeURIComponent(requestId)}/whitelist/preview`, {
          pattern,
          scope,
        })
        .then((answer) => {
          if (!cancelled) setPreview(answer);
        })
        .catch((failure) => {
          if (!cancelled)
            setError(failure instanceof ApiError ? failure.message : 'The preview could not be computed.');
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [requestId, pattern, scope]);

  if (error)
    return (
      <p className="error" role="alert" data-testid="whitelist-preview">
        {error}
      </p>
    );
  if (!preview)
    return (
      <p className="muted small" data-testid="whitelist-preview" aria-busy="true">
        Checking what this entry will do…
      </p>
    );
  const { before, after } = preview;
  return (
    <div
      className={`preview ${preview.lowersToAuto ? 'lowers' : 'holds'}`}
      data-testid="whitelist-preview"
      aria-live="polite"
    >
      <p>
        This command from {SCOPE_WORDS[preview.scope]}
        {preview.environment ? ` in ${preview.environment}` : ''}: now{' '}
        <strong>
          {TIER_LABEL[before.tier]} {before.score}
        </strong>
        , with this entry{' '}
        <strong data-testid="preview-after">
          {TIER_LABEL[after.tier]} {after.score}
        </strong>
        .
      </p>
      {preview.lowersToAuto ? (
        <p className="small">
          Until the entry expires, it is approved automatically for {SCOPE_WORDS[preview.scope]}.
        </p>
      ) : before.tier === 'auto' ? (
        <p className="small">It is already approved automatically; this entry changes nothing for it.</p>
      ) : (
        <>
          <p className="small">
            <strong>This entry will not make it automatic</strong>; it still goes to a person as{' '}
            {TIER_LABEL[after.tier]}:
          </p>
          <ul className="small blockers">
            {preview.blockers.map((blocker) => (
              <li key={blocker.kind}>{blocker.message}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
