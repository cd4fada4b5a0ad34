import type { DriftAlarm } from '@gatehouse/contract';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { formatTime } from '../../format.ts';
import { messageOf } from '../useList.ts';
import { percent } from './csv.ts';

/**
 * Open drift alarms, above everything else on the console. Each stays until a reviewer says
 * what they found; approvers see them but cannot acknowledge.
 */
export function DriftBanner({
  alarms,
  canAcknowledge,
  onAcknowledged,
}: {
  alarms: DriftAlarm[];
  canAcknowledge: boolean;
  onAcknowledged: () => void;
}) {
  if (alarms.length === 0) return null;
  return (
    <section className="drift-banner" role="alert" aria-labelledby="drift-title">
      <h2 id="drift-title">
        {alarms.length === 1 ? 'Auto-approval drift alarm' : `${alarms.length} auto-approval drift alarms`}
      </h2>
      <ul>
        {alarms.map((alarm) => (
          <Alarm
            key={alarm.id}
            alarm={alarm}
            canAcknowledge={canAcknowledge}
            onAcknowledged={onAcknowledged}
          />
        ))}
      </ul>
    </section>
  );
}

function Alarm({
  alarm,
  canAcknowledge,
  onAcknowledged,
}: {
  alarm: DriftAlarm;
  canAcknowledge: boolean;
  onAcknowledged: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  // Opening the form moves the focus into it, so a keyboard user types at once.
  useEffect(() => {
    if (open) box.current?.focus();
  }, [open]);
  const why =
    alarm.trigger === 'ceiling'
      ? `${percent(alarm.rate)} auto-approved over ${alarm.windowDays} days, above the ceiling`
      : `${percent(alarm.rate)} auto-approved over ${alarm.windowDays} days, up from ${percent(alarm.baseline)}`;
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post(`/v1/insights/drift/${encodeURIComponent(alarm.id)}/acknowledge`, { comment });
      onAcknowledged();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li data-alarm={alarm.key}>
      <strong>{alarm.key}</strong>: {why} ({alarm.total} requests; now {percent(alarm.currentRate)}). Since{' '}
      {formatTime(alarm.since)}.
      {canAcknowledge && !open && (
        <button type="button" className="small" onClick={() => setOpen(true)}>
          Acknowledge…
        </button>
      )}
      {open && (
        <form className="ack-form" onSubmit={(e) => void submit(e)}>
          <label>
            What did you find? (kept in the audit log)
            <textarea
              ref={box}
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
          <button type="submit" disabled={busy || comment.trim() === ''}>
            Acknowledge alarm
          </button>{' '}
          <button type="button" className="link" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      )}
    </li>
  );
}
