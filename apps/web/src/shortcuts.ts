import { useEffect, useRef } from 'react';

/** Keys typed into a field belong to the field, not to the page. */
function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Page-level single-key shortcuts. `Escape` still fires from inside fields (to leave them);
 * modified keys (Ctrl, Alt, Meta) are left to the browser.
 */
export function useShortcuts(handlers: Record<string, (event: KeyboardEvent) => void>): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
      if (event.key !== 'Escape' && typingInto(event.target)) return;
      const handler = current.current[event.key];
      if (!handler) return;
      event.preventDefault();
      handler(event);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
