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

/**
 * A policy file that cannot be used. `line` and `column` are 1-based and point at the YAML node
 * at fault when the problem has a location, so editors and CI logs can jump to it.
 */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly reason: string;
  readonly source: string | undefined;
  constructor(
    code: PolicyErrorCode,
    reason: string,
    options: { line?: number; column?: number; source?: string } = {},
  ) {
    const where = [options.source, locationOf(options)].filter(Boolean).join(':');
    super(where ? `${where}: ${reason}` : reason);
    this.name = 'PolicyError';
    this.code = code;
    this.reason = reason;
    this.line = options.line;
    this.column = options.line === undefined ? undefined : options.column;
    this.source = options.source;
  }
}

function locationOf({ line, column }: { line?: number; column?: number }): string | undefined {
  if (line === undefined) return undefined;
  return column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
}
