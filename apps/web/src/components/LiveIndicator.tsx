import { useLiveStatus } from '../live-context.tsx';

const LABEL = { live: 'Live', connecting: 'Connecting…', disconnected: 'Disconnected — reconnecting' };

/** Whether the queue is current: an approver must know when what they see may be stale. */
export function LiveIndicator() {
  const status = useLiveStatus();
  return (
    <output className={`live live-${status}`} aria-live="polite" data-status={status}>
      <span className="dot" aria-hidden="true" />
      {LABEL[status]}
    </output>
  );
}
