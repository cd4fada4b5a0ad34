import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api, query } from '../api.ts';
import { agentLabel, formatTime, STATUS_LABEL, TIER_LABEL } from '../format.ts';
import { navigate, onLinkClick, useLocation } from '../router.ts';
import type { Agent, Page, RequestView } from '../types.ts';
import { Score, StatusBadge, TierBadge } from './Badges.tsx';
import { useList } from './useList.ts';

const PAGE_SIZE = 50;
const FILTERS = ['q', 'agent', 'tier', 'status', 'decision', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** Who decided a final request nobody voted on. */
function decidedWithoutPeople(status: RequestView['status']): string {
  if (status === 'auto_approved' || status === 'denied') return 'policy';
  if (status === 'expired') return 'deadline';
  if (status === 'cancelled') return 'agent revoked';
  return '—';
}

function readFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  return Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Filters;
}

/** datetime-local values are local time; the API wants instants. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Filters change the results while people type, but not with every key they press. */
const APPLY_DELAY_MS = 300;

/** The filters as the API takes them (the list and the CSV export read the same ones). */
function apiFilters(filters: Filters) {
  return {
    q: filters.q,
    agent: filters.agent,
    tier: filters.tier,
    status: filters.status,
    decision: filters.decision,
    from: toInstant(filters.from),
    to: toInstant(filters.to),
  };
}

/** Every request, filtered and searched on the server; the filters live in the URL to share. */
export function History() {
  const { search } = useLocation();
  const applied = readFilters(search);
  const [draft, setDraft] = useState<Filters>(applied);
  const agents = useList<Agent>('/v1/agents');
  // Cursors of the pages before the current one, for "previous".
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [page, setPage] = useState<Page<RequestView> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    const filters = readFilters(search);
    api
      .get<Page<RequestView>>(`/v1/requests${query({ ...apiFilters(filters), limit: PAGE_SIZE, cursor })}`)
      .then((answer) => {
        if (!cancelled) setPage(answer);
      })
      .catch((failure) => {
        if (!cancelled)
          setError(failure instanceof ApiError ? failure.message : 'History could not be loaded.');
      });
    return () => {
      cancelled = true;
    };
  }, [search, cursor]);

  const applyDraft = () => {
    const next = query(draft);
    if (next === query(readFilters(location.search))) return;
    setCursors([]);
    setCursor(undefined);
    navigate(`/history${next}`, { replace: true });
  };
  // Search as you type: the draft is applied once typing pauses.
  useEffect(() => {
    const timer = setTimeout(applyDraft, APPLY_DELAY_MS);
    return () => clearTimeout(timer);
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    applyDraft();
  };
  const set = (key: keyof Filters) => (event: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: event.target.value }));

  return (
    <section className="history" aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form className="filters" onSubmit={apply} aria-label="Filters">
        <label className="grow">
          Search commands
          <input type="search" value={draft.q} onChange={set('q')} placeholder="e.g. DROP TABLE" />
        </label>
        <label>
          Agent
          <select value={draft.agent} onChange={set('agent')}>
            <option value="">any</option>
            {(agents.items ?? []).map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
                {agent.revokedAt ? ' (revoked)' : ''}
              </option>
            ))}
            {draft.agent && agents.items && !agents.items.some((a) => a.id === draft.agent) && (
              <option value={draft.agent}>{draft.agent}</option>
            )}
          </select>
        </label>
        <label>
          Tier
          <select value={draft.tier} onChange={set('tier')}>
            <option value="">any</option>
            {Object.entries(TIER_LABEL).map(([tier, label]) => (
              <option key={tier} value={tier}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={draft.status} onChange={set('status')}>
            <option value="">any</option>
            {Object.entries(STATUS_LABEL).map(([status, label]) => (
              <option key={status} value={status}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Decision
          <select value={draft.decision} onChange={set('decision')}>
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={set('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={set('to')} />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
        <a
          className="button"
          href={`/v1/requests/export${query(apiFilters(applied))}`}
          download
          data-testid="export-csv"
        >
          Export CSV
        </a>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {page && (
        <>
          <div className="scroll-x">
            <table className="grid history-grid">
              <thead>
                <tr>
                  <th scope="col">submitted</th>
                  <th scope="col">command</th>
                  <th scope="col">agent</th>
                  <th scope="col">env</th>
                  <th scope="col">tier</th>
                  <th scope="col">score</th>
                  <th scope="col">status</th>
                  <th scope="col">decided by</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((item) => (
                  <tr key={item.id}>
                    <td className="nowrap">{formatTime(item.createdAt)}</td>
                    <td className="cmd-cell">
                      <a href={`/requests/${encodeURIComponent(item.id)}`} onClick={onLinkClick}>
                        <code>{item.command}</code>
                      </a>
                    </td>
                    <td>{agentLabel(item)}</td>
                    <td>
                      <span className={`env env-${item.context?.environment ?? 'none'}`}>
                        {item.context?.environment ?? '—'}
                      </span>
                    </td>
                    <td>
                      <TierBadge tier={item.tier} />
                    </td>
                    <td>
                      <Score score={item.score} />
                    </td>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    <td className="decided-by">
                      {item.decidedBy && item.decidedBy.length > 0 ? (
                        item.decidedBy.map((d) => (
                          <div key={d.email}>
                            {d.email}{' '}
                            <span className="muted small">
                              {d.decision === 'approve' ? 'approved' : 'rejected'}
                            </span>
                          </div>
                        ))
                      ) : (
                        <span className="muted">
                          {item.status === 'pending' ? '—' : decidedWithoutPeople(item.status)}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.items.length === 0 && <p className="empty">No request matches.</p>}
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length === 0 && cursor === undefined}
              onClick={() => {
                const previous = [...cursors];
                const back = previous.pop();
                setCursors(previous);
                setCursor(back === '' ? undefined : back);
              }}
            >
              ← Newer
            </button>
            <button
              type="button"
              disabled={!page.nextCursor}
              onClick={() => {
                setCursors((c) => [...c, cursor ?? '']);
                setCursor(page.nextCursor ?? undefined);
              }}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
