import { StringDecoder } from 'node:string_decoder';

/** One piece of a command's output, as it was written. */
export interface OutputChunk {
  /** Milliseconds since the command started. */
  t: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface RecordedOutput {
  chunks: OutputChunk[];
  truncated: boolean;
}

/** What a recording keeps by default; the server applies its own cap as well. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Turns a command's stdout/stderr into timestamped chunks for `POST /v1/requests/:id/result`.
 * Recording stops at `maxBytes`; it never cuts what the command itself writes, which the
 * caller passes on untouched.
 */
export class OutputRecorder {
  readonly #started: number;
  readonly #maxBytes: number;
  // A character split across two reads must not turn into two replacement characters.
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #chunks: OutputChunk[] = [];
  #bytes = 0;
  #truncated = false;

  constructor(started: number, maxBytes = DEFAULT_MAX_RECORD_BYTES) {
    this.#started = started;
    this.#maxBytes = maxBytes;
  }

  write(stream: OutputChunk['stream'], chunk: Buffer): void {
    const room = this.#maxBytes - this.#bytes;
    if (room <= 0) {
      this.#truncated = true;
      return;
    }
    const piece = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    if (piece !== chunk) this.#truncated = true;
    this.#bytes += piece.byteLength;
    const data = this.#decoders[stream].write(piece);
    if (data) this.#chunks.push({ t: Math.round(performance.now() - this.#started), stream, data });
  }

  output(): RecordedOutput {
    return { chunks: [...this.#chunks], truncated: this.#truncated };
  }
}
