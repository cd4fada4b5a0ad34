import { useState } from 'react';

/** A credential the server shows exactly once: say so, and make it easy to copy. */
export function OnceSecret({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="once" role="alert">
      <p>
        <strong>{label}</strong> — shown once. Copy it now; Gatehouse keeps only its hash.
      </p>
      <code className="secret" data-testid="secret">
        {value}
      </code>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
