"""Brokered SQL: the gateway runs the statement on a registered connection and answers the
masked rows (see docs/broker.md). Mirrors packages/sdk/src/sql.ts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .decision import Decision
from .errors import GatehouseError

#: Longest the gateway may take to run a statement, beyond the request timeout (seconds).
DEFAULT_EXECUTE_TIMEOUT = 65.0


@dataclass(frozen=True)
class SqlResult:
    """The masked rows of the statement the gateway ran. `truncated`: the statement returned
    more rows than the server's cap, and `rows` holds the first ones."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    row_count: int
    truncated: bool
    affected_rows: int | None
    masked: Mapping[str, int]
    read_only: bool
    duration_ms: int
    decision: Decision


class SqlRefusedError(GatehouseError):
    """The statement was not allowed, or its authorization failed: nothing ran."""

    def __init__(self, decision: Decision) -> None:
        error = decision.error
        rules = ", ".join(r.rule for r in decision.reasons) or "no reasons given"
        super().__init__(
            error.code if error else "ERR_NOT_ALLOWED",
            error.message if error else f"the statement was not allowed ({decision.status}): {rules}",
        )
        self.decision = decision


def _protocol(message: str) -> GatehouseError:
    return GatehouseError("ERR_PROTOCOL", message)


def parse_sql_result(body: object, decision: Decision) -> SqlResult:
    """Reads the execute answer strictly: rows that do not match their columns or their count
    are a protocol error, never handed over as if complete."""
    if not isinstance(body, Mapping):
        raise _protocol("execute answer is not an object")
    columns, rows, row_count = body.get("columns"), body.get("rows"), body.get("rowCount")
    truncated = body.get("truncated")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _protocol("execute answer has no column list")
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
        raise _protocol("execute answer rows do not match its columns")
    if not isinstance(row_count, int) or isinstance(row_count, bool) or row_count != len(rows):
        raise _protocol("execute answer row count does not match its rows")
    if not isinstance(truncated, bool):
        raise _protocol("execute answer does not say whether it was truncated")
    affected = body.get("affectedRows")
    masked = body.get("masked")
    duration = body.get("durationMs")
    return SqlResult(
        columns=tuple(columns),
        rows=tuple(tuple(r) for r in rows),
        row_count=row_count,
        truncated=truncated,
        affected_rows=affected if isinstance(affected, int) and not isinstance(affected, bool) else None,
        masked=dict(masked) if isinstance(masked, Mapping) else {},
        read_only=body.get("readOnly") is True,
        duration_ms=duration if isinstance(duration, int) else 0,
        decision=decision,
    )


__all__ = ["DEFAULT_EXECUTE_TIMEOUT", "SqlRefusedError", "SqlResult", "parse_sql_result"]
