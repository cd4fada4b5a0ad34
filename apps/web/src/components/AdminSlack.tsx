import type { SlackLinkView, SlackStatus, SlackTestAnswer } from '@gatehouse/contract';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import type { User } from '../types.ts';
import { messageOf, useList } from './useList.ts';

/**
 * Slack approvals: how the server is configured (set by environment variables, shown here), a
 * test message, and the explicit links between Slack members and Gatehouse people for those
 * whose confirmed Slack email is not their Gatehouse one.
 */
export function AdminSlack() {
  const [status, setStatus] = useState<SlackStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [channel, setChannel] = useState('');
  const links = useList<SlackLinkView>('/v1/slack/links');
  const users = useList<User>('/v1/users');
  const [slackUserId, setSlackUserId] = useState('');
  const [userId, setUserId] = useState('');

  useEffect(() => {
    api.get<SlackStatus>('/v1/slack').then(setStatus, (failure) => setError(messageOf(failure)));
  }, []);

  const run = async (call: () => Promise<unknown>) => {
    try {
      await call();
      setError(null);
      await links.reload();
    } catch (failure) {
      setNote(null);
      setError(messageOf(failure));
    }
  };

  const test = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const sent = await api.post<SlackTestAnswer>('/v1/slack/test', channel ? { channel } : {});
      setNote(`Test message posted to ${sent.channel}.`);
    });
  };

  const link = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.put('/v1/slack/links', { slackUserId: slackUserId.trim(), userId });
      setSlackUserId('');
      setUserId('');
    });
  };

  const interactivityUrl = status ? `${window.location.origin}${status.interactivityPath}` : '';

  return (
    <section aria-labelledby="slack-title">
      <h2 id="slack-title">Slack</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      {status && !status.configured && (
        <p className="notice">
          Slack is off. Set <code>GATEHOUSE_SLACK_BOT_TOKEN</code> and{' '}
          <code>GATEHOUSE_SLACK_SIGNING_SECRET</code> (and a channel: <code>GATEHOUSE_SLACK_CHANNEL</code>)
          and restart; <code>docs/notifications.md</code> explains how to create the Slack app.
        </p>
      )}
      {status?.configured && (
        <>
          <dl className="facts">
            <div>
              <dt>Interactivity Request URL</dt>
              <dd className="mono">{interactivityUrl}</dd>
            </div>
            <div>
              <dt>Default channel</dt>
              <dd className="mono">{status.defaultChannel ?? '—'}</dd>
            </div>
            <div>
              <dt>Routes</dt>
              <dd className="mono">
                {Object.entries(status.routes)
                  .map(([key, value]) => `${key} → ${value}`)
                  .join(', ') || '—'}
              </dd>
            </div>
            <div>
              <dt>People</dt>
              <dd>
                {status.linkByEmail
                  ? 'by confirmed Slack email, or an admin’s link'
                  : 'by an admin’s link only'}
                {status.teamId && ` · workspace ${status.teamId} only`}
              </dd>
            </div>
          </dl>
          <form className="inline-form" onSubmit={test} aria-label="Send a Slack test message">
            <label>
              Channel (empty: the default)
              <input
                maxLength={80}
                value={channel}
                onChange={(e) => setChannel(e.target.value)}
                placeholder="C0123ABCD"
              />
            </label>
            <button type="submit">Send Slack test message</button>
          </form>
          <h3>Linked Slack members</h3>
          <form className="inline-form" onSubmit={link} aria-label="Link a Slack member">
            <label>
              Slack member id
              <input
                required
                pattern="[UW][A-Z0-9]{2,30}"
                placeholder="U0123ABCD"
                value={slackUserId}
                onChange={(e) => setSlackUserId(e.target.value)}
              />
            </label>
            <label>
              Gatehouse person
              <select required value={userId} onChange={(e) => setUserId(e.target.value)}>
                <option value="">choose a person</option>
                {(users.items ?? []).map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.email}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Link</button>
          </form>
          {(links.items ?? []).length > 0 && (
            <table className="grid" aria-label="Linked Slack members">
              <thead>
                <tr>
                  <th scope="col">Slack member</th>
                  <th scope="col">Gatehouse person</th>
                  <th scope="col">linked</th>
                  <th scope="col">
                    <span className="sr-only">actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(links.items ?? []).map((l) => (
                  <tr key={l.slackUserId}>
                    <td className="mono">{l.slackUserId}</td>
                    <td>{l.email}</td>
                    <td>
                      {formatTime(l.createdAt)} by {l.createdBy}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        onClick={() =>
                          void run(() => api.delete(`/v1/slack/links/${encodeURIComponent(l.slackUserId)}`))
                        }
                      >
                        remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
