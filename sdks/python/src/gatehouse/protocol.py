"""Parsers for the server's answers (packages/sdk/src/protocol.ts).

Everything the server, or anything between us and it, sends is untrusted input: a shape
that does not match the API contract is ERR_PROTOCOL, never something to guess around.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from .errors import GatehouseError

RequestStatus = Literal[
    "auto_approved", "denied", "pending", "approved", "rejected", "expired", "cancelled"
]
FinalStatus = Literal["auto_approved", "denied", "approved", "rejected", "expired", "cancelled"]
Tier = Literal["auto", "review", "multi_party", "deny"]

STATUSES: frozenset[str] = frozenset(
    {"auto_approved", "denied", "pending", "approved", "rejected", "expired", "cancelled"}
)
TIERS: frozenset[str] = frozenset({"auto", "review", "multi_party", "deny"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def is_final_status(value: object) -> bool:
    return isinstance(value, str) and value in STATUSES and value != "pending"


def is_allow_status(status: str) -> bool:
    """The only two statuses under which a command may run."""
    return status in ("auto_approved", "approved")


@dataclass(frozen=True)
class Reason:
    """One explanation from the risk engine, as the server sent it."""

    rule: str
    category: str | None = None
    weight: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Session:
    token: str
    #: Epoch seconds.
    expires_at: float
    session_id: str | None


@dataclass(frozen=True)
class Submitted:
    id: str
    status: RequestStatus
    reasons: tuple[Reason, ...]
    tier: Tier | None = None
    score: float | None = None
    verdict: str | None = None
    #: Present while pending.
    required_approvals: int | None = None
    #: Present while pending (epoch seconds).
    deadline: float | None = None


@dataclass(frozen=True)
class FinalVerdict:
    status: FinalStatus
    verdict: str | None = None


def _protocol(message: str) -> GatehouseError:
    return GatehouseError("ERR_PROTOCOL", message)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def parse_timestamp(value: object) -> float | None:
    """An ISO 8601 instant as the server writes it (`Date.toISOString`), as epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        # Python 3.10's fromisoformat does not read a trailing "Z".
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def _optional_verdict(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _COMPACT_JWS.match(value):
        raise _protocol("verdict is not a compact JWS")
    return value


def parse_session(body: object, now: float) -> Session:
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not body["token"]:
        raise _protocol("session response has no token")
    expires_at = parse_timestamp(body.get("expiresAt"))
    if expires_at is None:
        raise _protocol("session response has no valid expiresAt")
    if expires_at <= now:
        raise _protocol("session token is already expired")
    session_id = body.get("sessionId")
    return Session(
        token=body["token"],
        expires_at=expires_at,
        session_id=session_id if isinstance(session_id, str) else None,
    )


def parse_reasons(value: object) -> tuple[Reason, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _protocol("reasons is not an array")
    reasons: list[Reason] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            raise _protocol("reason without a rule")
        category, weight, detail = item.get("category"), item.get("weight"), item.get("detail")
        reasons.append(
            Reason(
                rule=item["rule"],
                category=category if isinstance(category, str) else None,
                weight=weight if _is_number(weight) else None,
                detail=detail if isinstance(detail, str) else None,
            )
        )
    return tuple(reasons)


def parse_submitted(body: object) -> Submitted:
    if not isinstance(body, dict):
        raise _protocol("request response is not an object")
    request_id = body.get("id")
    if not isinstance(request_id, str) or not request_id:
        raise _protocol("request response has no id")
    status = body.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise _protocol(f"unknown request status {status!r}")
    tier = body.get("tier")
    score = body.get("score")
    required = body.get("requiredApprovals")
    return Submitted(
        id=request_id,
        status=cast(RequestStatus, status),
        reasons=parse_reasons(body.get("reasons")),
        tier=cast(Tier, tier) if isinstance(tier, str) and tier in TIERS else None,
        score=score if _is_number(score) else None,
        verdict=_optional_verdict(body.get("verdict")),
        # Informative only (shown while waiting); a malformed value is dropped, not trusted.
        required_approvals=(
            required
            if isinstance(required, int) and not isinstance(required, bool) and required > 0
            else None
        ),
        deadline=parse_timestamp(body.get("deadline")),
    )


def parse_final_verdict(body: object) -> FinalVerdict:
    """A 200 from the verdict endpoint: its status must be final."""
    if not isinstance(body, dict):
        raise _protocol("verdict response is not an object")
    status = body.get("status")
    if not is_final_status(status):
        raise _protocol(f"verdict response has non-final status {status!r}")
    return FinalVerdict(status=cast(FinalStatus, status), verdict=_optional_verdict(body.get("verdict")))


def assert_pending(body: object) -> None:
    if not isinstance(body, dict) or body.get("status") != "pending":
        raise _protocol("verdict endpoint answered 202 without status pending")


def parse_consumed(body: object) -> None:
    if not isinstance(body, dict) or body.get("consumed") is not True:
        raise _protocol("server did not confirm the verdict was consumed")


def parse_server_error(body: object) -> tuple[str | None, str | None]:
    """`{"error": {"code", "message"}}`; tolerant, since it only decorates a refusal."""
    error: Any = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (
        code if isinstance(code, str) else None,
        message[:500] if isinstance(message, str) else None,
    )


def status_error(status: int, body: object, path: str) -> GatehouseError:
    """Maps a non-2xx answer to the error code a caller can act on."""
    code, message = parse_server_error(body)
    detail = message or code or f"HTTP {status}"
    if status >= 500:
        return GatehouseError(
            "ERR_SERVER", f"server error on {path}: {detail}", status=status, server_code=code
        )
    if status == 401:
        return GatehouseError("ERR_UNAUTHORIZED", f"unauthorized: {detail}", status=status, server_code=code)
    if status == 403:
        return GatehouseError("ERR_FORBIDDEN", f"forbidden: {detail}", status=status, server_code=code)
    if status >= 400:
        return GatehouseError(
            "ERR_REQUEST", f"request refused on {path}: {detail}", status=status, server_code=code
        )
    # 1xx/3xx: the API never redirects, and following one could carry the token elsewhere.
    return GatehouseError(
        "ERR_PROTOCOL", f"unexpected HTTP {status} on {path}", status=status, server_code=code
    )
