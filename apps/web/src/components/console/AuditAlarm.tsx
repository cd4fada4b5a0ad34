import type { AuditStatus } from '@gatehouse/contract';
import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { formatTime } from '../../format.ts';
import { hasRole, useSession } from '../../session.tsx';

/** How often the console asks for the continuous verification's result. */
const POLL_MS = 30_000;

/**
 * The audit alarm, above everything else on the console for auditors and admins: the last
 * continuous verification failed (what is missing, since when), or a witness cannot be written.
 */
export function AuditAlarmBanner() {
  const { user } = useSession();
  const allowed = hasRole(user, 'auditor') || hasRole(user, 'admin');
  const [status, setStatus] = useState<AuditStatus | null>(null);
  useEffect(() => {
    if (!allowed) return;
    let alive = true;
    const load = () =>
      api.get<AuditStatus>('/v1/audit/status').then(
        (s) => alive && setStatus(s),
        () => {},
      );
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [allowed]);
  if (!status?.alarm) return null;
  const failing = status.witnesses.filter((w) => w.failing);
  const verification = status.verification;
  return (
    <section className="drift-banner" role="alert" aria-labelledby="audit-alarm-title">
      <h2 id="audit-alarm-title">Audit alarm</h2>
      {verification && !verification.ok && (
        <>
          <p>
            The audit log failed verification at {formatTime(verification.at)}: {verification.problemCount}{' '}
            problem{verification.problemCount === 1 ? '' : 's'}. Run <code>gatehouse audit verify</code> for
            the full report.
          </p>
          <ul>
            {verification.problems.slice(0, 5).map((p, i) => (
              // Problems have no id of their own; the report's order is fixed.
              <li key={`${i}:${p.kind}`}>
                <strong>{p.kind}</strong> {p.detail}
              </li>
            ))}
          </ul>
        </>
      )}
      {failing.map((w) => (
        <p key={w.name}>
          Witness {w.name} cannot be written since {formatTime(w.failing!.since)}: {w.failing!.error}
        </p>
      ))}
    </section>
  );
}
