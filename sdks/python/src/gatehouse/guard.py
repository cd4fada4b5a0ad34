"""Guarding tools: a decorator and a wrapper for any framework that calls Python functions.

LangChain's `@tool`, the OpenAI Agents SDK's `@function_tool`, LlamaIndex's
`FunctionTool.from_defaults`, CrewAI, AutoGen and plain dispatch loops all call a Python
function with the model's arguments. Guard that function *before* handing it to the
framework: the wrapper keeps its name, docstring, signature and type hints (so the
framework derives the same schema), asks Gatehouse for the exact command the call will run,
and calls the function only with an allow verdict.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union, cast

from .aio import AsyncClient
from .client import Client
from .command import Kind
from .decision import Decision, error_decision, refusal_message
from .errors import ErrorCode, GatehouseError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ToolRequest:
    """What a tool call asks Gatehouse for: the exact command the tool is about to run."""

    command: str
    kind: Kind = "shell"
    dialect: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)


#: Maps the tool's arguments (exactly as the function receives them) to its command; or the
#: name of the parameter that holds a shell command (or SQL statement, with kind="sql").
ToRequest = Union[str, Callable[..., Union[ToolRequest, Mapping[str, Any]]]]
OnRefusal = Literal["raise", "return"]


class GatehouseToolRefusedError(Exception):
    """Raised instead of running a tool that Gatehouse did not allow. The message is written
    for the model: what happened, the request id, and what to do next."""

    code = "GATEHOUSE_REFUSED"

    def __init__(self, decision: Decision) -> None:
        super().__init__(refusal_message(decision))
        self.decision = decision
        self.status = decision.status
        self.request_id = decision.request_id
        self.error_code: ErrorCode | None = decision.error.code if decision.error else None


def guarded(
    client: Client | AsyncClient,
    to_request: ToRequest = "command",
    *,
    kind: Kind = "shell",
    context: Mapping[str, str] | None = None,
    timeout: float | None = None,
    on_refusal: OnRefusal = "raise",
) -> Callable[[F], F]:
    """Decorator form of `guard_tool`::

        @guarded(gatehouse)                 # the `command` parameter is a shell command
        def shell(command: str) -> str: ...

        @guarded(gatehouse, lambda query, db: ToolRequest(query, "sql", context={"database": db}))
        def sql(query: str, db: str) -> list[tuple]: ...
    """
    if not isinstance(client, (Client, AsyncClient)):
        raise TypeError("guarded(client, ...) needs a gatehouse Client or AsyncClient as first argument")

    def decorate(fn: F) -> F:
        return guard_tool(
            client, fn, to_request, kind=kind, context=context, timeout=timeout, on_refusal=on_refusal
        )

    return decorate


def guard_tool(
    client: Client | AsyncClient,
    fn: F,
    to_request: ToRequest = "command",
    *,
    kind: Kind = "shell",
    context: Mapping[str, str] | None = None,
    timeout: float | None = None,
    on_refusal: OnRefusal = "raise",
) -> F:
    """Returns `fn` guarded: each call first checks the command `to_request` describes, and
    calls `fn` only if allowed. `to_request` must describe exactly what `fn` does with those
    arguments: the verdict is bound to that command, not to the tool.

    A refusal, a timeout or any failure raises GatehouseToolRefusedError (most frameworks
    hand an exception's message to the model), or with `on_refusal="return"` returns the
    message as the tool's result instead, for frameworks that end the run on exceptions.
    """
    if not callable(fn):
        raise TypeError("guard_tool needs a callable")
    if on_refusal not in ("raise", "return"):
        raise ValueError('on_refusal must be "raise" or "return"')
    describe = _describer(fn, to_request, kind, dict(context or {}))
    is_async = inspect.iscoroutinefunction(fn)

    def refused(decision: Decision) -> str:
        if on_refusal == "return":
            return refusal_message(decision)
        raise GatehouseToolRefusedError(decision)

    if is_async:
        async_fn = cast(Callable[..., Awaitable[Any]], fn)

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            request = describe(args, kwargs)
            if isinstance(request, Decision):
                return refused(request)
            if isinstance(client, AsyncClient):
                decision = await client.check(**request, timeout=timeout)
            else:
                # A sync client inside async code: its blocking wait goes to a thread.
                decision = await asyncio.to_thread(client.check, **request, timeout=timeout)
            if not decision.allowed:
                return refused(decision)
            return await async_fn(*args, **kwargs)

        return cast(F, async_wrapper)

    if isinstance(client, AsyncClient):
        raise TypeError(
            f"{getattr(fn, '__name__', fn)!r} is synchronous: guard it with a gatehouse.Client, "
            "or make it `async def` to use an AsyncClient"
        )
    sync_client = client

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        request = describe(args, kwargs)
        if isinstance(request, Decision):
            return refused(request)
        decision = sync_client.check(**request, timeout=timeout)
        if not decision.allowed:
            return refused(decision)
        return fn(*args, **kwargs)

    return cast(F, wrapper)


def _describer(
    fn: Callable[..., Any], to_request: ToRequest, kind: Kind, base_context: dict[str, str]
) -> Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any] | Decision]:
    """Builds the function that turns one call's arguments into `check()` keywords, or into
    a refusal when they do not describe a command."""
    name = getattr(fn, "__name__", type(fn).__name__)
    base_context.setdefault("tool", f"python:{name}")
    signature = inspect.signature(fn)
    if isinstance(to_request, str):
        if to_request not in signature.parameters:
            raise TypeError(f"{name!r} has no parameter {to_request!r} holding the command")
    elif not callable(to_request):
        raise TypeError("to_request must be a parameter name or a callable")

    def describe(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | Decision:
        try:
            if isinstance(to_request, str):
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                request = ToolRequest(command=bound.arguments[to_request], kind=kind)
            else:
                produced = to_request(*args, **kwargs)
                request = produced if isinstance(produced, ToolRequest) else ToolRequest(**dict(produced))
            if not isinstance(request.command, str):
                raise TypeError("the command must be a str")
            return {
                "kind": request.kind,
                "command": request.command,
                "dialect": request.dialect,
                "context": {**base_context, **dict(request.context)},
            }
        except Exception as error:
            return error_decision(
                None, GatehouseError("ERR_INVALID_ARGUMENT", f"to_request failed: {error}")
            )

    return describe
