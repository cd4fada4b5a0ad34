import { schema } from '@gatehouse/db';
import { type AuditEventInput, eventColumns } from '@gatehouse/server';

/**
 * Benchmark baseline only: audit events as plain rows at unique positions of one pseudo-chain,
 * never linked or hashed — what an audit table without a hash chain would cost. Rows written
 * this way rightly fail `audit verify`.
 */
export class UnchainedAudit {
  #seq = 0;
  constructor(readonly chain: string) {}

  /** The events as inserts for the same group-commit statement as the change they describe. */
  inserts(events: readonly AuditEventInput[]) {
    const createdAt = new Date();
    return events.map(
      (event) =>
        [
          schema.auditEvents,
          { chain: this.chain, seq: ++this.#seq, prevHash: '', hash: '', ...eventColumns(event), createdAt },
        ] as const,
    );
  }
}
