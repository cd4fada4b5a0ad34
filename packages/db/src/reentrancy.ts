import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseError } from './errors.ts';

interface OpenTransaction {
  /** Cleared when the transaction ends: work it started that outlives it may use the database. */
  open: boolean;
}

/**
 * Code running inside a transaction must use the transaction's handle. A call on the outer
 * handle from there waits for a second connection while holding the first: on the
 * embedded database (one connection) that wait never ends, and on PostgreSQL it can drain
 * the pool under load and reads around the transaction's own writes. Either way it is a bug,
 * so it fails at once, with the same error on both drivers: the suite that runs on
 * PostgreSQL finds what would wedge the embedded mode.
 */
export class TransactionScope {
  readonly #storage = new AsyncLocalStorage<OpenTransaction>();

  /** Runs the body of a transaction; calls through `assertOutside` from inside it fail. */
  async within<T>(work: () => Promise<T>): Promise<T> {
    const transaction: OpenTransaction = { open: true };
    try {
      return await this.#storage.run(transaction, work);
    } finally {
      transaction.open = false;
    }
  }

  /** Guards a call on the outer handle (a query, or the start of another transaction). */
  assertOutside(what: string): void {
    if (this.#storage.getStore()?.open) {
      throw new DatabaseError(
        'ERR_DB_REENTRANT',
        `${what} on the outer database handle from inside a transaction: use the transaction's handle`,
      );
    }
  }
}
