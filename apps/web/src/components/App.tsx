import { useCallback, useEffect, useState } from 'react';
import { ApiError, api, type SessionInfo, setCsrfToken, setUnauthorizedHandler } from '../api.ts';
import { LiveProvider } from '../live-context.tsx';
import { navigate, parseRoute, useLocation } from '../router.ts';
import { SessionContext } from '../session.tsx';
import type { User } from '../types.ts';
import { Admin } from './Admin.tsx';
import { Backtest } from './console/Backtest.tsx';
import { Dashboard } from './console/Dashboard.tsx';
import { Grants } from './Grants.tsx';
import { Header } from './Header.tsx';
import { HelpOverlay } from './HelpOverlay.tsx';
import { History } from './History.tsx';
import { Login } from './Login.tsx';
import { Queue } from './Queue.tsx';
import { RequestDetail } from './RequestDetail.tsx';
import { Whitelist } from './Whitelist.tsx';

type SessionState = { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; user: User };

export function App() {
  const [session, setSession] = useState<SessionState>({ state: 'loading' });
  const { path, search } = useLocation();
  const route = parseRoute(path, search);

  const signIn = useCallback((info: SessionInfo) => {
    setCsrfToken(info.csrfToken);
    setSession({ state: 'signed-in', user: info.user });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setSession({ state: 'signed-out' });
    });
    // `/v1/auth/session` answers `{user: null}` when nobody is signed in (no 401 in the console).
    api
      .get<SessionInfo | { user: null }>('/v1/auth/session')
      .then((info) => (info.user ? signIn(info as SessionInfo) : setSession({ state: 'signed-out' })))
      .catch(() => setSession({ state: 'signed-out' }));
    return () => setUnauthorizedHandler(null);
  }, [signIn]);

  const logout = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } catch (error) {
      // Already signed out is the outcome we want; anything else is worth showing.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    setCsrfToken(null);
    setSession({ state: 'signed-out' });
    navigate('/login', { replace: true });
  }, []);

  if (session.state === 'loading') {
    return (
      <p className="page-status" role="status">
        Loading…
      </p>
    );
  }
  if (session.state === 'signed-out') {
    return (
      <Login
        onSignedIn={(info) => {
          signIn(info);
          if (route.name === 'login') navigate('/', { replace: true });
        }}
      />
    );
  }
  if (route.name === 'login') {
    navigate('/', { replace: true });
    return null;
  }

  return (
    <SessionContext.Provider value={{ user: session.user, logout }}>
      <LiveProvider>
        <Header route={route} />
        <main id="main">
          {route.name === 'queue' && <Queue />}
          {route.name === 'request' && <RequestDetail key={route.id} id={route.id} decide={route.decide} />}
          {route.name === 'history' && <History />}
          {route.name === 'whitelist' && <Whitelist />}
          {route.name === 'grants' && <Grants />}
          {route.name === 'console' && <Dashboard />}
          {route.name === 'backtest' && <Backtest />}
          {route.name === 'admin' && <Admin tab={route.tab} />}
          {route.name === 'not-found' && <p className="page-status">There is no page here.</p>}
        </main>
        <HelpOverlay />
      </LiveProvider>
    </SessionContext.Provider>
  );
}
