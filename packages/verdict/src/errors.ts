export type VerdictErrorCode =
  | 'ERR_VERDICT_MALFORMED'
  | 'ERR_VERDICT_SIGNATURE'
  | 'ERR_VERDICT_UNKNOWN_KEY'
  | 'ERR_VERDICT_EXPIRED'
  | 'ERR_VERDICT_CLAIMS'
  | 'ERR_VERDICT_COMMAND_MISMATCH'
  | 'ERR_VERDICT_WRONG_SUBJECT';

/** Why a verdict was not accepted. Every one of these means: do not run the command. */
export class VerdictError extends Error {
  override readonly name = 'VerdictError';
  constructor(
    readonly code: VerdictErrorCode,
    message: string,
  ) {
    super(message);
  }
}
