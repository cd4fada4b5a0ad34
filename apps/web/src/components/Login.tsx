import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api, type SessionInfo } from '../api.ts';
import type { Providers } from '../types.ts';

const OIDC_ERRORS: Record<string, string> = {
  access_denied: 'The identity provider refused the sign-in.',
  login_failed: 'Single sign-on failed. Try again.',
};

export function Login({ onSignedIn }: { onSignedIn(info: SessionInfo): void }) {
  const [providers, setProviders] = useState<Providers | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(() => {
    const code = new URLSearchParams(location.search).get('error');
    return code ? (OIDC_ERRORS[code] ?? `Sign-in failed: ${code}`) : null;
  });

  useEffect(() => {
    api
      .get<Providers>('/v1/auth/providers')
      .then(setProviders)
      .catch(() => setProviders({ local: true, oidc: false }));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.post<SessionInfo>('/v1/auth/login', { email, password }));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Sign-in failed.');
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <h1>Gatehouse</h1>
      <p className="muted">Sign in to review the commands agents want to run.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {providers?.oidc && (
        <a className="button primary wide" href="/v1/auth/oidc/login">
          Sign in with single sign-on
        </a>
      )}
      {providers?.local !== false && (
        <form onSubmit={submit} aria-label="Sign in with a local account">
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" className="primary wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      )}
    </main>
  );
}
