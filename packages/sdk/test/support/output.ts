import type { OutputChunk } from '../../src/index.ts';

/** What one stream of a recording says, its chunks joined. */
export function streamText(
  chunks: readonly Pick<OutputChunk, 'stream' | 'data'>[],
  stream: OutputChunk['stream'],
) {
  return chunks
    .filter((c) => c.stream === stream)
    .map((c) => c.data)
    .join('');
}
