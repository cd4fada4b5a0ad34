import { useMemo } from 'react';
import { highlightCommand } from '../highlight.ts';

/** The exact command, highlighted, wrapped and never truncated: what you approve is what runs. */
export function CommandView({
  kind,
  command,
  dialect,
}: {
  kind: 'shell' | 'sql';
  command: string;
  dialect?: string | null;
}) {
  const html = useMemo(() => highlightCommand(kind, command), [kind, command]);
  return (
    <figure className="command">
      <figcaption>
        {kind === 'sql' ? `SQL${dialect ? ` (${dialect})` : ''}` : 'shell'} · {command.length} characters
      </figcaption>
      {/* highlight.js escapes the command text; the markup it adds is only its own spans. */}
      <pre className="hljs" data-testid="command">
        <code dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </figure>
  );
}
