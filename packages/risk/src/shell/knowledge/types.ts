import type { Invocation, Stream } from '../context.ts';

/** Command knowledge for one program: emits findings, returns what the command prints when known. */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers only emit findings and return nothing.
export type Handler = (inv: Invocation) => Stream | undefined | void;
