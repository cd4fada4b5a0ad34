import type { DeliveryView, SecretRotated, WebhookCreated, WebhookView } from '@gatehouse/contract';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import { OnceSecret } from './OnceSecret.tsx';
import { messageOf, useList } from './useList.ts';

interface EventType {
  type: string;
  summary: string;
}

const OVERLAPS = [
  ['0', 'none: the old secret stops now'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
] as const;

/**
 * Outbound webhooks: register endpoints with their event filters, see each endpoint's delivery
 * log (status, attempts, latency), replay a delivery, rotate the signing secret, send a test
 * event. Secrets are shown once, when created or rotated; the server never returns them again.
 */
export function AdminWebhooks() {
  const { items, error, setError, reload } = useList<WebhookView>('/v1/webhooks');
  const catalogue = useList<EventType>('/v1/webhooks/events');
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(['request.pending', 'request.decided']);
  const [allowPrivate, setAllowPrivate] = useState(false);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);

  const run = async (call: () => Promise<unknown>) => {
    try {
      await call();
      setError(null);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const created = await api.post<WebhookCreated>('/v1/webhooks', {
        url,
        events,
        ...(description ? { description } : {}),
        ...(allowPrivate ? { allowPrivateNetwork: true } : {}),
      });
      setSecret({ label: `Signing secret of ${created.url}`, value: created.secret });
      setUrl('');
      setDescription('');
      setAllowPrivate(false);
    });
  };

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted small">
        Each delivery is a POST signed per the Standard Webhooks specification (<code>webhook-id</code>,{' '}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>), retried with backoff until the
        receiver answers 2xx. Payloads carry masked commands and never a secret or a verdict.
      </p>
      {secret && <OnceSecret label={secret.label} value={secret.value} onDone={() => setSecret(null)} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Register a webhook">
        <label className="grow">
          URL
          <input
            type="url"
            required
            maxLength={2048}
            placeholder="https://hooks.example.com/gatehouse"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </label>
        <label>
          Description
          <input maxLength={200} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset>
          <legend>Events</legend>
          {(catalogue.items ?? []).map((type) => (
            <label key={type.type} className="check" title={type.summary}>
              <input
                type="checkbox"
                checked={events.includes(type.type)}
                onChange={(e) =>
                  setEvents((list) =>
                    e.target.checked ? [...list, type.type] : list.filter((t) => t !== type.type),
                  )
                }
              />
              {type.type}
            </label>
          ))}
        </fieldset>
        <label
          className="check"
          title="Only for receivers inside your network: it lets this endpoint reach private, loopback and link-local addresses."
        >
          <input type="checkbox" checked={allowPrivate} onChange={(e) => setAllowPrivate(e.target.checked)} />
          Allow private network addresses
        </label>
        <button type="submit" className="primary" disabled={events.length === 0}>
          Register webhook
        </button>
      </form>
      {items?.length === 0 && <p className="muted">No webhooks yet.</p>}
      {(items ?? []).map((hook) => (
        <WebhookCard
          key={hook.id}
          hook={hook}
          run={run}
          onSecret={(value) => setSecret({ label: `New signing secret of ${hook.url}`, value })}
        />
      ))}
    </section>
  );
}

function WebhookCard({
  hook,
  run,
  onSecret,
}: {
  hook: WebhookView;
  run(call: () => Promise<unknown>): Promise<void>;
  onSecret(value: string): void;
}) {
  const base = `/v1/webhooks/${encodeURIComponent(hook.id)}`;
  const [overlap, setOverlap] = useState('86400');
  const [showLog, setShowLog] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  return (
    <section className="card" aria-labelledby={`webhook-${hook.id}`} data-testid="webhook">
      <h3 id={`webhook-${hook.id}`} className="mono">
        {hook.url}
      </h3>
      <p className="muted small">
        {hook.description && <>{hook.description} · </>}
        {hook.enabled ? 'enabled' : 'disabled'} · events: {hook.events.join(', ')}
        {hook.allowPrivateNetwork && ' · private network allowed'} · delivered {hook.deliveries.delivered},
        failed {hook.deliveries.failed}, open {hook.deliveries.open}
        {hook.previousSecretExpiresAt && (
          <> · previous secret signs until {formatTime(hook.previousSecretExpiresAt)}</>
        )}
      </p>
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            void run(async () => {
              await api.post(`${base}/test`, {});
              setNote('Test event queued: see the delivery log.');
              setShowLog(true);
            })
          }
        >
          Send test event
        </button>
        <button type="button" aria-expanded={showLog} onClick={() => setShowLog((v) => !v)}>
          {showLog ? 'Hide delivery log' : 'Delivery log'}
        </button>
        <button type="button" onClick={() => void run(() => api.patch(base, { enabled: !hook.enabled }))}>
          {hook.enabled ? 'Disable' : 'Enable'}
        </button>
        <label>
          Overlap
          <select value={overlap} onChange={(e) => setOverlap(e.target.value)}>
            {OVERLAPS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() =>
            void run(async () => {
              const rotated = await api.post<SecretRotated>(`${base}/rotate-secret`, {
                overlapSeconds: Number(overlap),
              });
              onSecret(rotated.secret);
            })
          }
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            if (window.confirm(`Delete the webhook ${hook.url}? Its delivery log is kept.`))
              void run(() => api.delete(base));
          }}
        >
          Delete
        </button>
      </div>
      {showLog && <DeliveryLog base={base} run={run} />}
    </section>
  );
}

/** The delivery log of one endpoint, newest first; it refreshes itself while open. */
function DeliveryLog({ base, run }: { base: string; run(call: () => Promise<unknown>): Promise<void> }) {
  const [items, setItems] = useState<DeliveryView[] | null>(null);
  const [seen, setSeen] = useState('');
  const load = useCallback(async () => {
    try {
      setItems((await api.get<{ items: DeliveryView[] }>(`${base}/deliveries?limit=50`)).items);
    } catch {
      // The next refresh tries again; the card shows the error of actions.
    }
  }, [base]);
  // When a delivery changes state, the card's counts are refreshed too.
  const state = (items ?? []).map((d) => `${d.id}:${d.status}:${d.attempts}`).join(',');
  useEffect(() => {
    if (items && state !== seen) {
      if (seen) void run(async () => {});
      setSeen(state);
    }
  }, [items, state, seen, run]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [load]);

  if (!items) return <p className="muted">Loading the delivery log…</p>;
  if (items.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <table className="grid" aria-label="Delivery log">
      <thead>
        <tr>
          <th scope="col">event</th>
          <th scope="col">status</th>
          <th scope="col" className="num">
            attempts
          </th>
          <th scope="col" className="num">
            HTTP
          </th>
          <th scope="col" className="num">
            latency
          </th>
          <th scope="col">last error</th>
          <th scope="col">created</th>
          <th scope="col">
            <span className="sr-only">actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.id} data-testid="delivery">
            <td>
              {d.eventType} <span className="muted small mono">{d.eventId}</span>
            </td>
            <td>
              <span className={`badge delivery-${d.status}`}>{d.status}</span>
              {d.nextAttemptAt && <span className="muted small"> next {formatTime(d.nextAttemptAt)}</span>}
            </td>
            <td className="num">{d.attempts}</td>
            <td className="num">{d.lastStatusCode ?? '—'}</td>
            <td className="num">{d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs} ms`}</td>
            <td className="small">{d.lastError ?? ''}</td>
            <td className="nowrap">{formatTime(d.createdAt)}</td>
            <td>
              {d.status !== 'sending' && (
                <button
                  type="button"
                  className="small"
                  onClick={() =>
                    void run(async () => {
                      await api.post(`${base}/deliveries/${encodeURIComponent(d.id)}/replay`, {});
                      await load();
                    })
                  }
                >
                  Replay
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
