/**
 * Every refusal the server makes is one of these: a stable machine code, the HTTP status
 * that carries it, and a message written for the person reading the client's output.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const unauthorized = (code: string, message: string) => new GatehouseError(401, code, message);
export const forbidden = (code: string, message: string) => new GatehouseError(403, code, message);
export const notFound = (code: string, message: string) => new GatehouseError(404, code, message);
export const conflict = (code: string, message: string) => new GatehouseError(409, code, message);
export const badRequest = (code: string, message: string) => new GatehouseError(400, code, message);
