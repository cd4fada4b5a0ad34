import { useEffect, useRef } from 'react';

type Handler = (event?: KeyboardEvent) => void;

interface Registration {
  handlers: Record<string, Handler>;
  /** False while the view is still loading what its keys act on (e.g. the queue's items). */
  ready: boolean;
}

/** Keys typed into a field belong to the field, not to the page. */
function activatesItself(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && ['A', 'BUTTON', 'SUMMARY'].includes(target.tagName);
}

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

const registrations = new Set<{ current: Registration }>();

/**
 * Keys pressed while the page is still loading (the session check, the first page of the
 * queue, a request's detail), kept for the view that will handle them: an approver who
 * opens the queue and presses `j`, `Enter`, `a` at once should not have to press them again.
 */
const early: { key: string; at: number }[] = [];
/** An early key older than this is dropped: it was pressed for a page that never came. */
const EARLY_KEY_MS = 2_000;
/** Pause between replayed keys, so each one's state change has rendered before the next reads it. */
const REPLAY_GAP_MS = 30;
let _replaying: ReturnType<typeof setTimeout> | undefined;

function dispatch(key: string, event?: KeyboardEvent): boolean {
  let handled = false;
  for (const registration of registrations) {
    const handler = registration.current.ready ? registration.current.handlers[key] : undefined;
    if (handler) {
      handler(event);
      handled = true;
    }
  }
  return handled;
}

function loading(): boolean {
  return registrations.size === 0 || [...registrations].some((r) => !r.current.ready);
}

/** Hands the oldest early key to a ready view, one key per render, in the order pressed. */
function replay(): void {
  _replaying = undefined;
  for (;;) {
    const next = early[0];
    if (!next) return;
    if (performance.now() - next.at > EARLY_KEY_MS) {
      early.shift();
      continue;
    }
    if (dispatch(next.key)) break;
    // Nothing loading could take it: a key no view handles is dropped, as it would be live.
    if (loading()) return;
    early.shift();
  }
  early.shift();
  if (early.length > 0) _replaying = setTimeout(replay, REPLAY_GAP_MS);
}

if (typeof window !== 'undefined') {
  window.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (event.key !== 'Escape' && typingInto(event.target)) return;
    // Enter and Space on a focused link or button are that control's own (keyboard navigation).
    if ((event.key === 'Enter' || event.key === ' ') && activatesItself(event.target)) return;
    // Behind an early key, a later one waits its turn.
    if (early.length === 0 && dispatch(event.key, event)) {
      event.preventDefault();
      return;
    }
    if (loading() || early.length > 0) {
      early.push({ key: event.key, at: performance.now() });
      _replaying ??= setTimeout(replay, 0);
    }
  });
}

/**
 * Page-level single-key shortcuts. `Escape` still fires from inside fields (to leave them);
 * modified keys (Ctrl, Alt, Meta) are left to the browser. Pass `ready: false` while the view
 * loads what its keys act on; keys pressed meanwhile are handled once it is ready.
 */
export function useShortcuts(handlers: Record<string, Handler>, { ready = true } = {}): void {
  const registration = useRef<Registration>({ handlers, ready });
  registration.current = { handlers, ready };
  useEffect(() => {
    registrations.add(registration);
    return () => {
      registrations.delete(registration);
    };
  }, []);
  useEffect(() => {
    if (ready && early.length > 0) _replaying ??= setTimeout(replay, 0);
  }, [ready]);
}
