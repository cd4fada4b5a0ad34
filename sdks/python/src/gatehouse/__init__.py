"""Gatehouse agent SDK for Python: ask before acting, and run a command only with a valid,
single-use verdict for exactly that command."""

from ._execute import OutputChunk, RecordedOutput
from .aio import AsyncClient
from .client import Client, RequestContext, RunResult
from .command import CommandSubject, Kind, canonical_command, command_hash, target_of
from .decision import Decision, DecisionError, DecisionStatus, PendingRequest, refusal_message
from .errors import ErrorCode, GatehouseError, VerdictError, VerdictErrorCode
from .guard import GatehouseToolRefusedError, ToolRequest, guard_tool, guarded
from .protocol import FinalStatus, Reason, RequestStatus, Tier, is_allow_status, is_final_status
from .sql import SqlRefusedError, SqlResult
from .verdict import (
    VERDICT_ALG,
    VERDICT_TYP,
    VerdictClaims,
    VerdictExpectation,
    VerificationKey,
    parse_jwks,
    verify_verdict,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "Client",
    "CommandSubject",
    "Decision",
    "DecisionError",
    "DecisionStatus",
    "ErrorCode",
    "FinalStatus",
    "GatehouseError",
    "GatehouseToolRefusedError",
    "Kind",
    "OutputChunk",
    "PendingRequest",
    "Reason",
    "RecordedOutput",
    "RequestContext",
    "RequestStatus",
    "RunResult",
    "SqlRefusedError",
    "SqlResult",
    "Tier",
    "ToolRequest",
    "VERDICT_ALG",
    "VERDICT_TYP",
    "VerdictClaims",
    "VerdictError",
    "VerdictErrorCode",
    "VerdictExpectation",
    "VerificationKey",
    "__version__",
    "canonical_command",
    "command_hash",
    "guard_tool",
    "guarded",
    "is_allow_status",
    "is_final_status",
    "parse_jwks",
    "refusal_message",
    "target_of",
    "verify_verdict",
]
