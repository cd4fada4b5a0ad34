import { createHash } from 'node:crypto';
import { type MaskingConfig, StreamMasker } from '@gatehouse/mask';
import { canonicalJson } from '../audit/canonical-json.ts';

export interface OutputChunk {
  /** Milliseconds since the command started. */
  t: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface Recording {
  chunks: OutputChunk[];
  bytes: number;
  truncated: boolean;
  /** Masked values per type; `withheld` when masking failed and nothing was kept. */
  masked: Record<string, number>;
  withheld: boolean;
  /** SHA-256 of the stored chunks, recorded in the audit chain so the recording can be checked later. */
  sha256: string;
}

/** Largest recording kept per request; longer output is cut and flagged. */
export const MAX_RECORDING_BYTES = 1024 * 1024;

/**
 * Masks and caps command output before anything is stored. Each stream is masked as one
 * continuous text (a secret split across two chunks is still found); if masking fails for
 * any reason, the whole output is withheld rather than stored unmasked.
 */
export function prepareRecording(
  chunks: readonly OutputChunk[],
  clientTruncated: boolean,
  config?: MaskingConfig,
): Recording {
  let truncated = clientTruncated;
  let bytes = 0;
  const kept: OutputChunk[] = [];
  const masked: Record<string, number> = {};
  try {
    const maskers = { stdout: new StreamMasker(config), stderr: new StreamMasker(config) };
    const add = (
      t: number,
      stream: OutputChunk['stream'],
      result: { text: string; counts: Record<string, number | undefined> },
    ) => {
      for (const [type, n] of Object.entries(result.counts)) masked[type] = (masked[type] ?? 0) + (n ?? 0);
      if (!result.text) return;
      const room = MAX_RECORDING_BYTES - bytes;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const data =
        Buffer.byteLength(result.text) > room
          ? Buffer.from(result.text).subarray(0, room).toString()
          : result.text;
      if (data.length < result.text.length) truncated = true;
      bytes += Buffer.byteLength(data);
      kept.push({ t, stream, data });
    };
    for (const chunk of chunks) add(chunk.t, chunk.stream, maskers[chunk.stream].push(chunk.data));
    const lastT = chunks.at(-1)?.t ?? 0;
    add(lastT, 'stdout', maskers.stdout.end());
    add(lastT, 'stderr', maskers.stderr.end());
  } catch {
    return withheld(truncated);
  }
  return { chunks: kept, bytes, truncated, masked, withheld: false, sha256: digest(kept) };
}

function withheld(truncated: boolean): Recording {
  return { chunks: [], bytes: 0, truncated, masked: {}, withheld: true, sha256: digest([]) };
}

/** Over canonical JSON, so the digest survives jsonb re-ordering the keys of stored chunks. */
export function digest(chunks: readonly OutputChunk[]): string {
  return createHash('sha256').update(canonicalJson(chunks)).digest('hex');
}
