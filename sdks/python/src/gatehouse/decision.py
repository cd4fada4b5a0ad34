"""The outcome of an authorization, and the only constructor of an allowing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import ErrorCode, GatehouseError, to_gatehouse_error
from .protocol import Reason, Submitted, Tier
from .verdict import VerdictClaims

DecisionStatus = Literal[
    "auto_approved", "approved", "denied", "rejected", "expired", "cancelled", "pending", "error"
]
RefusedStatus = Literal["denied", "rejected", "expired", "cancelled"]


@dataclass(frozen=True)
class DecisionError:
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class PendingRequest:
    """What is known about a request that waits for people (passed to `on_pending`)."""

    request_id: str
    reasons: tuple[Reason, ...]
    tier: Tier | None
    score: float | None
    #: How many distinct people must approve.
    required_approvals: int | None
    #: When the request expires unless decided (epoch seconds).
    deadline: float | None


@dataclass(frozen=True)
class Decision:
    """`allowed` is True only when a verdict for exactly this command was verified, says
    `allow`, had not expired and was consumed on the server. Whenever anything went wrong,
    `status` is "error" (never a hopeful server status) and `error` says what."""

    allowed: bool
    status: DecisionStatus
    reasons: tuple[Reason, ...] = ()
    request_id: str | None = None
    tier: Tier | None = None
    score: float | None = None
    verdict: str | None = None
    claims: VerdictClaims | None = None
    error: DecisionError | None = None

    def __bool__(self) -> bool:
        # `if decision:` reads naturally and can only mean "allowed".
        return self.allowed


@dataclass(frozen=True)
class Known:
    """What is known about the request so far, carried into whatever decision ends the call."""

    request_id: str | None = None
    tier: Tier | None = None
    score: float | None = None
    reasons: tuple[Reason, ...] = ()

    @staticmethod
    def of(submitted: Submitted) -> Known:
        return Known(submitted.id, submitted.tier, submitted.score, submitted.reasons)


def allow_decision(
    known: Known, status: Literal["auto_approved", "approved"], verdict: str, claims: VerdictClaims
) -> Decision:
    """The only constructor of an allowing decision: it needs verified claims."""
    return Decision(
        allowed=True,
        status=status,
        reasons=known.reasons,
        request_id=known.request_id,
        tier=known.tier,
        score=known.score,
        verdict=verdict,
        claims=claims,
    )


def refused_decision(
    known: Known, status: RefusedStatus, verdict: str | None, claims: VerdictClaims | None
) -> Decision:
    """A final refusal by the server (denied, rejected, expired, cancelled)."""
    return Decision(
        allowed=False,
        status=status,
        reasons=known.reasons,
        request_id=known.request_id,
        tier=known.tier,
        score=known.score,
        verdict=verdict,
        claims=claims,
    )


def error_decision(known: Known | None, error: BaseException) -> Decision:
    """Any failure. Never raises, whatever it is handed."""
    try:
        failure: GatehouseError = to_gatehouse_error(error)
        base = known or Known()
        return Decision(
            allowed=False,
            status="error",
            reasons=base.reasons,
            request_id=base.request_id,
            tier=base.tier,
            score=base.score,
            error=DecisionError(failure.code, failure.message),
        )
    except Exception:
        return Decision(
            allowed=False, status="error", error=DecisionError("ERR_INTERNAL", "unexpected failure")
        )


def refusal_message(decision: Decision) -> str:
    """A refusal in words a model (or a person) can act on (same wording as the TS SDK)."""
    rid = f" (request {decision.request_id})" if decision.request_id else ""
    why = "; ".join([r.detail or r.rule for r in decision.reasons if (r.detail or r.rule)][:3])
    because = f" Reasons: {why}." if why else ""
    if decision.status == "denied":
        return (
            f"Gatehouse denied this command{rid}; policy does not allow it.{because} "
            "Do not retry it; choose another approach or ask a person."
        )
    if decision.status == "rejected":
        return f"An approver rejected this command{rid}.{because} Do not retry it; ask a person how to proceed."
    if decision.status == "expired":
        return (
            f"Nobody approved this command before its deadline{rid}, so it did not run. "
            "Ask a person to approve it, then retry."
        )
    if decision.status == "cancelled":
        return f"The request for this command was cancelled{rid}; it did not run."
    error = decision.error
    if error is not None and error.code == "ERR_TIMEOUT" and decision.request_id:
        return (
            f"This command is waiting for approval{rid} and did not run. "
            "Retry later, once a person has approved it."
        )
    code = error.code if error else "ERR_INTERNAL"
    message = error.message if error else "unknown failure"
    return f"Gatehouse could not authorize this command{rid}, so it did not run ({code}: {message})."
