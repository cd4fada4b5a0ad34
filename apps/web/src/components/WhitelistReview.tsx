import type { GovernedWhitelistEntry, WhitelistGovernanceAnswer } from '@gatehouse/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import { hasRole, useSession } from '../session.tsx';
import { messageOf } from './useList.ts';

type Loaded = { queue: WhitelistGovernanceAnswer; all: WhitelistGovernanceAnswer };
type State = { state: 'loading' } | { state: 'error'; message: string } | ({ state: 'ready' } & Loaded);

const DAY_MS = 86_400_000;
const STATE_TEXT: Record<GovernedWhitelistEntry['review']['state'], string> = {
  current: 'current',
  due: 'due soon',
  overdue: 'overdue (in grace)',
  lapsed: 'lapsed: no longer applies',
  retired: 'retired',
};

/** `YYYY-MM-DD`, the form's date format: typed the same in every locale, unlike a date picker. */
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Whitelist governance: the review queue, where a security reviewer renews an entry (a new
 * review date and what they checked) or retires it, and every entry with its reach, hits
 * and review dates. Approvers see it all but cannot review.
 */
export function WhitelistReview() {
  const { user } = useSession();
  const canReview = hasRole(user, 'auditor') || hasRole(user, 'admin');
  const [data, setData] = useState<State>({ state: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const queueHeading = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      const [queue, all] = await Promise.all([
        api.get<WhitelistGovernanceAnswer>('/v1/whitelist/review'),
        api.get<WhitelistGovernanceAnswer>('/v1/whitelist/governance'),
      ]);
      setData({ state: 'ready', queue, all });
    } catch (failure) {
      setData({ state: 'error', message: messageOf(failure) });
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const reviewed = async (text: string) => {
    // Announced once the queue on screen shows the outcome.
    await load();
    setNotice(text);
    // The row the reviewer acted on is gone: the focus goes back to the queue, not to the page's start.
    queueHeading.current?.focus();
  };

  return (
    <section className="whitelist-review" aria-labelledby="review-title">
      <h2 id="review-title" ref={queueHeading} tabIndex={-1}>
        Whitelist review
      </h2>
      <p className="muted small">
        Every entry is reviewed{' '}
        {data.state === 'ready' ? `every ${data.all.settings.intervalDays} days` : 'regularly'}; one not
        renewed within {data.state === 'ready' ? `${data.all.settings.graceDays} days` : 'the grace period'}{' '}
        of its review date stops applying on every replica.
      </p>
      <p role="status" className="review-notice">
        {notice}
      </p>
      {data.state === 'loading' && <p className="page-status">Loading the review queue…</p>}
      {data.state === 'error' && (
        <div role="alert" className="error">
          Could not load the whitelist review: {data.message}{' '}
          <button type="button" className="small" onClick={() => void load()}>
            Retry
          </button>
        </div>
      )}
      {data.state === 'ready' && (
        <>
          <h3>Due for review ({data.queue.items.length})</h3>
          {data.queue.items.length === 0 ? (
            <p className="empty">No entry is due for review.</p>
          ) : (
            <ul className="review-queue" aria-label="Entries due for review">
              {data.queue.items.map((entry) => (
                <QueueItem
                  key={entry.id}
                  entry={entry}
                  canReview={canReview}
                  intervalDays={data.all.settings.intervalDays}
                  onReviewed={reviewed}
                />
              ))}
            </ul>
          )}
          <h3>All entries ({data.all.items.length})</h3>
          <p className="muted small">Hits as of {formatTime(data.all.hitsUpdatedAt)}.</p>
          <EntryTable items={data.all.items} />
        </>
      )}
    </section>
  );
}

function patternOf(entry: GovernedWhitelistEntry): string {
  return entry.command ?? JSON.stringify(entry.match);
}

function reachOf(entry: GovernedWhitelistEntry): string {
  const parts = [
    entry.agents && `agents ${entry.agents.join(', ')}`,
    entry.agentTypes && `agent types ${entry.agentTypes.join(', ')}`,
    entry.environments && `environments ${entry.environments.join(', ')}`,
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'every agent';
}

function hitsText(entry: GovernedWhitelistEntry): string {
  if (entry.hits.count === 0) return 'no hits';
  const agents = entry.hits.agents.map((a) => `${a.name ?? a.id} (${a.count})`).join(', ');
  return `${entry.hits.count} ${entry.hits.count === 1 ? 'hit' : 'hits'}, last ${formatTime(entry.hits.lastHitAt)}; ${agents}; types ${entry.hits.agentTypes.join(', ')}`;
}

function QueueItem({
  entry,
  canReview,
  intervalDays,
  onReviewed,
}: {
  entry: GovernedWhitelistEntry;
  canReview: boolean;
  intervalDays: number;
  onReviewed: (notice: string) => Promise<void>;
}) {
  const [mode, setMode] = useState<'idle' | 'renew' | 'retire'>('idle');
  const [date, setDate] = useState(() => isoDay(Date.now() + intervalDays * DAY_MS));
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dateBox = useRef<HTMLInputElement>(null);
  const commentBox = useRef<HTMLTextAreaElement>(null);
  const renewButton = useRef<HTMLButtonElement>(null);
  const retireButton = useRef<HTMLButtonElement>(null);
  /** Which button opened the form that was just cancelled: the focus goes back to it. */
  const [returnTo, setReturnTo] = useState<'renew' | 'retire' | null>(null);
  const titleId = `review-${entry.id}`;

  // Opening a form moves the focus into it, so a keyboard user types at once; cancelling it
  // gives the focus back to the button that opened it (re-rendered, hence the state).
  useEffect(() => {
    if (mode === 'renew') dateBox.current?.focus();
    else if (mode === 'retire') commentBox.current?.focus();
    else if (returnTo === 'renew') renewButton.current?.focus();
    else if (returnTo === 'retire') retireButton.current?.focus();
  }, [mode, returnTo]);

  const open = (action: 'renew' | 'retire') => {
    setReturnTo(null);
    setMode(action);
  };
  const close = () => {
    setReturnTo(mode === 'idle' ? null : mode);
    setMode('idle');
    setError(null);
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const path = `/v1/whitelist/${encodeURIComponent(entry.id)}/${mode}`;
      if (mode === 'renew') {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('date');
        await api.post(path, { nextReviewAt: `${date}T00:00:00.000Z`, comment });
        await onReviewed(`Renewed ${entry.id}: next review ${date}.`);
      } else {
        await api.post(path, { comment });
        await onReviewed(`Retired ${entry.id}: it no longer applies.`);
      }
    } catch (failure) {
      setError(
        failure instanceof Error && failure.message === 'date'
          ? 'Write the date as YYYY-MM-DD.'
          : messageOf(failure),
      );
      setBusy(false);
    }
  };

  return (
    <li className="review-item" aria-labelledby={titleId} data-entry={entry.id}>
      <div id={titleId}>
        <code>{entry.id}</code>{' '}
        <span className={`review-state ${entry.review.state}`}>{STATE_TEXT[entry.review.state]}</span>
      </div>
      <div className="cmd-cell">
        <code>{patternOf(entry)}</code>
      </div>
      <div className="small">
        {entry.source === 'policy' ? 'policy file' : `added by ${entry.author?.email ?? entry.author?.id}`} ·
        lowers {entry.lowers.from} to {entry.lowers.to} · {reachOf(entry)} · blast radius {entry.blastRadius}
        {entry.reason && <> · {entry.reason}</>}
      </div>
      <div className="small">
        Review by {formatTime(entry.review.nextReviewAt)}; stops applying {formatTime(entry.review.lapsesAt)}{' '}
        · {hitsText(entry)}
      </div>
      {canReview && mode === 'idle' && (
        <div className="review-actions">
          <button ref={renewButton} type="button" className="small" onClick={() => open('renew')}>
            Renew {entry.id}…
          </button>{' '}
          <button ref={retireButton} type="button" className="small danger" onClick={() => open('retire')}>
            Retire {entry.id}…
          </button>
        </div>
      )}
      {mode !== 'idle' && (
        <form
          className="ack-form"
          aria-label={`${mode === 'renew' ? 'Renew' : 'Retire'} ${entry.id}`}
          onSubmit={(e) => void submit(e)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              // The page's own Escape shortcut (back to the queue) must not fire as well.
              e.preventDefault();
              e.stopPropagation();
              close();
            }
          }}
        >
          {mode === 'renew' && (
            <label>
              Next review (YYYY-MM-DD)
              <input
                ref={dateBox}
                type="text"
                inputMode="numeric"
                required
                pattern="\d{4}-\d{2}-\d{2}"
                value={date}
                onChange={(e) => setDate(e.target.value)}
              />
            </label>
          )}
          <label>
            {mode === 'renew'
              ? 'What did you check? (kept in the audit log)'
              : 'Why retire it? (kept in the audit log)'}
            <textarea
              ref={commentBox}
              required
              maxLength={2000}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          </label>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button
            type="submit"
            className={mode === 'retire' ? 'danger' : ''}
            disabled={busy || comment.trim() === ''}
          >
            {mode === 'renew' ? 'Renew entry' : 'Retire entry'}
          </button>{' '}
          <button type="button" className="link" onClick={close}>
            Cancel
          </button>
        </form>
      )}
    </li>
  );
}

function EntryTable({ items }: { items: GovernedWhitelistEntry[] }) {
  if (items.length === 0) return <p className="empty">There are no whitelist entries.</p>;
  return (
    <div className="scroll-x">
      <table className="grid governance">
        <thead>
          <tr>
            <th scope="col">entry</th>
            <th scope="col">pattern</th>
            <th scope="col">lowers</th>
            <th scope="col">reach</th>
            <th scope="col">author</th>
            <th scope="col">expires</th>
            <th scope="col">hits</th>
            <th scope="col">next review</th>
          </tr>
        </thead>
        <tbody>
          {items.map((entry) => (
            <tr key={entry.id} data-entry={entry.id}>
              <td className="nowrap">
                <code>{entry.id}</code>
                <div className="muted small">{entry.source === 'policy' ? 'policy file' : 'added'}</div>
              </td>
              <td className="cmd-cell">
                <code>{patternOf(entry)}</code>
                {entry.reason && <div className="muted small">{entry.reason}</div>}
              </td>
              <td className="nowrap">
                {entry.lowers.from} → {entry.lowers.to}
              </td>
              <td>
                {reachOf(entry)}
                <div className="muted small">blast radius {entry.blastRadius}</div>
              </td>
              <td>
                {entry.source === 'policy' ? 'policy file' : (entry.author?.email ?? entry.author?.id)}
                <div className="muted small">{formatTime(entry.createdAt)}</div>
              </td>
              <td className="nowrap">{formatTime(entry.expiresAt)}</td>
              <td className="num">
                {entry.hits.count}
                {entry.hits.count > 0 && (
                  <div className="muted small">
                    last {formatTime(entry.hits.lastHitAt)};{' '}
                    {entry.hits.agents.map((a) => a.name ?? a.id).join(', ')};{' '}
                    {entry.hits.agentTypes.join(', ')}
                  </div>
                )}
              </td>
              <td>
                {formatTime(entry.review.nextReviewAt)}
                <div className="muted small">
                  {STATE_TEXT[entry.review.state]}
                  {entry.active ? '' : ' · not applying'}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
