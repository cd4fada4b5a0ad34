import { Type } from 'typebox';

/**
 * Every refusal the API makes, with the one HTTP status that carries it and what it means.
 * A code never changes status: clients branch on the code, and the status tells proxies and
 * generic clients the class of failure. The message a response carries says what happened
 * in this case (which request, which limit); the summary here says what the code means.
 */
export const ERRORS = {
  // 400: the request itself is wrong.
  VALIDATION_FAILED: { status: 400, summary: 'The body, query or path does not match the schema.' },
  MALFORMED_JSON: { status: 400, summary: 'The body is not valid JSON, or is empty.' },
  BAD_CONTENT_LENGTH: { status: 400, summary: 'The Content-Length header does not match the body.' },
  BAD_REQUEST: { status: 400, summary: 'The request is malformed in a way no other code names.' },
  INVALID_TEXT: {
    status: 400,
    summary:
      'A string in the body, query, path or a header holds a NUL character or invalid Unicode (an unpaired surrogate); the message names the field.',
  },
  BAD_CURSOR: { status: 400, summary: 'The pagination cursor was not issued by this server.' },
  INSIGHTS_RANGE_INVALID: {
    status: 400,
    summary: 'The insights range is empty, reversed, or holds more buckets than one answer carries.',
  },
  POLICY_INVALID: {
    status: 400,
    summary:
      'The policy is not valid YAML or breaks the policy schema; the message gives the line and column.',
  },
  BACKTEST_SINCE_INVALID: {
    status: 400,
    summary:
      'The backtest window does not start in the past (`since` is a duration like 30d or a past instant).',
  },
  COMMENT_REQUIRED: { status: 400, summary: 'Rejections and multi-party approvals need a comment.' },
  WHITELIST_INVALID: { status: 400, summary: 'The whitelist entry is incomplete or out of bounds.' },
  WHITELIST_NEEDS_APPROVE: { status: 400, summary: 'Only an approval can add a whitelist entry.' },
  GRANT_INVALID: {
    status: 400,
    summary:
      'The grant request is incomplete or out of bounds (an empty reason, a command pattern the risk engine refuses).',
  },
  GRANT_TOO_LONG: {
    status: 400,
    summary: 'The grant asks for more minutes than GATEHOUSE_GRANT_MAX_MINUTES allows.',
  },
  WHITELIST_REVIEW_INVALID: {
    status: 400,
    summary: 'The whitelist review needs a comment and, to renew, a review date in the next year.',
  },
  UNKNOWN_GROUP: { status: 400, summary: 'The named approver group does not exist.' },
  UNKNOWN_USER: { status: 400, summary: 'The named user does not exist.' },
  UNKNOWN_OWNER: { status: 400, summary: 'The owner named for an agent is not a user.' },
  WEBHOOK_URL_REFUSED: {
    status: 400,
    summary:
      'The webhook URL is not an http(s) URL Gatehouse may call (a private address needs the admin allow flag).',
  },
  STATEMENT_NOT_BROKERABLE: {
    status: 400,
    summary:
      'The statement controls the transaction or the session (BEGIN, COMMIT, SET, …); the gateway owns both, so it does not run it.',
  },
  CONNECTION_INVALID: {
    status: 400,
    summary:
      "A connection was named for a shell command, or with a dialect other than its engine's; brokered requests are SQL in the connection's dialect.",
  },
  // 401: who is calling is not established.
  MISSING_TOKEN: { status: 401, summary: 'No bearer token (or session cookie) was sent.' },
  INVALID_TOKEN: { status: 401, summary: 'The token is not valid, or was revoked.' },
  AGENT_KEY_NOT_ACCEPTED: {
    status: 401,
    summary: 'An agent key only starts sessions; send the session token.',
  },
  INVALID_AGENT_KEY: { status: 401, summary: 'The agent key is unknown or revoked.' },
  SESSION_EXPIRED: { status: 401, summary: 'The session has ended; start a new one.' },
  SESSION_REVOKED: { status: 401, summary: 'The session or its agent has been revoked.' },
  INVALID_CREDENTIALS: { status: 401, summary: 'The email or password is wrong.' },
  NOT_SIGNED_IN: { status: 401, summary: 'There is no signed-in web session.' },
  SLACK_SIGNATURE_INVALID: {
    status: 401,
    summary: 'A Slack interaction without a valid, current Slack signature; nothing was done.',
  },
  // 403: established, but not allowed.
  FORBIDDEN: { status: 403, summary: 'The caller lacks the role this call needs.' },
  NOT_A_PERSON: {
    status: 403,
    summary: 'Decisions are made by people, not agents or the bootstrap admin token.',
  },
  NOT_AN_APPROVER: { status: 403, summary: 'Deciding requests needs the approver role.' },
  SELF_APPROVAL: { status: 403, summary: 'Nobody decides requests of an agent they own.' },
  NOT_ELIGIBLE: { status: 403, summary: 'The approver is not in a group that may decide this request.' },
  ENVIRONMENT_NOT_ALLOWED: { status: 403, summary: 'The agent is not bound to the environment it named.' },
  CONNECTION_NOT_GRANTED: {
    status: 403,
    summary: 'The agent (by id or by type) has no grant for the named connection.',
  },
  RESULT_NOT_ALLOWED: {
    status: 403,
    summary: 'A result was reported for a request that was not allowed to run.',
  },
  CSRF_FAILED: { status: 403, summary: 'A state-changing browser call lacked the session CSRF token.' },
  ORIGIN_REFUSED: { status: 403, summary: 'A browser call came from another origin.' },
  // 404: nothing there, for this caller.
  NOT_FOUND: { status: 404, summary: 'No such route.' },
  REQUEST_NOT_FOUND: { status: 404, summary: 'No such request, or not one this caller may see.' },
  AGENT_NOT_FOUND: { status: 404, summary: 'No such agent.' },
  USER_NOT_FOUND: { status: 404, summary: 'No such user.' },
  GROUP_NOT_FOUND: { status: 404, summary: 'No such approver group.' },
  NOT_A_MEMBER: { status: 404, summary: 'The user is not a member of the group.' },
  SESSION_NOT_FOUND: { status: 404, summary: 'No such session, or not one this caller may end.' },
  TOKEN_NOT_FOUND: { status: 404, summary: 'No such personal token.' },
  RECORDING_NOT_FOUND: { status: 404, summary: 'The request has no recording, or it was purged.' },
  WHITELIST_NOT_FOUND: { status: 404, summary: 'No such whitelist entry.' },
  GRANT_NOT_FOUND: { status: 404, summary: 'No such just-in-time grant.' },
  ALARM_NOT_FOUND: { status: 404, summary: 'No such drift alarm.' },
  OIDC_NOT_CONFIGURED: { status: 404, summary: 'OpenID Connect sign-in is not configured.' },
  WEBHOOK_NOT_FOUND: { status: 404, summary: 'No such webhook endpoint.' },
  CONNECTION_NOT_FOUND: { status: 404, summary: 'No such connection (or it was deleted).' },
  CONNECTION_GRANT_NOT_FOUND: { status: 404, summary: 'No such grant on this connection.' },
  DELIVERY_NOT_FOUND: { status: 404, summary: 'No such delivery of this webhook endpoint.' },
  SLACK_NOT_CONFIGURED: {
    status: 404,
    summary: 'Slack is not configured (GATEHOUSE_SLACK_BOT_TOKEN and GATEHOUSE_SLACK_SIGNING_SECRET).',
  },
  SLACK_LINK_NOT_FOUND: { status: 404, summary: 'No link for this Slack user.' },
  // 409: the state does not allow it (any more).
  REQUEST_FINAL: { status: 409, summary: 'The request is no longer pending.' },
  REQUEST_EXPIRED: { status: 409, summary: 'The deadline for deciding the request has passed.' },
  ALREADY_DECIDED: { status: 409, summary: 'This person has already decided the request.' },
  REQUEST_NOT_ALLOWED: {
    status: 409,
    summary: 'The request did not end in allow; there is no verdict to consume.',
  },
  VERDICT_ALREADY_USED: { status: 409, summary: 'A verdict is single-use, and this one was used.' },
  VERDICT_EXPIRED: { status: 409, summary: 'The verdict expired before it was consumed.' },
  RESULT_ALREADY_REPORTED: { status: 409, summary: 'The result of this request was already reported.' },
  CONNECTION_EXISTS: { status: 409, summary: 'A connection with this name exists.' },
  CONNECTION_GRANT_EXISTS: {
    status: 409,
    summary: 'The agent or agent type already holds a grant on this connection.',
  },
  REQUEST_NOT_BROKERED: {
    status: 409,
    summary: 'The request was not submitted for a connection, so the gateway does not execute it.',
  },
  EXECUTION_CANCELLED: {
    status: 409,
    summary:
      'The grant the request was approved under ended while its statement ran; the statement was cancelled on the target and rolled back.',
  },
  USER_EXISTS: { status: 409, summary: 'A user with this email exists.' },
  USER_DISABLED: { status: 409, summary: 'The user is disabled.' },
  CANNOT_DISABLE_SELF: { status: 409, summary: 'An admin cannot disable their own account.' },
  GROUP_EXISTS: { status: 409, summary: 'A group with this name exists.' },
  ALREADY_MEMBER: { status: 409, summary: 'The user is already a member of the group.' },
  ALREADY_REVOKED: { status: 409, summary: 'The whitelist entry was already revoked.' },
  GRANT_NOT_ACTIVE: {
    status: 409,
    summary: 'The grant is not active: still waiting for approvers, refused, expired or already revoked.',
  },
  WHITELIST_RETIRED: { status: 409, summary: 'The whitelist entry was retired by a review.' },
  ALARM_ACKNOWLEDGED: { status: 409, summary: 'The drift alarm was already acknowledged.' },
  // 413, 415, 429: limits.
  BODY_TOO_LARGE: { status: 413, summary: 'The body is larger than GATEHOUSE_BODY_LIMIT.' },
  COMMAND_TOO_LARGE: { status: 413, summary: 'The command is larger than the risk engine accepts.' },
  STATEMENT_TOO_LONG: {
    status: 413,
    summary: 'The statement is longer than the broker runs (GATEHOUSE_BROKER_MAX_STATEMENT_LENGTH).',
  },
  POLICY_TOO_LARGE: { status: 413, summary: 'The policy is larger than a policy file may be (2 MiB).' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'Send JSON with content-type application/json.' },
  TARGET_ERROR: {
    status: 422,
    summary:
      "The target database refused or failed the statement (syntax, permissions, a write in a READ ONLY transaction); the message is the target's, masked. Nothing was committed.",
  },
  STATEMENT_TIMEOUT: {
    status: 422,
    summary:
      'The statement ran longer than GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS and was cancelled on the target; nothing was committed.',
  },
  BACKTEST_BUSY: {
    status: 429,
    summary:
      'This server is already running as many policy backtests as it runs at once; retry when one ends (see Retry-After).',
  },
  LOCKED_OUT: {
    status: 429,
    summary: 'Too many failed sign-ins; sign-in is locked for a while (see Retry-After).',
  },
  // 5xx: the server cannot answer now. Nothing was changed.
  INTERNAL: { status: 500, summary: 'An unexpected error; the request was not completed.' },
  MASTER_KEY_MISMATCH: { status: 500, summary: 'The signing keys cannot be opened with this master key.' },
  RESULT_WITHHELD: {
    status: 500,
    summary:
      'The result could not be masked, so it was withheld (fail closed) and the transaction rolled back; nothing is returned or recorded unmasked.',
  },
  NOT_READY: { status: 503, summary: 'The database or job queue does not answer.' },
  TARGET_UNREACHABLE: {
    status: 503,
    summary:
      "The connection's database cannot be reached or refused the gateway's login; the message names the connection, never its credentials. Nothing ran.",
  },
  DATABASE_BUSY: { status: 503, summary: 'The database did not answer in time; nothing was written. Retry.' },
  DATABASE_STORAGE: {
    status: 503,
    summary:
      'The database cannot store data (disk full, out of memory, an I/O error); nothing was written. An operator must make room; retry later.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    summary:
      'The database cannot be reached; the call did not complete (see Retry-After). A retry is safe: nothing half-done is left behind.',
  },
  JOBS_UNAVAILABLE: {
    status: 503,
    summary:
      'The job queue (Redis) does not answer, so a request that needs people cannot be queued for them; nothing is left pending. Retry.',
  },
  NO_SIGNING_KEY: { status: 503, summary: 'No active signing key.' },
  AUDIT_WITNESS_FAILED: {
    status: 503,
    summary: 'The checkpoint was stored, but the audit witness could not record it; retry.',
  },
  REVOCATION_STATE_STALE: {
    status: 503,
    summary: 'Cannot confirm the session is not revoked; retry shortly.',
  },
  AUTH_UNAVAILABLE: { status: 503, summary: 'Sign-in state cannot be read now; retry shortly.' },
  OIDC_UNAVAILABLE: { status: 503, summary: 'The OpenID Connect provider does not answer.' },
  SLACK_UNAVAILABLE: { status: 503, summary: 'The Slack Web API refused or did not answer the call.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** The body of every error response: `{"error": {"code", "message"}}`. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'A code of the error catalogue (docs/errors.md)' }),
    message: Type.String({ description: 'What happened, for the person reading the output' }),
  }),
});
