import type { Invocation, Scope, Stream } from '../context.ts';
import { emit, wasDownloaded } from '../context.ts';

export function nested(inv: Invocation, label: string): Scope {
  return { depth: inv.scope.depth + 1, via: [...inv.scope.via, label] };
}

/** What to do with a script that reaches an interpreter through stdin or a file argument. */
export function judgeScriptSource(
  inv: Invocation,
  source: Stream,
  label: string,
  onText: (text: string) => void,
  interactive: () => void,
  fromStdin = true,
): void {
  switch (source.kind) {
    case 'literal':
      onText(source.text);
      return;
    case 'remote':
      emit(inv.session, 'shell.download-exec', `${label} runs what ${source.from} downloads`);
      return;
    case 'decoded':
      emit(inv.session, 'shell.decode-exec', `${label} runs a decoded payload`);
      if (source.text !== undefined) onText(source.text);
      return;
    case 'sensitive':
      emit(inv.session, 'shell.stdin-script-unknown', `${label} reads ${source.what}`);
      return;
    case 'file':
      if (wasDownloaded(inv.session, source.path)) {
        emit(inv.session, 'shell.download-exec', `${label} runs ${source.path}, downloaded earlier`);
      } else
        emit(
          inv.session,
          fromStdin ? 'shell.stdin-script-unknown' : 'shell.script.run',
          `${label} runs ${source.path}`,
        );
      return;
    default:
      interactive();
  }
}
