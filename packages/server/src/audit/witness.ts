import { createHash, sign } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SigningKey } from '@gatehouse/verdict';
import { createLocalJWKSet, flattenedVerify, type JWK } from 'jose';
import { canonicalJson } from './canonical-json.ts';
import type { ChainHead } from './chain.ts';

/**
 * Witnesses: records of how far the audit log went, kept where the database owner cannot
 * rewrite them. Each signed checkpoint (its number and hash, the head of every lane that
 * moved, the event count) and each verification report is appended as a signed entry that
 * chains to the entry before it. `audit verify` reads a witness back and fails when the
 * database is behind it: a rolled-back checkpoint, a truncated or missing lane, a wipe.
 *
 * The file witness (the default) is JSON lines, one entry a line, opened with O_APPEND and
 * fsync'd after each entry. Sinks (a webhook) receive the same lines as they are written and
 * cannot be read back from here: what a receiver stores is a file `audit verify --witness`
 * reads like the server's own.
 */

export const WITNESS_TYP = 'gatehouse-audit-witness';

export type WitnessBody =
  | {
      kind: 'checkpoint';
      checkpoint: { seq: number; hash: string; createdAt: string };
      /** Events in the log when the checkpoint was taken. */
      events: number;
      /** Heads of the lanes that moved since this process's previous entry; every lane when `full`. */
      lanes: ChainHead[];
      full: boolean;
    }
  | {
      kind: 'verification';
      /** The signed verification report (a compact JWS, see monitor.ts). */
      report: string;
      ok: boolean;
      checkpoint: { seq: number; hash: string } | null;
    };

/** One line of a witness: the body, its place in the witness's own chain, and a signature. */
export type WitnessEntry = WitnessBody & {
  v: 1;
  /** 1, 2, 3, … in the file. */
  n: number;
  /** SHA-256 (hex) of the previous line as written; null for the first. */
  prev: string | null;
  at: string;
  /** Detached JWS (`protected..signature`) over the canonical JSON of every other field. */
  sig: string;
};

export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

function signEntry(unsigned: Omit<WitnessEntry, 'sig'>, key: SigningKey): string {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: WITNESS_TYP })).toString(
    'base64url',
  );
  const payload = Buffer.from(canonicalJson(unsigned), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(`${header}.${payload}`), key.privateKey).toString('base64url');
  return JSON.stringify({ ...unsigned, sig: `${header}..${signature}` });
}

/** Checks an entry's signature against trusted audit keys; throws with the reason when it fails. */
export async function verifyEntry(entry: WitnessEntry, keys: readonly JWK[]): Promise<void> {
  const { sig, ...unsigned } = entry;
  const [protectedHeader, empty, signature] = String(sig).split('.');
  if (!protectedHeader || empty !== '' || !signature) throw new Error('no detached signature');
  const { protectedHeader: header } = await flattenedVerify(
    {
      protected: protectedHeader,
      payload: Buffer.from(canonicalJson(unsigned), 'utf8').toString('base64url'),
      signature,
    },
    createLocalJWKSet({ keys: [...keys] }),
    { algorithms: ['EdDSA'] },
  );
  if (header?.typ !== WITNESS_TYP) throw new Error(`not a witness entry (typ ${header?.typ})`);
}

/** Where witness lines go besides the file; write-only from the server's side. */
export interface WitnessSink {
  /** How reports and logs name it. */
  readonly name: string;
  /** Delivers one line; throws when the sink did not accept it. */
  deliver(line: string, entry: WitnessEntry): Promise<void>;
}

/** Serialises appends across processes that share a witness file (a database lock, see runtime). */
export type WitnessLock = <T>(work: () => Promise<T>) => Promise<T>;

const TAIL_CHUNK = 64 * 1024;

/**
 * An append-only JSON-lines file. Each append reads the file's last entry (another process on
 * this machine may share the file; `lock` keeps their appends one at a time) and writes the
 * next one with O_APPEND, then fsyncs it. Nothing here ever rewrites or truncates the file.
 */
export class FileWitness {
  readonly name: string;
  readonly #lock: WitnessLock;

  constructor(
    readonly path: string,
    options: { lock?: WitnessLock } = {},
  ) {
    this.name = `file ${path}`;
    this.#lock = options.lock ?? ((work) => work());
  }

  /** Appends the body as the next entry; returns the line written. */
  append(body: WitnessBody, key: SigningKey): Promise<{ line: string; entry: WitnessEntry }> {
    return this.#lock(async () => {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const handle = await open(this.path, 'a+', 0o600);
      try {
        const { last, endsWithNewline, empty } = await readTail(handle);
        const unsigned = {
          ...body,
          v: 1 as const,
          n: (last?.entry.n ?? 0) + 1,
          prev: last ? lineHash(last.line) : null,
          at: new Date().toISOString(),
        };
        const line = signEntry(unsigned, key);
        // A line cut short by a crash is closed off, not overwritten: the chain skips it.
        await handle.write(`${empty || endsWithNewline ? '' : '\n'}${line}\n`);
        await handle.sync();
        if (empty) await syncDirectory(dirname(this.path));
        return { line, entry: JSON.parse(line) as WitnessEntry };
      } finally {
        await handle.close();
      }
    });
  }
}

/** The last complete entry of the file (parsed, not verified), reading backwards from its end. */
async function readTail(handle: import('node:fs/promises').FileHandle): Promise<{
  last?: { line: string; entry: WitnessEntry };
  endsWithNewline: boolean;
  empty: boolean;
}> {
  const { size } = await handle.stat();
  if (size === 0) return { endsWithNewline: true, empty: true };
  let text = '';
  let position = size;
  let endsWithNewline = false;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK, position);
    position -= length;
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, position);
    text = buffer.toString('utf8') + text;
    if (position + length === size) endsWithNewline = text.endsWith('\n');
    const lines = text.split('\n');
    // The first piece may be the end of an earlier line: only whole lines count, unless at 0.
    const whole = position === 0 ? lines : lines.slice(1);
    for (let i = whole.length - 1; i >= 0; i--) {
      const line = whole[i]!;
      if (!line.trim()) continue;
      // An unterminated last line is a write that never finished.
      if (i === whole.length - 1 && !endsWithNewline && position + length === size) continue;
      try {
        const entry = JSON.parse(line) as WitnessEntry;
        if (typeof entry.n === 'number') return { last: { line, entry }, endsWithNewline, empty: false };
      } catch {
        // Not an entry: look further back.
      }
    }
  }
  return { endsWithNewline, empty: false };
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Not every platform lets a directory be fsync'd; the file itself was.
  }
}

/**
 * POSTs each line to a URL (`application/json`), in order. A line the receiver did not take
 * stays queued and goes first next time, so a receiver that was down catches up rather than
 * keeping a hole. The queue lives in memory: lines still queued when the process stops are
 * in the file witness, not at the receiver.
 */
export class WebhookSink implements WitnessSink {
  readonly name: string;
  readonly #backlog: { line: string; entry: WitnessEntry }[] = [];
  readonly #timeoutMs: number;
  #sending: Promise<void> = Promise.resolve();

  constructor(
    readonly url: string,
    options: { timeoutMs?: number } = {},
  ) {
    this.name = `webhook ${redactUrl(url)}`;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  get queued(): number {
    return this.#backlog.length;
  }

  deliver(line: string, entry: WitnessEntry): Promise<void> {
    if (this.#backlog.length >= MAX_BACKLOG) this.#backlog.shift();
    this.#backlog.push({ line, entry });
    const run = this.#sending.then(() => this.#flush());
    this.#sending = run.catch(() => {});
    return run;
  }

  async #flush(): Promise<void> {
    while (this.#backlog.length > 0) {
      const { line, entry } = this.#backlog[0]!;
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gatehouse-witness-entry': String(entry.n) },
        body: line,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      if (!response.ok) throw new Error(`${this.name} answered ${response.status}`);
      this.#backlog.shift();
    }
  }
}

const MAX_BACKLOG = 10_000;

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    url.search = url.search ? '?…' : '';
    return url.href;
  } catch {
    return '<invalid URL>';
  }
}

export interface WitnessHealth {
  name: string;
  /** When the last entry reached it, and which. */
  lastWrittenAt?: string;
  lastEntry?: number;
  /** The last failure, while it lasts (cleared by the next success). */
  failing?: { since: string; error: string };
  failures: number;
}

export interface WitnessOutcome {
  /** The line written, when the file took it. */
  line?: string;
  failed: { name: string; error: string }[];
}

/**
 * The witnesses of this process: the file, when there is one, and any sinks. Checkpoint
 * entries carry every lane head in the first entry this process writes (and after a failed
 * one, and once a day's worth of entries), the lanes that moved otherwise.
 */
export class Witnesses {
  readonly #file?: FileWitness;
  readonly #sinks: WitnessSink[];
  readonly #signer: () => Promise<SigningKey>;
  readonly #health = new Map<string, WitnessHealth>();
  #sinceFull = Number.POSITIVE_INFINITY;
  #onFailure?: (failure: { name: string; error: string }) => void;
  /** Told when every witness that was failing took an entry again. */
  onRecovered?: () => void;

  constructor(options: {
    file?: FileWitness;
    sinks?: WitnessSink[];
    signer: () => Promise<SigningKey>;
    onFailure?: (failure: { name: string; error: string }) => void;
  }) {
    this.#file = options.file;
    this.#sinks = options.sinks ?? [];
    this.#signer = options.signer;
    this.#onFailure = options.onFailure;
    for (const w of [this.#file, ...this.#sinks])
      if (w) this.#health.set(w.name, { name: w.name, failures: 0 });
  }

  get file(): FileWitness | undefined {
    return this.#file;
  }

  get configured(): boolean {
    return this.#file !== undefined;
  }

  set onFailure(listener: ((failure: { name: string; error: string }) => void) | undefined) {
    this.#onFailure = listener;
  }

  /** Whether the next checkpoint entry should carry every lane. */
  get wantsFull(): boolean {
    return this.#sinceFull >= FULL_EVERY;
  }

  health(): WitnessHealth[] {
    return [...this.#health.values()].map((h) => ({ ...h }));
  }

  /** Writes one entry to the file, then hands the line to every sink. */
  async record(body: WitnessBody): Promise<WitnessOutcome> {
    const outcome: WitnessOutcome = { failed: [] };
    if (!this.#file) return outcome;
    let written: { line: string; entry: WitnessEntry };
    try {
      written = await this.#file.append(body, await this.#signer());
      this.#succeeded(this.#file.name, written.entry.n);
    } catch (error) {
      this.#sinceFull = Number.POSITIVE_INFINITY;
      outcome.failed.push(this.#failed(this.#file.name, error));
      return outcome;
    }
    if (body.kind === 'checkpoint') this.#sinceFull = body.full ? 1 : this.#sinceFull + 1;
    outcome.line = written.line;
    await Promise.all(
      this.#sinks.map(async (sink) => {
        try {
          await sink.deliver(written.line, written.entry);
          this.#succeeded(sink.name, written.entry.n);
        } catch (error) {
          outcome.failed.push(this.#failed(sink.name, error));
        }
      }),
    );
    return outcome;
  }

  #succeeded(name: string, n: number): void {
    const health = this.#health.get(name);
    if (!health) return;
    health.lastWrittenAt = new Date().toISOString();
    health.lastEntry = n;
    const was = health.failing;
    health.failing = undefined;
    if (was && [...this.#health.values()].every((h) => !h.failing)) this.onRecovered?.();
  }

  #failed(name: string, error: unknown): { name: string; error: string } {
    const message = (error as Error)?.message ?? String(error);
    const health = this.#health.get(name);
    if (health) {
      health.failures++;
      health.failing ??= { since: new Date().toISOString(), error: message };
      health.failing.error = message;
    }
    const failure = { name, error: message };
    this.#onFailure?.(failure);
    return failure;
  }
}

/** A full entry at least this often (about a day of one-minute checkpoints). */
const FULL_EVERY = 1_440;

// ---------------------------------------------------------------------------------------------
// Reading a witness back

/** What a witness says the log held, folded over its verified entries. */
export interface WitnessState {
  name: string;
  status: 'ok' | 'broken' | 'unavailable';
  /** Entries whose signature verifies. */
  entries: number;
  lastAt?: string;
  /** Problems of the witness itself: unreadable, a bad signature, a broken chain. */
  problems: { kind: 'witness-broken' | 'witness-unavailable'; detail: string; entry?: number }[];
  /** Checkpoints it recorded: number → hash and when it was recorded. */
  checkpoints: Map<number, { hash: string; at: string }>;
  /** Each lane's witnessed heads, in the order recorded (seq only grows). */
  lanes: Map<string, { seq: number; hash: string; at: string }[]>;
  /** The newest verification report it holds (JWS), if any. */
  reports: { report: string; at: string; ok: boolean }[];
}

/**
 * Reads and checks a witness file: every entry's signature against the trusted audit keys,
 * the entry numbers and the links between entries. A line that is not an entry (a write cut
 * short by a crash) is skipped when the entries around it still link; otherwise it breaks
 * the chain and is reported.
 */
export async function readWitness(path: string, keys: readonly JWK[]): Promise<WitnessState> {
  return new WitnessReader(path).read(keys);
}

/**
 * Reads a witness file and, read again, only what was appended since (the continuous
 * verification reads its witness every few minutes; the file only grows). The line at the
 * boundary is checked to be still the same, and a file that shrank is reported and read anew.
 */
export class WitnessReader {
  #state!: WitnessState;
  #previous?: { line: string; n: number };
  #skipped = 0;
  #lines = 0;
  /** Bytes of complete lines read so far, and the last of those lines. */
  #offset = 0;
  #boundary?: string;

  constructor(readonly path: string) {
    this.#reset();
  }

  #reset(): void {
    this.#state = {
      name: `file ${this.path}`,
      status: 'ok',
      entries: 0,
      problems: [],
      checkpoints: new Map(),
      lanes: new Map(),
      reports: [],
    };
    this.#previous = undefined;
    this.#skipped = 0;
    this.#lines = 0;
    this.#offset = 0;
    this.#boundary = undefined;
  }

  async read(keys: readonly JWK[]): Promise<WitnessState> {
    let size: number;
    try {
      const info = await stat(this.path);
      if (!info.isFile()) throw new Error('not a regular file');
      size = info.size;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.#reset();
      return unavailableWitness(
        this.#state.name,
        `cannot read witness ${this.path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    const carried: WitnessState['problems'] = [];
    if (this.#offset > 0 && (size < this.#offset || !(await this.#boundaryIntact()))) {
      carried.push({
        kind: 'witness-broken',
        detail:
          size < this.#offset
            ? `witness ${this.path} shrank from ${this.#offset} to ${size} bytes: entries were removed`
            : `witness ${this.path} was rewritten before byte ${this.#offset}`,
      });
      this.#reset();
    }
    this.#state.problems.push(...carried);
    try {
      await this.#consume(keys);
    } catch (error) {
      this.#reset();
      return unavailableWitness(
        this.#state.name,
        `cannot read witness ${this.path}: ${(error as Error).message}`,
      );
    }
    const state = this.#state;
    if (
      this.#skipped > 0 &&
      state.entries === 0 &&
      !state.problems.some((p) => p.detail.startsWith('no valid'))
    )
      state.problems.push({ kind: 'witness-broken', detail: `no valid entry in ${this.#skipped} line(s)` });
    state.status = state.problems.length > 0 ? 'broken' : 'ok';
    return state;
  }

  /** The last line read is still where it was. */
  async #boundaryIntact(): Promise<boolean> {
    if (this.#boundary === undefined) return true;
    const expected = Buffer.from(`${this.#boundary}\n`, 'utf8');
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.alloc(expected.length);
      const start = this.#offset - expected.length;
      if (start < 0) return false;
      await handle.read(buffer, 0, expected.length, start);
      return buffer.equals(expected);
    } finally {
      await handle.close();
    }
  }

  async #consume(keys: readonly JWK[]): Promise<void> {
    let rest = Buffer.alloc(0);
    for await (const chunk of createReadStream(this.path, { start: this.#offset })) {
      let data = Buffer.concat([rest, chunk as Buffer]);
      for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a)) {
        const line = data.subarray(0, newline).toString('utf8');
        data = data.subarray(newline + 1);
        this.#offset += newline + 1;
        this.#boundary = line;
        await this.#line(line, keys);
      }
      rest = data;
    }
    // What follows the last newline is a write still going on: read next time.
  }

  async #line(line: string, keys: readonly JWK[]): Promise<void> {
    const state = this.#state;
    const i = ++this.#lines;
    if (!line.trim()) return;
    let entry: WitnessEntry;
    try {
      entry = JSON.parse(line) as WitnessEntry;
      if (typeof entry.n !== 'number' || typeof entry.sig !== 'string') throw new Error('not an entry');
    } catch {
      this.#skipped++;
      return;
    }
    try {
      await verifyEntry(entry, keys);
    } catch (error) {
      state.problems.push({
        kind: 'witness-broken',
        entry: entry.n,
        detail: `witness entry ${entry.n} (line ${i}) does not verify: ${(error as Error).message}`,
      });
      return;
    }
    const previous = this.#previous;
    const expected = previous ? previous.n + 1 : 1;
    const link = previous ? lineHash(previous.line) : null;
    if (entry.n !== expected || entry.prev !== link) {
      state.problems.push({
        kind: 'witness-broken',
        entry: entry.n,
        detail:
          entry.n > expected
            ? `witness entries ${expected}..${entry.n - 1} are missing before line ${i}`
            : `witness entry ${entry.n} (line ${i}) does not link to the entry before it`,
      });
    }
    this.#previous = { line, n: entry.n };
    state.entries++;
    state.lastAt = entry.at;
    fold(state, entry);
  }
}

function fold(state: WitnessState, entry: WitnessEntry): void {
  if (entry.kind === 'checkpoint') {
    state.checkpoints.set(entry.checkpoint.seq, { hash: entry.checkpoint.hash, at: entry.at });
    for (const head of entry.lanes) {
      const seen = state.lanes.get(head.chain);
      if (!seen) state.lanes.set(head.chain, [{ seq: head.seq, hash: head.hash, at: entry.at }]);
      else if (head.seq > seen.at(-1)!.seq) seen.push({ seq: head.seq, hash: head.hash, at: entry.at });
    }
  } else if (entry.kind === 'verification') {
    state.reports.push({ report: entry.report, at: entry.at, ok: entry.ok });
  }
}

/** The state of a witness that could not be read at all (a sink, or an unreachable one). */
export function unavailableWitness(name: string, detail: string): WitnessState {
  return {
    name,
    status: 'unavailable',
    entries: 0,
    problems: [{ kind: 'witness-unavailable', detail }],
    checkpoints: new Map(),
    lanes: new Map(),
    reports: [],
  };
}
