/** Errors the risk engine raises on purpose. Each carries a stable code callers can switch on. */

export type RiskInputErrorCode = 'ERR_INPUT_TOO_LARGE' | 'ERR_INPUT_INVALID';

/** The input to `assess` is outside what the engine accepts (too large, wrong shape). */
export class RiskInputError extends Error {
  readonly code: RiskInputErrorCode;
  constructor(code: RiskInputErrorCode, message: string) {
    super(message);
    this.name = 'RiskInputError';
    this.code = code;
  }
}

export type PolicyErrorCode = 'ERR_POLICY_SYNTAX' | 'ERR_POLICY_INVALID' | 'ERR_POLICY_EXTENDS';

/** A policy file that cannot be used. `line` is 1-based when the problem has a location. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly line: number | undefined;
  readonly reason: string;
  readonly source: string | undefined;
  constructor(code: PolicyErrorCode, reason: string, options: { line?: number; source?: string } = {}) {
    const where = [options.source, options.line === undefined ? undefined : `line ${options.line}`]
      .filter(Boolean)
      .join(':');
    super(where ? `${where}: ${reason}` : reason);
    this.name = 'PolicyError';
    this.code = code;
    this.reason = reason;
    this.line = options.line;
    this.source = options.source;
  }
}
