import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import type { RequestView, User, WhitelistScope } from '../types.ts';
import { WhitelistPreviewView } from './WhitelistPreview.tsx';

export type DecisionMode = 'approve' | 'reject' | 'whitelist' | null;

interface DecisionAnswer {
  status: string;
  approvals: number;
  required: number;
  whitelistId?: string;
}

/** The scopes an entry can take, labelled with what they name for this request. */
export function scopeChoices(
  request: RequestView,
): { scope: WhitelistScope; label: string; disabled?: boolean }[] {
  const environment = request.context?.environment;
  return [
    { scope: 'agent', label: `this agent (${request.agent?.name ?? request.agentId})` },
    { scope: 'agent_type', label: `every agent of type ${request.agent?.type ?? '?'}` },
    {
      scope: 'environment',
      label: environment ? `every agent in ${environment}` : 'this environment (the request names none)',
      disabled: !environment,
    },
    { scope: 'global', label: 'every agent, everywhere' },
  ];
}

/** Why this person may not decide, as far as the page can tell; the server decides for real. */
export function refusalReason(request: RequestView, user: User): string | null {
  if (request.status !== 'pending') return null;
  const owner = request.agent?.owner;
  if (owner && (owner === user.id || owner === user.email))
    return 'You own the agent that asked. Someone else has to decide its requests.';
  if ((request.decisions ?? []).some((d) => d.userId === user.id))
    return 'You have already decided this request. The quorum needs other people.';
  if (!hasRole(user, 'approver')) return 'Only people with the approver role can decide.';
  if (request.eligible === false) return 'None of your approver groups covers this environment and kind.';
  return null;
}

function inDays(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  date.setSeconds(0, 0);
  // datetime-local wants local time without a zone.
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function DecisionPanel({
  request,
  mode,
  setMode,
  onDecided,
}: {
  request: RequestView;
  mode: DecisionMode;
  setMode(mode: DecisionMode): void;
  onDecided(): void;
}) {
  const { user } = useSession();
  const [comment, setComment] = useState('');
  const [pattern, setPattern] = useState(request.command);
  const [expires, setExpires] = useState(() => inDays(7));
  const [reason, setReason] = useState('');
  const [scope, setScope] = useState<WhitelistScope>('agent');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [savedEntry, setSavedEntry] = useState<string | null>(null);
  const commentField = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (mode) commentField.current?.focus();
  }, [mode]);

  const refusal = refusalReason(request, user);
  const outcome = result && (
    <p className="ok" role="status">
      {result}
      {savedEntry && (
        <>
          {' '}
          Whitelist entry{' '}
          <a
            href={`/whitelist#${encodeURIComponent(savedEntry)}`}
            onClick={onLinkClick}
            data-testid="saved-entry"
          >
            {savedEntry}
          </a>{' '}
          saved.
        </>
      )}
    </p>
  );
  // The reload that follows a final decision makes the request non-pending; the person who just
  // decided still needs to see that their decision landed.
  if (request.status !== 'pending') {
    return outcome ? (
      <section className="decide" aria-labelledby="decide-title">
        <h2 id="decide-title">Decide</h2>
        {outcome}
      </section>
    ) : null;
  }
  if (refusal) {
    return (
      <>
        {outcome}
        <p className="notice" data-testid="cannot-decide">
          {refusal}
        </p>
      </>
    );
  }

  const approving = mode === 'approve' || mode === 'whitelist';
  const commentRequired = mode === 'reject' || request.tier === 'multi_party';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!mode) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<DecisionAnswer>(
        `/v1/requests/${encodeURIComponent(request.id)}/decisions`,
        {
          decision: approving ? 'approve' : 'reject',
          ...(comment.trim() ? { comment: comment.trim() } : {}),
          ...(mode === 'whitelist'
            ? {
                whitelist: {
                  pattern,
                  scope,
                  expiresAt: new Date(expires).toISOString(),
                  reason: reason.trim(),
                },
              }
            : {}),
        },
      );
      setResult(
        answer.status === 'pending'
          ? `Your approval is recorded: ${answer.approvals} of ${answer.required}.`
          : `Request ${answer.status}.`,
      );
      setSavedEntry(answer.whitelistId ?? null);
      setMode(null);
      setComment('');
      onDecided();
    } catch (failure) {
      setError(failure instanceof ApiError ? `${failure.message} (${failure.code})` : 'The decision failed.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="decide" aria-labelledby="decide-title">
      <h2 id="decide-title">Decide</h2>
      {outcome}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!mode ? (
        <div className="actions">
          <button type="button" className="approve" onClick={() => setMode('approve')}>
            Approve… <kbd>a</kbd>
          </button>
          <button type="button" className="reject" onClick={() => setMode('reject')}>
            Reject… <kbd>r</kbd>
          </button>
          {request.kind !== 'grant' && (
            <button type="button" onClick={() => setMode('whitelist')}>
              Approve and whitelist…
            </button>
          )}
        </div>
      ) : (
        <form onSubmit={submit} aria-label={approving ? 'Approve' : 'Reject'}>
          <label>
            Comment{commentRequired ? ' (required)' : ' (optional)'}
            <textarea
              ref={commentField}
              name="comment"
              rows={3}
              maxLength={4096}
              required={commentRequired}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          </label>
          {mode === 'whitelist' && (
            <fieldset className="whitelist">
              <legend>Whitelist entry</legend>
              <label>
                Pattern to add ({request.kind}, exact command)
                <input
                  name="pattern"
                  required
                  value={pattern}
                  onChange={(e) => setPattern(e.target.value)}
                  className="mono"
                />
              </label>
              <fieldset className="scope">
                <legend>Applies to</legend>
                {scopeChoices(request).map((choice) => (
                  <label key={choice.scope} className="choice">
                    <input
                      type="radio"
                      name="scope"
                      value={choice.scope}
                      checked={scope === choice.scope}
                      disabled={choice.disabled}
                      onChange={() => setScope(choice.scope)}
                    />
                    {choice.label}
                  </label>
                ))}
              </fieldset>
              <WhitelistPreviewView requestId={request.id} pattern={pattern} scope={scope} />
              <p className="muted small">
                It is recorded as added by {user.email}, and an admin can revoke it.
              </p>
              <label>
                Expires
                <input
                  type="datetime-local"
                  name="expiresAt"
                  required
                  value={expires}
                  min={inDays(0)}
                  max={inDays(365)}
                  onChange={(e) => setExpires(e.target.value)}
                />
              </label>
              <label>
                Reason
                <input
                  name="reason"
                  required
                  maxLength={1024}
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                />
              </label>
            </fieldset>
          )}
          <div className="actions">
            <button type="submit" className={approving ? 'approve' : 'reject'} disabled={busy}>
              {busy
                ? 'Sending…'
                : mode === 'reject'
                  ? `Reject this ${request.kind === 'grant' ? 'grant' : 'command'}`
                  : mode === 'whitelist'
                    ? 'Approve and add to whitelist'
                    : `Approve this ${request.kind === 'grant' ? 'grant' : 'command'}`}
            </button>
            <button type="button" onClick={() => setMode(null)} disabled={busy}>
              Cancel <kbd>Esc</kbd>
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
