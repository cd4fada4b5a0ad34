"""Error classes. Each one means the same thing: the command does not run."""

from __future__ import annotations

from typing import Literal, get_args

VerdictErrorCode = Literal[
    "ERR_VERDICT_MALFORMED",
    "ERR_VERDICT_SIGNATURE",
    "ERR_VERDICT_UNKNOWN_KEY",
    "ERR_VERDICT_EXPIRED",
    "ERR_VERDICT_CLAIMS",
    "ERR_VERDICT_COMMAND_MISMATCH",
    "ERR_VERDICT_WRONG_SUBJECT",
]

# The codes of the TypeScript SDK (packages/sdk/src/errors.ts), one for one, so that logs,
# dashboards and runbooks read the same whichever language the agent is written in.
ErrorCode = Literal[
    # The overall deadline passed before a usable verdict arrived.
    "ERR_TIMEOUT",
    # The caller cancelled (asyncio cancellation is not turned into this: it propagates).
    "ERR_ABORTED",
    # The server could not be reached, or the connection broke.
    "ERR_NETWORK",
    # The server answered with a 5xx.
    "ERR_SERVER",
    # The server refused the credentials (401), also after one session renewal.
    "ERR_UNAUTHORIZED",
    # The server refused the agent (403), e.g. a revoked agent.
    "ERR_FORBIDDEN",
    # The server refused the request (another 4xx).
    "ERR_REQUEST",
    # The server's answer does not follow the API contract.
    "ERR_PROTOCOL",
    # The verdict was already used, here or on the server.
    "ERR_VERDICT_REPLAYED",
    # The server's status and the signed decision disagree.
    "ERR_VERDICT_STATUS_MISMATCH",
    # The statement was not allowed (denied, rejected, expired, cancelled): nothing ran.
    "ERR_NOT_ALLOWED",
    # The caller passed something the SDK cannot submit or run.
    "ERR_INVALID_ARGUMENT",
    # The client was closed.
    "ERR_CLOSED",
    # Anything unexpected; still a refusal.
    "ERR_INTERNAL",
    "ERR_VERDICT_MALFORMED",
    "ERR_VERDICT_SIGNATURE",
    "ERR_VERDICT_UNKNOWN_KEY",
    "ERR_VERDICT_EXPIRED",
    "ERR_VERDICT_CLAIMS",
    "ERR_VERDICT_COMMAND_MISMATCH",
    "ERR_VERDICT_WRONG_SUBJECT",
]

ERROR_CODES: frozenset[str] = frozenset(get_args(ErrorCode))
VERDICT_ERROR_CODES: frozenset[str] = frozenset(get_args(VerdictErrorCode))


class GatehouseError(Exception):
    """Every failure the SDK reports. `check()` and `run()` never raise it; they return it
    as `decision.error`. Lower-level calls (`connect()`, `verify_verdict()`) raise it."""

    code: ErrorCode
    #: HTTP status, when the failure came from an HTTP answer.
    status: int | None
    #: The server's own error code (`{"error": {"code"}}`), when it sent one.
    server_code: str | None

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status: int | None = None,
        server_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.server_code = server_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class VerdictError(GatehouseError):
    """Why a verdict was not accepted (signature, key, expiry, claims, command binding)."""

    code: VerdictErrorCode

    def __init__(self, code: VerdictErrorCode, message: str) -> None:
        super().__init__(code, message)


def to_gatehouse_error(error: BaseException) -> GatehouseError:
    """Normalises anything raised into a GatehouseError, so every refusal carries a code."""
    if isinstance(error, GatehouseError):
        return error
    try:
        text = str(error)
    except Exception:  # an exception whose __str__ raises must not escape either
        text = "unprintable error"
    return GatehouseError("ERR_INTERNAL", f"unexpected failure: {type(error).__name__}: {text}")
