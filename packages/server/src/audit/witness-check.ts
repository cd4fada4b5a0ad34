import type { Problem } from './types.ts';
import type { WitnessState } from './witness.ts';

/** What the comparison needs to know of the database, looked up as needed. */
export interface DatabaseView {
  /** The highest checkpoint number in the database; 0 when it has none. */
  lastCheckpoint: number;
  /** The hash (SHA-256 of the JWS) of checkpoint `seq`, or undefined when there is none. */
  checkpointHash(seq: number): Promise<string | undefined>;
  /** The seq of the lane's newest event, or undefined when the lane has no events. */
  laneHead(chain: string): Promise<number | undefined>;
  /** The hash of the event at (chain, seq), or undefined when there is none. */
  eventHash(chain: string, seq: number): Promise<string | undefined>;
}

/**
 * What the database is missing, or holds differently, compared with what a witness recorded:
 * checkpoints it lacks (a rollback, a wipe), lanes shorter than the witness saw them or gone,
 * heads that differ. Each problem says what is missing and since when: the time the witness
 * first recorded something the database no longer has.
 */
export async function compareWithWitness(witness: WitnessState, db: DatabaseView): Promise<Problem[]> {
  const problems: Problem[] = witness.problems.map((p) => ({
    kind: p.kind,
    witness: witness.name,
    detail: p.detail,
  }));
  const by = witness.name;

  // Checkpoints: the database must reach the newest one the witness recorded, with the same hash.
  const witnessed = [...witness.checkpoints].sort(([a], [b]) => a - b);
  const newest = witnessed.at(-1);
  if (newest && newest[0] > db.lastCheckpoint) {
    const firstMissing = witnessed.find(([seq]) => seq > db.lastCheckpoint)!;
    const since = firstMissing[1].at;
    problems.push({
      kind: 'rolled-back',
      checkpoint: db.lastCheckpoint + 1,
      since,
      witness: by,
      detail:
        `the database ${db.lastCheckpoint === 0 ? 'has no checkpoints' : `ends at checkpoint ${db.lastCheckpoint}`}, ` +
        `but ${by} recorded checkpoint ${newest[0]} at ${newest[1].at}: ` +
        `checkpoints ${db.lastCheckpoint + 1}..${newest[0]} missing since ${since}`,
    });
  }
  const present = witnessed.filter(([seq]) => seq <= db.lastCheckpoint);
  for (const [seq, recorded] of present) {
    const found = await db.checkpointHash(seq);
    if (found === undefined) {
      problems.push({
        kind: 'checkpoint-missing',
        checkpoint: seq,
        since: recorded.at,
        witness: by,
        detail: `checkpoint ${seq}, recorded by ${by} at ${recorded.at}, is not in the database`,
      });
    } else if (found !== recorded.hash) {
      problems.push({
        kind: 'bad-checkpoint',
        checkpoint: seq,
        since: recorded.at,
        witness: by,
        detail: `checkpoint ${seq} differs from the one ${by} recorded at ${recorded.at}`,
      });
    }
  }

  // Lanes: each must reach the head the witness last recorded for it, with the same hash.
  for (const [chain, heads] of witness.lanes) {
    const last = heads.at(-1)!;
    const head = await db.laneHead(chain);
    if (head === undefined) {
      problems.push({
        kind: 'lane-missing',
        chain,
        seq: 1,
        since: heads[0]!.at,
        witness: by,
        detail:
          `lane ${chain} has no events in the database, but ${by} recorded it at seq ${last.seq} at ${last.at}: ` +
          `all ${last.seq} events (seq 1..${last.seq}) missing since ${heads[0]!.at}`,
      });
      continue;
    }
    if (head < last.seq) {
      const since = heads.find((h) => h.seq > head)!.at;
      problems.push({
        kind: 'truncated',
        chain,
        seq: head + 1,
        since,
        witness: by,
        detail:
          `lane ${chain} ends at seq ${head}, but ${by} recorded seq ${last.seq} at ${last.at}: ` +
          `${last.seq - head} events (seq ${head + 1}..${last.seq}) missing since ${since}`,
      });
      continue;
    }
    const hash = await db.eventHash(chain, last.seq);
    if (hash !== last.hash) {
      problems.push({
        kind: 'modified',
        chain,
        seq: last.seq,
        since: last.at,
        witness: by,
        detail: `the event at seq ${last.seq} differs from the one ${by} recorded at ${last.at}`,
      });
    }
  }
  return problems;
}

/** A head an auditor recorded earlier (`--expect-head CHECKPOINT:HASH`): the database must still hold it. */
export async function checkExpectedHead(
  expected: { checkpoint: number; hash: string },
  db: DatabaseView,
): Promise<Problem[]> {
  const found = await db.checkpointHash(expected.checkpoint);
  if (found === expected.hash) return [];
  if (found === undefined) {
    return [
      {
        kind: 'rolled-back',
        checkpoint: expected.checkpoint,
        detail:
          `the expected head, checkpoint ${expected.checkpoint}, is not in the database ` +
          `(${db.lastCheckpoint === 0 ? 'it has no checkpoints' : `it ends at checkpoint ${db.lastCheckpoint}`}): ` +
          `everything after checkpoint ${Math.min(db.lastCheckpoint, expected.checkpoint - 1)} may be gone`,
      },
    ];
  }
  return [
    {
      kind: 'bad-checkpoint',
      checkpoint: expected.checkpoint,
      detail: `checkpoint ${expected.checkpoint} differs from the expected head (${expected.hash.slice(0, 16)}…)`,
    },
  ];
}

/** Parses `CHECKPOINT:HASH` (as `audit verify` prints after "head:"). */
export function parseExpectedHead(value: string): { checkpoint: number; hash: string } | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (!match) return undefined;
  return { checkpoint: Number(match[1]), hash: match[2]! };
}
