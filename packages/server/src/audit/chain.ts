import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

export type ActorType = 'admin' | 'user' | 'agent' | 'system';

export interface AuditEventInput {
  type: string;
  actor: { type: ActorType; id: string };
  subject?: { type: string; id: string };
  data?: Record<string, unknown>;
}

export interface ChainedEvent {
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
  type: string;
  actorType: ActorType;
  actorId: string;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

/** The `prevHash` of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash covers every column but the row id, and the previous hash: changing, removing,
 * inserting or reordering any event breaks every link after it.
 */
export function eventHash(event: Omit<ChainedEvent, 'hash'>): string {
  const body = canonicalJson([
    'gatehouse.audit.v1',
    event.chain,
    event.seq,
    event.prevHash,
    event.type,
    event.actorType,
    event.actorId,
    event.subjectType,
    event.subjectId,
    event.data,
    event.createdAt.toISOString(),
  ]);
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The columns an event input fills, apart from its position in a chain and its hashes. */
export function eventColumns(input: AuditEventInput) {
  return {
    type: input.type,
    actorType: input.actor.type,
    actorId: input.actor.id,
    subjectType: input.subject?.type ?? null,
    subjectId: input.subject?.id ?? null,
    data: input.data ?? {},
  };
}

export function chainEvent(head: ChainHead, input: AuditEventInput, createdAt: Date): ChainedEvent {
  const unhashed = {
    chain: head.chain,
    seq: head.seq + 1,
    prevHash: head.hash,
    ...eventColumns(input),
    createdAt,
  };
  return { ...unhashed, hash: eventHash(unhashed) };
}

export type ChainProblem = { chain: string; seq: number; reason: 'gap' | 'link' | 'hash' | 'genesis' };

/** Walks one chain's events in seq order; returns the first problem, if any. */
export function findChainProblem(events: Iterable<ChainedEvent>): ChainProblem | undefined {
  let previous: ChainedEvent | undefined;
  for (const event of events) {
    if (!previous && (event.seq !== 1 || event.prevHash !== GENESIS_HASH)) {
      return { chain: event.chain, seq: event.seq, reason: event.seq !== 1 ? 'gap' : 'genesis' };
    }
    if (previous && event.seq !== previous.seq + 1)
      return { chain: event.chain, seq: event.seq, reason: 'gap' };
    if (previous && event.prevHash !== previous.hash)
      return { chain: event.chain, seq: event.seq, reason: 'link' };
    if (eventHash(event) !== event.hash) return { chain: event.chain, seq: event.seq, reason: 'hash' };
    previous = event;
  }
  return undefined;
}

/** Checks every chain in a list of events ordered by chain, then seq. */
export function findProblemInChains(events: readonly ChainedEvent[]): ChainProblem | undefined {
  let start = 0;
  for (let i = 1; i <= events.length; i++) {
    if (i === events.length || events[i]!.chain !== events[start]!.chain) {
      const problem = findChainProblem(events.slice(start, i));
      if (problem) return problem;
      start = i;
    }
  }
  return undefined;
}
