import { ERRORS, type ErrorCode } from '@gatehouse/contract';

/**
 * Every refusal the server makes is one of these: a code of the catalogue
 * (`@gatehouse/contract`, documented in docs/errors.md), which fixes the HTTP status, and a
 * message written for the person reading the client's output about this case.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].summary,
  ) {
    super(message);
    this.status = ERRORS[code].status;
  }
}
