import { type ResolvedConfig, resolveConfig } from './config.ts';
import type { ScanState } from './detector.ts';
import { apply, detect, freshState, merge, type Region } from './engine.ts';
import { type MaskingConfig, type MaskResult, type MaskType, marker } from './types.ts';

/** A partial line longer than this is cut at a delimiter instead of waiting for its newline. */
const MAX_LINE = 64 * 1024;
/** Kept back behind a mid-line cut: longer than any detection that can contain a delimiter. */
const TAIL = 4096;
/** Held text beyond this is released even without a clean cut (see `#force`). */
const MAX_HOLD = 1024 * 1024;

const END_OF_KEY = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
/** Longest END marker is under 80 characters; that much is kept while looking for it. */
const END_KEEP = 96;

function isDelimiter(c: number): boolean {
  // whitespace " ' , ; { } ( ) < > |
  return (
    c <= 32 ||
    c === 34 ||
    c === 39 ||
    c === 44 ||
    c === 59 ||
    c === 123 ||
    c === 125 ||
    c === 40 ||
    c === 41 ||
    c === 60 ||
    c === 62 ||
    c === 124
  );
}

const empty = (): MaskResult => ({ text: '', counts: {}, masked: 0 });

/**
 * Masks output that arrives in chunks. Text is released only up to a point no detection can
 * straddle: normally the last newline (no detector but the private-key one spans lines), or, in a
 * very long line, a delimiter at least 4 KiB before the end. Anything a detection touches at the
 * end of the held text waits for more input, so a secret split across chunks is never emitted in
 * part. An unterminated private-key block is held until its END line; past 1 MiB it is replaced by
 * one marker and the rest of the block is dropped as it arrives.
 */
export class StreamMasker {
  readonly #config: ResolvedConfig;
  readonly #state: ScanState = freshState();
  #buf = '';
  #ended = false;
  /** Inside an over-long private key: input is dropped until the END line. */
  #swallowing = false;
  /** A token was cut in two by a forced release; its continuation is masked as this type. */
  #continues: MaskType | undefined;
  /** Characters held after the last drain, and received since. */
  #held = 0;
  #fresh = 0;

  constructor(config?: MaskingConfig) {
    this.#config = resolveConfig(config);
  }

  /** Returns the part of the output that is now safe to emit, masked. */
  push(chunk: string): MaskResult {
    if (this.#ended) throw new Error('StreamMasker: push() after end()');
    if (typeof chunk !== 'string') throw new TypeError('StreamMasker: chunks must be strings');
    if (this.#swallowing) {
      chunk = this.#skipKey(chunk);
      if (this.#swallowing) return empty();
    }
    this.#buf += chunk;
    this.#fresh += chunk.length;
    // While little is held, drain at every newline. When a lot is held (an open key block, a
    // clamped cut), wait until as much again has arrived so re-scanning stays linear overall.
    const wait =
      this.#held >= TAIL ? this.#fresh < this.#held : !chunk.includes('\n') && this.#buf.length < MAX_LINE;
    if (wait) return empty();
    return this.#drain(false);
  }

  /** Flushes everything held; the stream is finished. */
  end(): MaskResult {
    if (this.#ended) return empty();
    this.#ended = true;
    if (this.#swallowing) {
      this.#buf = '';
      return empty();
    }
    return this.#drain(true);
  }

  #skipKey(chunk: string): string {
    const text = this.#buf + chunk;
    const m = END_OF_KEY.exec(text);
    if (!m) {
      this.#buf = text.slice(-END_KEEP);
      return '';
    }
    this.#swallowing = false;
    this.#buf = '';
    return text.slice(m.index + m[0].length);
  }

  #drain(final: boolean): MaskResult {
    const text = this.#buf;
    const found = detect(text, this.#config, this.#state);
    if (this.#continues !== undefined) {
      // The rest of a token that was cut by a forced release keeps being masked.
      let e = 0;
      while (e < text.length && !isDelimiter(text.charCodeAt(e))) e++;
      if (e > 0) found.push({ start: 0, end: e, type: this.#continues, ctxStart: 0, ctxEnd: e });
      if (e < text.length || final) this.#continues = undefined;
    }
    const regions = merge(found);
    let out: MaskResult;
    let rest: number;
    const cut = final ? text.length : this.#safeCut(text, regions);
    if (!final && text.length - cut > MAX_HOLD) [out, rest] = this.#force(text, regions);
    else [out, rest] = [apply(text, regions, cut), cut];
    if (found.some((c) => c.type === 'AWS_ACCESS_KEY' && c.end <= rest)) this.#state.awsAccessKeySeen = true;
    this.#buf = this.#swallowing ? '' : text.slice(rest);
    this.#held = this.#buf.length;
    this.#fresh = 0;
    return out;
  }

  /** The last newline, or a delimiter deep enough in a long line, moved back out of any detection. */
  #safeCut(text: string, regions: readonly Region[]): number {
    const lineStart = text.lastIndexOf('\n') + 1;
    let cut = lineStart;
    if (text.length - lineStart >= MAX_LINE) {
      for (let i = text.length - TAIL - 1; i >= lineStart; i--) {
        if (isDelimiter(text.charCodeAt(i))) {
          cut = i + 1;
          break;
        }
      }
    }
    return clamp(cut, text.length, regions);
  }

  /**
   * More than MAX_HOLD is held because one detection (or one delimiter-free token) is huge.
   * An unterminated private key becomes a single marker and the remainder is dropped; anything
   * else is released up to TAIL from the end, with the cut token's continuation masked too.
   */
  #force(text: string, regions: readonly Region[]): [MaskResult, number] {
    const open = regions.find((r) => r.type === 'PRIVATE_KEY' && r.end >= text.length);
    if (open) {
      this.#swallowing = true;
      const head = apply(text, regions, open.start);
      return [append(head, 'PRIVATE_KEY'), text.length];
    }
    const cut = text.length - TAIL;
    const inside = regions.find((r) => r.start < cut && cut < r.end);
    if (!inside) return [apply(text, regions, cut), cut];
    this.#continues = inside.type;
    return [append(apply(text, regions, inside.start), inside.type), cut];
  }
}

function append(result: MaskResult, type: MaskType): MaskResult {
  result.text += marker(type);
  result.counts[type] = (result.counts[type] ?? 0) + 1;
  result.masked++;
  return result;
}

/** Moves `cut` back until no detection's context straddles it or runs to the end of the held text. */
function clamp(cut: number, length: number, regions: readonly Region[]): number {
  let moved = true;
  while (moved) {
    moved = false;
    for (const r of regions) {
      if (r.ctxStart < cut && (cut < r.ctxEnd || r.ctxEnd >= length)) {
        cut = r.ctxStart;
        moved = true;
      }
    }
  }
  return cut;
}
