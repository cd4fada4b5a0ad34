import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { countdown } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useLiveEvents } from '../live-context.tsx';
import { navigate, onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import { useShortcuts } from '../shortcuts.ts';
import type { RequestView } from '../types.ts';
import { Score, StatusBadge, TierBadge } from './Badges.tsx';
import { CommandView } from './CommandView.tsx';
import { type DecisionMode, DecisionPanel } from './DecisionPanel.tsx';
import { GrantSummary } from './GrantSummary.tsx';
import { QuorumProgress } from './QuorumProgress.tsx';
import { RecordingPlayer } from './RecordingPlayer.tsx';
import {
  AgentFacts,
  ContextFacts,
  ExecutionFacts,
  ParsedCommands,
  ReasonsTable,
  SimilarList,
} from './RequestFacts.tsx';

/** Statuses whose verdict allowed the command to run. */
const ALLOWED = new Set(['approved', 'auto_approved']);

export function RequestDetail({ id, decide }: { id: string; decide?: 'approve' | 'reject' | undefined }) {
  const [request, setRequest] = useState<RequestView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<DecisionMode>(decide ?? null);
  const now = useNow(1000);

  const load = useCallback(async () => {
    try {
      setRequest(await api.get<RequestView>(`/v1/requests/${encodeURIComponent(id)}`));
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'The request could not be loaded.');
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  useLiveEvents((message) => {
    if (message.type === 'reconnected') void load();
    else if (
      (message.type === 'request.updated' || message.type === 'request.escalated') &&
      message.data.id === id
    )
      void load();
  });

  const { user } = useSession();
  useShortcuts(
    {
      ...(hasRole(user, 'approver') ? { a: () => setMode('approve'), r: () => setMode('reject') } : {}),
      Escape: () => {
        if (mode) setMode(null);
        else navigate('/');
      },
    },
    { ready: request !== null },
  );

  if (error) {
    return (
      <section className="detail">
        <p className="error" role="alert">
          {error}
        </p>
        <a href="/" onClick={onLinkClick}>
          Back to the queue
        </a>
      </section>
    );
  }
  if (!request) return <p className="page-status">Loading…</p>;

  return (
    <article className="detail" aria-labelledby="detail-title">
      <header className="detail-head">
        <a href="/" onClick={onLinkClick} className="back">
          ← Queue <kbd>Esc</kbd>
        </a>
        <h1 id="detail-title">
          <TierBadge tier={request.tier} /> <Score score={request.score} />{' '}
          <StatusBadge status={request.status} />
          {request.status === 'pending' && (
            <span className="countdown big" title="time left before it expires">
              {countdown(request.deadline, now)}
            </span>
          )}
        </h1>
        <p className="muted small">
          {request.id} · {request.agent?.name ?? request.agentId}
          {request.context?.environment ? ` · ${request.context.environment}` : ''}
        </p>
      </header>

      {request.kind === 'grant' ? (
        <GrantSummary grantId={request.context?.grant ?? ''} />
      ) : (
        <CommandView kind={request.kind} command={request.command} dialect={request.dialect} />
      )}

      <div className="columns">
        <div>
          <section aria-labelledby="reasons-title">
            <h2 id="reasons-title">Why score {request.score}</h2>
            <ReasonsTable reasons={request.reasons} />
          </section>
          {/* A grant request runs nothing itself: its scope is shown above instead. */}
          {request.kind !== 'grant' && (
            <>
              <section aria-labelledby="parsed-title">
                <h2 id="parsed-title">{request.execution ? 'What ran' : 'What will run'}</h2>
                <ParsedCommands
                  commands={request.commands}
                  database={request.kind === 'sql' ? request.context?.database : undefined}
                />
              </section>
              <section aria-labelledby="similar-title">
                <h2 id="similar-title">Earlier requests of this pattern</h2>
                <SimilarList similar={request.similar} />
              </section>
            </>
          )}
          {request.execution && (
            <section aria-labelledby="output-title">
              <h2 id="output-title">Output</h2>
              <ExecutionFacts execution={request.execution} />
              {request.recorded ? (
                <RecordingPlayer requestId={request.id} />
              ) : (
                <p className="muted">No output was recorded (or it was purged after the retention period).</p>
              )}
            </section>
          )}
          {!request.execution && ALLOWED.has(request.status) && (
            <p className="muted" data-testid="not-run">
              The agent has not reported running it.
            </p>
          )}
        </div>
        <aside>
          <section aria-labelledby="quorum-title">
            <h2 id="quorum-title">Approvals</h2>
            <QuorumProgress request={request} />
          </section>
          <DecisionPanel request={request} mode={mode} setMode={setMode} onDecided={() => void load()} />
          <section aria-labelledby="agent-title">
            <h2 id="agent-title">Agent</h2>
            <AgentFacts request={request} />
          </section>
          <section aria-labelledby="context-title">
            <h2 id="context-title">Context</h2>
            <ContextFacts request={request} />
          </section>
        </aside>
      </div>
    </article>
  );
}
