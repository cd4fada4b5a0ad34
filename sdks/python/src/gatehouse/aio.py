"""The asyncio client: the same protocol flow as `Client`, on asyncio streams."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _flow
from ._drive import run_async
from ._execute import DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_RECORD_BYTES, execute_async, shell_command
from ._transport import AsyncTransport
from .client import (
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TIMEOUT,
    RunResult,
    build_settings,
    expired_before_start,
    result_of,
    run_context,
)
from .command import Kind
from .decision import Decision, DecisionError, PendingRequest, error_decision
from .errors import to_gatehouse_error
from .sql import DEFAULT_EXECUTE_TIMEOUT, SqlRefusedError, SqlResult, parse_sql_result


class AsyncClient:
    """The agent side of Gatehouse for asyncio. Options as for `Client`.

    Cancelling a task that awaits `check()` or `run()` cancels the wait (the socket closes,
    nothing is consumed or run) and propagates CancelledError, as asyncio code expects.
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
        self._transport = AsyncTransport(self._base)
        # Created lazily: an asyncio.Event made outside a running loop binds to the wrong
        # loop on Python 3.10.
        self._closing_event: asyncio.Event | None = None
        self._closed = False

    @property
    def _closing(self) -> asyncio.Event:
        if self._closing_event is None:
            self._closing_event = asyncio.Event()
            if self._closed:
                self._closing_event.set()
        return self._closing_event

    async def connect(self) -> None:
        """Opens the session and loads the verdict keys now; raises GatehouseError."""
        await run_async(_flow.connect(self._cfg, self._state), self._transport, self._closing)

    async def check(
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
        """As `Client.check`. Never raises (except CancelledError)."""
        try:
            request = _flow.prepare(kind, command, dialect, context, timeout, on_pending, resume_request_id)
        except Exception as error:
            return error_decision(None, error)
        try:
            return await run_async(
                _flow.authorize(self._cfg, self._state, request), self._transport, self._closing
            )
        except Exception as error:
            return error_decision(None, error)

    async def run(
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
        """As `Client.run`; the command runs as an asyncio subprocess."""
        try:
            text = shell_command(command)
            sent, directory = run_context(context, os.fspath(cwd) if cwd is not None else None)
        except Exception as error:
            return RunResult(allowed=False, decision=error_decision(None, error))
        decision = await self.check(
            "shell", text, context=sent, timeout=authorize_timeout, on_pending=on_pending
        )
        if not decision.allowed:
            return RunResult(allowed=False, decision=decision)
        if not _flow.is_runnable(decision, self._cfg.clock_tolerance):
            return expired_before_start(decision)
        execution = await execute_async(
            text,
            cwd=directory,
            env=env,
            timeout=timeout,
            capture=capture_output,
            max_output_bytes=max_output_bytes,
            record_bytes=max_record_bytes if record else 0,
        )
        assert decision.request_id is not None  # is_runnable checked it
        report_error = await self.report_result(decision.request_id, execution.report())
        return result_of(decision, execution, report_error)

    async def sql(
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
        """As `Client.sql`."""
        try:
            request = _flow.prepare(
                "sql", statement, dialect, context, authorize_timeout, on_pending, resume_request_id, connection
            )
        except Exception as error:
            raise SqlRefusedError(error_decision(None, error)) from None
        decision = await run_async(
            _flow.authorize(self._cfg, self._state, request), self._transport, self._closing
        )
        if not _flow.is_runnable(decision, self._cfg.clock_tolerance):
            raise SqlRefusedError(decision)
        assert decision.request_id is not None  # is_runnable checked it
        body = await run_async(
            _flow.execute_brokered(self._cfg, self._state, decision.request_id, execute_timeout),
            self._transport,
            self._closing,
        )
        return parse_sql_result(body, decision)

    async def report_result(self, request_id: str, result: Mapping[str, object]) -> DecisionError | None:
        try:
            await run_async(
                _flow.report(self._cfg, self._state, request_id, result), self._transport, self._closing
            )
            return None
        except Exception as error:
            failure = to_gatehouse_error(error)
            self._cfg.log.warning("gatehouse: result report failed for %s: %s", request_id, failure.code)
            return DecisionError(failure.code, failure.message)

    async def aclose(self) -> None:
        """Ends every check in flight (they return ERR_CLOSED)."""
        self._closed = True
        self._closing.set()
        self._state.clear()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
