import { AUDIT_PROBLEM_KINDS, type AuditProblemKind } from '@gatehouse/contract';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { type ChainedEvent, type ChainHead, eventHash, GENESIS_HASH } from './chain.ts';
import { CHECKPOINT_TYP, type CheckpointPayload, checkpointHash } from './checkpoints.ts';
import type { Problem, VerifyReport } from './types.ts';

/** How an audit chain or checkpoint can be wrong: the contract's list, which reports carry. */
export const PROBLEM_KINDS = AUDIT_PROBLEM_KINDS;
export type ProblemKind = AuditProblemKind;

export type { Problem, VerifiedPosition, VerifyReport, WitnessSummary } from './types.ts';

/** Verifies a signed checkpoint JWS against trusted keys; returns its payload. */
export async function verifyCheckpoint(jws: string, keys: readonly JWK[]): Promise<CheckpointPayload> {
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet({ keys: [...keys] }), {
    algorithms: ['EdDSA'],
  });
  if (protectedHeader.typ !== CHECKPOINT_TYP)
    throw new Error(`not a checkpoint (typ ${protectedHeader.typ})`);
  return JSON.parse(new TextDecoder().decode(payload)) as CheckpointPayload;
}

interface ChainState {
  last?: Pick<ChainedEvent, 'seq' | 'hash'>;
  first?: number;
  /** Anchor for a slice that does not start at the genesis event. */
  anchored: boolean;
  recent: Map<string, number>;
}

/**
 * Streams the log through: events in (chain, seq) order, then checkpoints. Every problem is
 * reported with its position; the first one is the earliest place the record stopped being
 * trustworthy. `slice` accepts chains that start after their genesis (an exported slice),
 * anchoring on the first event and requiring a checkpoint head to vouch for it.
 */
export class LogVerifier {
  readonly #chains = new Map<string, ChainState>();
  readonly #problems: Problem[] = [];
  readonly #slice: boolean;
  #events = 0;

  constructor(options: { slice?: boolean } = {}) {
    this.#slice = options.slice ?? false;
  }

  get problems(): readonly Problem[] {
    return this.#problems;
  }

  /**
   * Continues a chain from a position an earlier verification vouched for: the next event
   * must be `head.seq + 1` and link to `head.hash`.
   */
  anchor(head: ChainHead): void {
    this.#chains.set(head.chain, {
      last: { seq: head.seq, hash: head.hash },
      anchored: true,
      recent: new Map(),
    });
  }

  /** Each chain's last event seen (or its anchor): where a verification ended. */
  heads(): ChainHead[] {
    return [...this.#chains]
      .filter(([, state]) => state.last)
      .map(([chain, state]) => ({ chain, seq: state.last!.seq, hash: state.last!.hash }));
  }

  /** Adds a problem found outside the chains (a witness, an expected head). */
  report(problem: Problem): void {
    this.#report(problem);
  }

  addEvent(event: ChainedEvent & { id?: number }): void {
    this.#events++;
    let state = this.#chains.get(event.chain);
    if (!state) {
      state = { anchored: false, recent: new Map() };
      this.#chains.set(event.chain, state);
    }
    const at = { id: event.id, chain: event.chain, seq: event.seq };
    const recomputed = eventHash(event);
    if (recomputed !== event.hash) {
      this.#report({
        kind: this.#guessReorder(event) ? 'reordered' : 'modified',
        ...at,
        detail: 'event content does not match its hash',
      });
    }
    const previous = state.last;
    state.first ??= event.seq;
    if (!previous) {
      if (event.seq !== 1 || event.prevHash !== GENESIS_HASH) {
        if (this.#slice) state.anchored = true;
        else
          this.#report({
            kind: 'deleted',
            ...at,
            detail: `chain starts at seq ${event.seq}, not at its genesis`,
          });
      }
    } else if (event.seq > previous.seq + 1) {
      this.#report({ kind: 'deleted', ...at, detail: `seq ${previous.seq + 1}..${event.seq - 1} missing` });
    } else if (event.seq <= previous.seq) {
      this.#report({
        kind: 'inserted',
        ...at,
        detail: `seq ${event.seq} repeats or goes back after ${previous.seq}`,
      });
    } else if (event.prevHash !== previous.hash) {
      const earlier = state.recent.has(event.prevHash);
      this.#report({
        kind: earlier ? 'reordered' : 'inserted',
        ...at,
        detail: earlier
          ? 'links to an earlier event, not the one before it'
          : 'does not link to the event before it',
      });
    }
    state.recent.set(event.hash, event.seq);
    if (state.recent.size > 64) state.recent.delete(state.recent.keys().next().value!);
    state.last = event;
  }

  /**
   * Checks checkpoints (in order) against the events seen: each must be signed by a trusted
   * key, link to the previous one, and every head it names must be present with that hash.
   */
  async finish(
    checkpoints: readonly { seq: number; jws: string }[],
    keys: readonly JWK[],
    heads: HeadLookup,
    options: {
      /** The checkpoint an earlier verification ended at: the first one here must follow it. */
      previous?: { seq: number; hash: string };
    } = {},
  ): Promise<VerifyReport> {
    let previousHash: string | null = options.previous?.hash ?? null;
    const vouched = new Map<string, number>();
    // An export carries every checkpoint, and so does the database: the line starts at 1.
    let expectedSeq = options.previous ? options.previous.seq + 1 : 1;
    let head: VerifyReport['head'];
    for (const row of checkpoints) {
      let payload: CheckpointPayload;
      try {
        payload = await verifyCheckpoint(row.jws, keys);
      } catch (error) {
        this.#report({
          kind: 'bad-checkpoint',
          checkpoint: row.seq,
          detail: `signature does not verify: ${(error as Error).message}`,
        });
        continue;
      }
      if (payload.seq !== row.seq || row.seq !== expectedSeq) {
        this.#report({
          kind: 'checkpoint-missing',
          checkpoint: row.seq,
          detail:
            payload.seq === row.seq && row.seq > expectedSeq
              ? `checkpoints ${expectedSeq}..${row.seq - 1} are missing`
              : `expected checkpoint ${expectedSeq}, found ${payload.seq}`,
        });
      }
      if (payload.prev !== previousHash && (previousHash !== null || payload.seq === 1)) {
        this.#report({
          kind: 'checkpoint-missing',
          checkpoint: row.seq,
          detail: 'does not link to the checkpoint before it',
        });
      }
      expectedSeq = payload.seq + 1;
      previousHash = checkpointHash(row.jws);
      head = { checkpoint: payload.seq, hash: previousHash };
      for (const head of payload.heads) {
        const state = this.#chains.get(head.chain);
        // A slice holds only part of some chains: heads outside it say nothing about it.
        if (this.#slice && (!state?.last || head.seq < state.first! || head.seq > state.last.seq)) continue;
        const found = await heads(head.chain, head.seq);
        if (found === undefined) {
          const last = state?.last;
          this.#report(
            last
              ? {
                  kind: 'truncated',
                  chain: head.chain,
                  seq: head.seq,
                  checkpoint: payload.seq,
                  since: payload.createdAt,
                  detail: `checkpoint ${payload.seq} vouches for seq ${head.seq}, but the chain ends at ${last.seq}: seq ${last.seq + 1}..${head.seq} missing, recorded by ${payload.createdAt}`,
                }
              : {
                  kind: 'lane-missing',
                  chain: head.chain,
                  seq: head.seq,
                  checkpoint: payload.seq,
                  since: payload.createdAt,
                  detail: `checkpoint ${payload.seq} vouches for seq ${head.seq}, but the chain has no events at all: seq 1..${head.seq} missing, recorded by ${payload.createdAt}`,
                },
          );
        } else if (found !== head.hash) {
          this.#report({
            kind: 'modified',
            chain: head.chain,
            seq: head.seq,
            checkpoint: payload.seq,
            since: payload.createdAt,
            detail: `differs from checkpoint ${payload.seq}`,
          });
        } else {
          vouched.set(head.chain, Math.max(vouched.get(head.chain) ?? 0, head.seq));
        }
      }
    }
    let covered = 0;
    for (const [chain, state] of this.#chains) {
      const upTo = vouched.get(chain) ?? 0;
      if (state.last && state.first !== undefined)
        covered += Math.max(0, Math.min(upTo, state.last.seq) - state.first + 1);
      // A chain only continued from an anchor had no new events to vouch for.
      if (this.#slice && state.anchored && upTo === 0) {
        this.#report({
          kind: 'checkpoint-missing',
          chain,
          detail: 'slice of this chain is not vouched for by any checkpoint',
        });
      }
    }
    return {
      ok: this.#problems.length === 0,
      events: this.#events,
      chains: this.#chains.size,
      checkpoints: checkpoints.length,
      covered: Math.min(covered, this.#events),
      problems: this.#problems,
      ...(head ? { head } : {}),
    };
  }

  #report(problem: Problem): void {
    this.#problems.push(problem);
  }

  /** A content-intact event whose seq was swapped with a neighbour's hashes right under another seq. */
  #guessReorder(event: ChainedEvent): boolean {
    for (const delta of [-2, -1, 1, 2]) {
      if (event.seq + delta >= 1 && eventHash({ ...event, seq: event.seq + delta }) === event.hash)
        return true;
    }
    return false;
  }
}

/** The hash of the event at (chain, seq), or undefined if there is none. */
export type HeadLookup = (chain: string, seq: number) => Promise<string | undefined>;
