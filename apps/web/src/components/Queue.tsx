import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, query } from '../api.ts';
import { agentLabel, countdown, queueOrder, secondsLeft } from '../format.ts';
import { useMediaQuery, useNow } from '../hooks.ts';
import { useLiveEvents } from '../live-context.tsx';
import { announceNew, loadPrefs, type NotifyPrefs } from '../notify.ts';
import { navigate, onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import { useShortcuts } from '../shortcuts.ts';
import type { Page, RequestView, User } from '../types.ts';
import { Score, TierBadge } from './Badges.tsx';
import { NotifySettings } from './NotifySettings.tsx';
import { VirtualList } from './VirtualList.tsx';

const PAGE_SIZE = 50;
const ROW_HEIGHT = 48;
/** On a phone a row takes two lines: the facts, then the whole width for the command. */
const NARROW_ROW_HEIGHT = 68;
export const NARROW_QUERY = '(max-width: 640px)';

interface QueueState {
  items: RequestView[];
  nextCursor: string | null;
}

interface MergeOptions {
  fromPage: boolean;
  /** The read-only view of every pending request keeps what the viewer may not decide. */
  readOnly: boolean;
}

/** Adds or replaces items, keeping the queue's order and dropping what is no longer pending. */
function merge(state: QueueState, incoming: RequestView[], { fromPage, readOnly }: MergeOptions): QueueState {
  const byId = new Map(state.items.map((item) => [item.id, item]));
  const last = state.items[state.items.length - 1];
  for (const item of incoming) {
    if (item.status !== 'pending' || (item.eligible === false && !readOnly)) {
      byId.delete(item.id);
      continue;
    }
    // A live item that sorts after the last loaded one belongs to a page not fetched yet;
    // it arrives with that page, in its place.
    if (!fromPage && !byId.has(item.id) && state.nextCursor && last && queueOrder(item, last) > 0) continue;
    byId.set(item.id, { ...byId.get(item.id), ...item });
  }
  return { ...state, items: [...byId.values()].sort(queueOrder) };
}

/**
 * Auditors and admins who do not approve see every pending request (`all=true`), read-only:
 * an empty "waits for you" queue would hide what is waiting for someone.
 */
export function isReadOnlyViewer(user: User): boolean {
  return !hasRole(user, 'approver') && (hasRole(user, 'auditor') || hasRole(user, 'admin'));
}

export function Queue() {
  const { user } = useSession();
  const readOnly = isReadOnlyViewer(user);
  const [state, setState] = useState<QueueState>({ items: [], nextCursor: null });
  const [loaded, setLoaded] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const [prefs, setPrefs] = useState<NotifyPrefs>(loadPrefs);
  const [announcement, setAnnouncement] = useState('');
  const now = useNow(1000);
  const narrow = useMediaQuery(NARROW_QUERY);
  const prefsRef = useRef(prefs);
  prefsRef.current = prefs;
  const loadingMoreRef = useRef(false);

  const loadFirst = useCallback(async () => {
    try {
      const page = await api.get<Page<RequestView>>(
        `/v1/requests${query({ status: 'pending', limit: PAGE_SIZE, all: readOnly || undefined })}`,
      );
      setState(
        merge({ items: [], nextCursor: page.nextCursor ?? null }, page.items, { fromPage: true, readOnly }),
      );
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'The queue could not be loaded.');
    } finally {
      setLoaded(true);
    }
  }, [readOnly]);

  const loadMore = useCallback(async () => {
    if (!state.nextCursor || loadingMoreRef.current) return;
    loadingMoreRef.current = true;
    setLoadingMore(true);
    try {
      const page = await api.get<Page<RequestView>>(
        `/v1/requests${query({
          status: 'pending',
          limit: PAGE_SIZE,
          cursor: state.nextCursor,
          all: readOnly || undefined,
        })}`,
      );
      setState((current) =>
        merge({ ...current, nextCursor: page.nextCursor ?? null }, page.items, { fromPage: true, readOnly }),
      );
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'More items could not be loaded.');
    } finally {
      loadingMoreRef.current = false;
      setLoadingMore(false);
    }
  }, [state.nextCursor, readOnly]);

  useEffect(() => {
    void loadFirst();
  }, [loadFirst]);

  // A new request's list event does not say whether this person may decide it; the detail does.
  const fetchAndAdd = useCallback(
    async (id: string, isNew: boolean) => {
      try {
        const request = await api.get<RequestView>(`/v1/requests/${encodeURIComponent(id)}`);
        if (request.status !== 'pending' || (request.eligible === false && !readOnly)) return;
        setState((current) => merge(current, [request], { fromPage: false, readOnly }));
        if (isNew) {
          announceNew(request, prefsRef.current);
          setAnnouncement(`New ${request.tier.replace('_', '-')} request from ${agentLabel(request)}`);
        }
      } catch {
        // Gone or not visible to us: nothing to show.
      }
    },
    [readOnly],
  );

  useLiveEvents((message) => {
    if (message.type === 'reconnected') void loadFirst();
    else if (message.type === 'request.created' && message.data.status === 'pending')
      void fetchAndAdd(message.data.id, true);
    else if (message.type === 'approval.requested' || message.type === 'request.escalated')
      void fetchAndAdd(message.data.id, false);
    else if (message.type === 'request.updated') {
      const update = message.data;
      setState((current) => {
        if (!current.items.some((item) => item.id === update.id)) return current;
        return merge(current, [update], { fromPage: false, readOnly });
      });
    }
  });

  const items = state.items;
  const active = Math.min(selected, items.length - 1);
  const open = (request: RequestView | undefined, decide?: 'approve' | 'reject') => {
    if (request) navigate(`/requests/${encodeURIComponent(request.id)}${decide ? `?decide=${decide}` : ''}`);
  };
  useShortcuts(
    {
      j: () => setSelected((s) => Math.min(s + 1, items.length - 1)),
      k: () => setSelected((s) => Math.max(s - 1, 0)),
      Enter: () => open(items[active]),
      ...(readOnly
        ? {}
        : { a: () => open(items[active], 'approve'), r: () => open(items[active], 'reject') }),
    },
    { ready: loaded },
  );

  return (
    <section className="queue" aria-labelledby="queue-title">
      <div className="toolbar">
        <h1 id="queue-title">
          Pending <span className="count">{items.length}</span>
          {readOnly && <span className="muted small"> all, read-only</span>}
          {state.nextCursor ? <span className="muted small"> loaded, more on scroll</span> : null}
        </h1>
        <NotifySettings prefs={prefs} onChange={setPrefs} />
      </div>
      {readOnly && (
        <p className="notice" data-testid="read-only">
          You see every pending request, read-only: deciding needs the approver role.
        </p>
      )}
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {loaded && items.length === 0 && !error && (
        <p className="empty">
          {readOnly ? 'Nothing is pending.' : 'Nothing waits for you.'} New requests appear here as they
          arrive.
        </p>
      )}
      {items.length > 0 && (
        <div className="queue-head" aria-hidden="true">
          <span>tier</span>
          <span>score</span>
          <span>command</span>
          <span>agent</span>
          <span>env</span>
          <span>time left</span>
        </div>
      )}
      <VirtualList
        items={items}
        rowHeight={narrow ? NARROW_ROW_HEIGHT : ROW_HEIGHT}
        activeIndex={active}
        label="Pending requests"
        keyOf={(item) => item.id}
        onNearEnd={state.nextCursor ? loadMore : undefined}
        renderRow={(item, index) => (
          <QueueRow item={item} now={now} selected={index === active} onSelect={() => setSelected(index)} />
        )}
      />
      {state.nextCursor && (
        <button type="button" className="load-more" onClick={() => void loadMore()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
      <p className="hint muted">
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open ·{' '}
        {readOnly ? null : (
          <>
            <kbd>a</kbd> approve · <kbd>r</kbd> reject ·{' '}
          </>
        )}
        <kbd>?</kbd> help
      </p>
    </section>
  );
}

function QueueRow({
  item,
  now,
  selected,
  onSelect,
}: {
  item: RequestView;
  now: number;
  selected: boolean;
  onSelect(): void;
}) {
  const left = secondsLeft(item.deadline, now);
  const urgency = left < 60 ? 'urgent' : left < 300 ? 'soon' : '';
  return (
    <a
      href={`/requests/${encodeURIComponent(item.id)}`}
      className={`qrow${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      onClick={onLinkClick}
      onFocus={onSelect}
      data-request-id={item.id}
    >
      <TierBadge tier={item.tier} />
      <Score score={item.score} />
      <code className="cmd" title={item.command}>
        {item.command}
      </code>
      <span
        className="agent"
        title={
          item.agent ? `${item.agent.type}, owner ${item.agent.ownerEmail ?? item.agent.owner ?? '—'}` : ''
        }
      >
        {agentLabel(item)}
      </span>
      <span className={`env env-${item.context?.environment ?? 'none'}`}>
        {item.context?.environment ?? '—'}
      </span>
      <span className={`countdown ${urgency}`}>
        <span className="sr-only">time left </span>
        {countdown(item.deadline, now)}
      </span>
    </a>
  );
}
