import { useEffect, useState } from 'react';

export type AdminTab = 'users' | 'groups' | 'agents' | 'tokens' | 'notifications' | 'connections';

/** History-based routing: real paths (the server answers index.html for every page path). */
export type Route =
  | { name: 'queue' }
  | { name: 'request'; id: string; decide?: 'approve' | 'reject' }
  | { name: 'history' }
  | { name: 'whitelist' }
  | { name: 'grants' }
  | { name: 'console' }
  | { name: 'backtest' }
  | { name: 'admin'; tab: AdminTab }
  | { name: 'login' }
  | { name: 'not-found' };

export function parseRoute(path: string, search: string): Route {
  if (path === '/' || path === '') return { name: 'queue' };
  if (path === '/login') return { name: 'login' };
  if (path === '/history') return { name: 'history' };
  if (path === '/whitelist') return { name: 'whitelist' };
  if (path === '/grants') return { name: 'grants' };
  if (path === '/console') return { name: 'console' };
  if (path === '/console/backtest') return { name: 'backtest' };
  const request = /^\/requests\/([^/]+)$/.exec(path);
  if (request?.[1]) {
    const decide = new URLSearchParams(search).get('decide');
    return {
      name: 'request',
      id: decodeURIComponent(request[1]),
      ...(decide === 'approve' || decide === 'reject' ? { decide } : {}),
    };
  }
  const admin = /^\/admin(?:\/(users|groups|agents|tokens|notifications|connections))?$/.exec(path);
  if (admin) return { name: 'admin', tab: (admin[1] as AdminTab) ?? 'users' };
  return { name: 'not-found' };
}

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
}

export function useLocation(): { path: string; search: string } {
  const read = () => ({ path: location.pathname, search: location.search });
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return current;
}

/** A same-page link: plain anchors keep open-in-new-tab; a normal click navigates in place. */
export function onLinkClick(event: React.MouseEvent<HTMLAnchorElement>): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  event.preventDefault();
  navigate(event.currentTarget.getAttribute('href') ?? '/');
}
