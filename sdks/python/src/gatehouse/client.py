"""The synchronous client."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from . import _flow
from ._drive import run_sync
from ._execute import (
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    Execution,
    RecordedOutput,
    shell_command,
)
from ._execute import execute as _execute
from ._transport import BaseUrl, SyncTransport
from .command import Kind
from .decision import Decision, DecisionError, Known, PendingRequest, error_decision
from .errors import GatehouseError, VerdictError, to_gatehouse_error
from .sql import DEFAULT_EXECUTE_TIMEOUT, SqlRefusedError, SqlResult, parse_sql_result
from .verdict import parse_jwks

DEFAULT_TIMEOUT = 15 * 60.0
DEFAULT_REQUEST_TIMEOUT = 10.0


class RequestContext(TypedDict, total=False):
    """Where and why a command runs; shown to approvers. `host` (shell) and `database`
    (SQL) are part of the signed command subject."""

    cwd: str
    host: str
    database: str
    environment: str
    tool: str
    justification: str


@dataclass(frozen=True)
class RunResult:
    """The outcome of `run()`. `allowed` True means the command was authorized and started."""

    allowed: bool
    decision: Decision
    exit_code: int | None = None
    signal: str | None = None
    duration_ms: int | None = None
    timed_out: bool | None = None
    #: Captured output (`capture_output=True`), unmasked: see the README on masking.
    stdout: str | None = None
    stderr: str | None = None
    truncated: bool | None = None
    #: The shell could not be started although the command was authorized.
    spawn_error: str | None = None
    #: Reporting the result to the server failed; the command had already run.
    report_error: DecisionError | None = None

    def __bool__(self) -> bool:
        return self.allowed


def build_settings(
    url: str,
    agent_key: str,
    *,
    timeout: float,
    request_timeout: float,
    issuer: str | None,
    agent_id: str | None,
    trusted_keys: Mapping[str, Any] | None,
    session_ttl: int | None,
    clock_tolerance: float,
    backoff: tuple[float, float],
    jwks_cooldown: float,
    logger: logging.Logger | None,
) -> tuple[BaseUrl, _flow.Settings]:
    base = BaseUrl.parse(url)
    if not isinstance(agent_key, str) or not agent_key:
        raise GatehouseError("ERR_INVALID_ARGUMENT", "agent_key is required")
    for name, value in (("timeout", timeout), ("request_timeout", request_timeout)):
        _flow._positive(value, name)
    if not (isinstance(clock_tolerance, (int, float)) and 0 <= clock_tolerance < math.inf):
        raise GatehouseError("ERR_INVALID_ARGUMENT", "clock_tolerance must be a non-negative number")
    if session_ttl is not None and (not isinstance(session_ttl, int) or session_ttl <= 0):
        raise GatehouseError("ERR_INVALID_ARGUMENT", "session_ttl must be a positive int (seconds)")
    log = logger or logging.getLogger("gatehouse")
    pinned = parse_jwks(dict(trusted_keys)) if trusted_keys is not None else None
    if base.scheme == "http" and not base.is_loopback() and pinned is None:
        log.warning(
            "gatehouse url is plain http: anyone on the path can read the session token and serve forged keys"
        )
    settings = _flow.Settings(
        agent_key=agent_key,
        timeout=float(timeout),
        request_timeout=float(request_timeout),
        issuer=issuer,
        agent_id=agent_id,
        trusted_keys=pinned,
        session_ttl=session_ttl,
        clock_tolerance=float(clock_tolerance),
        backoff_base=backoff[0],
        backoff_max=backoff[1],
        jwks_cooldown=jwks_cooldown,
        jwks_max_age=600.0,
        log=log,
    )
    return base, settings


def run_context(
    context: Mapping[str, str] | None, cwd: str | None
) -> tuple[dict[str, str], str]:
    """The context sent with `run()` and the directory the command runs in, which agree."""
    given = dict(context or {})
    from_context = given.get("cwd")
    # The approver saw one directory; running in another would not be what was approved.
    if cwd is not None and from_context is not None and os.fspath(cwd) != from_context:
        raise GatehouseError("ERR_INVALID_ARGUMENT", "cwd and context['cwd'] disagree")
    directory = os.fspath(cwd) if cwd is not None else from_context or os.getcwd()
    given["cwd"] = directory
    return given, directory


def expired_before_start(decision: Decision) -> RunResult:
    return RunResult(
        allowed=False,
        decision=error_decision(
            Known(decision.request_id, decision.tier, decision.score, decision.reasons),
            VerdictError("ERR_VERDICT_EXPIRED", "verdict expired before the command started"),
        ),
    )


def result_of(decision: Decision, execution: Execution, report_error: DecisionError | None) -> RunResult:
    return RunResult(
        allowed=True,
        decision=decision,
        exit_code=execution.exit_code,
        signal=execution.signal,
        duration_ms=execution.duration_ms,
        timed_out=execution.timed_out,
        stdout=execution.stdout,
        stderr=execution.stderr,
        truncated=execution.truncated,
        spawn_error=execution.spawn_error,
        report_error=report_error,
    )


class Client:
    """The agent side of Gatehouse, blocking. Safe to share between threads.

    `check()` and `run()` are total: they never raise for a failure (only for the caller's
    own interruption, e.g. KeyboardInterrupt), and any failure anywhere is `allowed=False`.
    """

    def __init__(
        self,
        url: str,
        agent_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        issuer: str | None = None,
        agent_id: str | None = None,
        trusted_keys: Mapping[str, Any] | None = None,
        session_ttl: int | None = None,
        clock_tolerance: float = 5.0,
        backoff: tuple[float, float] = (0.25, 10.0),
        jwks_cooldown: float = 1.0,
        logger: logging.Logger | None = None,
    ) -> None:
        """`url`: base URL of the API (a path prefix is kept); use https outside localhost.
        `agent_key`: the key an admin issued, sent only to `POST /v1/sessions` and traded
        for a session token (cached, renewed at 80 % of its life and once after a 401).
        `timeout`: longest a check may take, waiting for people included (seconds).
        `trusted_keys`: a JWKS to pin instead of fetching `/.well-known/jwks.json`.
        `jwks_cooldown`: least time between two key-set fetches caused by an unknown kid.
        """
        self._base, self._cfg = build_settings(
            url,
            agent_key,
            timeout=timeout,
            request_timeout=request_timeout,
            issuer=issuer,
            agent_id=agent_id,
            trusted_keys=trusted_keys,
            session_ttl=session_ttl,
            clock_tolerance=clock_tolerance,
            backoff=backoff,
            jwks_cooldown=jwks_cooldown,
            logger=logger,
        )
        self._state = _flow.SharedState()
        self._transport = SyncTransport(self._base)
        self._closing = threading.Event()

    def connect(self) -> None:
        """Opens the session and loads the verdict keys now (otherwise the first check does).
        Raises GatehouseError, so a wrong URL or key shows at start-up."""
        run_sync(_flow.connect(self._cfg, self._state), self._transport, self._closing)

    def check(
        self,
        kind: Kind,
        command: str,
        *,
        dialect: str | None = None,
        context: Mapping[str, str] | None = None,
        timeout: float | None = None,
        on_pending: Callable[[PendingRequest], object] | None = None,
        resume_request_id: str | None = None,
    ) -> Decision:
        """Submits the command, waits for the final verdict, verifies it against the
        published keys and this exact command, and consumes it. Never raises."""
        try:
            request = _flow.prepare(kind, command, dialect, context, timeout, on_pending, resume_request_id)
        except Exception as error:
            return error_decision(None, error)
        try:
            return run_sync(_flow.authorize(self._cfg, self._state, request), self._transport, self._closing)
        except Exception as error:  # the flow is total; this is a last line of defence
            return error_decision(None, error)

    def run(
        self,
        command: str | Sequence[str],
        *,
        context: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        capture_output: bool = False,
        record: bool = True,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        authorize_timeout: float | None = None,
        on_pending: Callable[[PendingRequest], object] | None = None,
    ) -> RunResult:
        """Authorizes `command` as a shell command and, only if allowed, runs exactly it
        with `/bin/sh -c` in its own process group, then reports the result. An argv list
        is approved and run as `shlex.join(argv)`. Never raises; never starts anything
        when not allowed."""
        try:
            text = shell_command(command)
            sent, directory = run_context(context, os.fspath(cwd) if cwd is not None else None)
        except Exception as error:
            return RunResult(allowed=False, decision=error_decision(None, error))
        decision = self.check(
            "shell", text, context=sent, timeout=authorize_timeout, on_pending=on_pending
        )
        if not decision.allowed:
            return RunResult(allowed=False, decision=decision)
        if not _flow.is_runnable(decision, self._cfg.clock_tolerance):
            return expired_before_start(decision)
        execution = _execute(
            text,
            cwd=directory,
            env=env,
            timeout=timeout,
            capture=capture_output,
            max_output_bytes=max_output_bytes,
            record_bytes=max_record_bytes if record else 0,
        )
        assert decision.request_id is not None  # is_runnable checked it
        report_error = self.report_result(decision.request_id, execution.report())
        return result_of(decision, execution, report_error)

    def sql(
        self,
        connection: str,
        statement: str,
        *,
        dialect: str | None = None,
        context: Mapping[str, str] | None = None,
        authorize_timeout: float | None = None,
        execute_timeout: float = DEFAULT_EXECUTE_TIMEOUT,
        on_pending: Callable[[PendingRequest], object] | None = None,
        resume_request_id: str | None = None,
    ) -> SqlResult:
        """Submits `statement` for the gateway to run on the registered `connection`, waits
        and verifies the verdict like `check`, then asks the gateway to execute it, and answers
        the masked rows. Raises SqlRefusedError (`.decision`) when not allowed, and
        GatehouseError (the server's code in `server_code`) when the gateway could not run it:
        never partial rows as if complete."""
        try:
            request = _flow.prepare(
                "sql", statement, dialect, context, authorize_timeout, on_pending, resume_request_id, connection
            )
        except Exception as error:
            raise SqlRefusedError(error_decision(None, error)) from None
        decision = run_sync(_flow.authorize(self._cfg, self._state, request), self._transport, self._closing)
        if not _flow.is_runnable(decision, self._cfg.clock_tolerance):
            raise SqlRefusedError(decision)
        assert decision.request_id is not None  # is_runnable checked it
        body = run_sync(
            _flow.execute_brokered(self._cfg, self._state, decision.request_id, execute_timeout),
            self._transport,
            self._closing,
        )
        return parse_sql_result(body, decision)

    def report_result(
        self,
        request_id: str,
        result: Mapping[str, object],
    ) -> DecisionError | None:
        """Reports an execution (`{exitCode, durationMs, signal?, output?}`); returns the
        failure instead of raising. `run()` calls it for you."""
        try:
            run_sync(_flow.report(self._cfg, self._state, request_id, result), self._transport, self._closing)
            return None
        except Exception as error:
            failure = to_gatehouse_error(error)
            self._cfg.log.warning("gatehouse: result report failed for %s: %s", request_id, failure.code)
            return DecisionError(failure.code, failure.message)

    def close(self) -> None:
        """Ends every check in flight (they return ERR_CLOSED); the client is unusable after."""
        self._closing.set()
        self._transport.close()
        self._state.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


__all__ = ["Client", "RequestContext", "RecordedOutput", "RunResult"]
