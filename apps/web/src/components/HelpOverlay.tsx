import { useEffect, useRef, useState } from 'react';
import { hasRole, useSession } from '../session.tsx';
import { useShortcuts } from '../shortcuts.ts';

const KEYS: [string, string][] = [
  ['j / k', 'next / previous request in the queue'],
  ['Enter', 'open the selected request'],
  ['a', 'approve (opens the confirmation)'],
  ['r', 'reject (opens the confirmation)'],
  ['Esc', 'back to the queue / close'],
  ['?', 'this help'],
];

/** Keys that decide, shown only to people who can. */
const DECIDING = new Set(['a', 'r']);

export function HelpOverlay() {
  const { user } = useSession();
  const keys = hasRole(user, 'approver') ? KEYS : KEYS.filter(([key]) => !DECIDING.has(key));
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  useShortcuts({ '?': () => setOpen((o) => !o) });
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} className="help" aria-labelledby="help-title" onClose={() => setOpen(false)}>
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl>
        {keys.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={() => setOpen(false)}>
        Close
      </button>
    </dialog>
  );
}
