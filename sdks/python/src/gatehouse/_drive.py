"""Drivers that run a protocol flow (`_flow.py`) with real I/O."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._flow import Call, Flow
from ._transport import AsyncTransport, SyncTransport
from .errors import GatehouseError

T = TypeVar("T")


def _closed() -> GatehouseError:
    return GatehouseError("ERR_CLOSED", "the client was closed")


def run_sync(flow: Flow[T], transport: SyncTransport, closing: threading.Event) -> T:
    """Performs each effect the flow yields and feeds back the result, or raises the
    failure into the flow at the point it yielded, where its own handlers decide."""
    try:
        effect = next(flow)
        while True:
            try:
                if closing.is_set():
                    raise _closed()
                if isinstance(effect, Call):
                    result: object = transport.call(effect)
                else:
                    if closing.wait(effect.seconds):
                        raise _closed()
                    result = None
            except Exception as error:
                effect = flow.throw(error)
                continue
            effect = flow.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value
    finally:
        flow.close()


async def run_async(flow: Flow[T], transport: AsyncTransport, closing: asyncio.Event) -> T:
    """The asyncio twin of run_sync. Cancellation of the calling task is not an error the
    flow sees: it propagates (and closes the flow), so a cancelled check decides nothing."""
    try:
        effect = next(flow)
        while True:
            try:
                if closing.is_set():
                    raise _closed()
                if isinstance(effect, Call):
                    result: object = await _until_closed(transport.call(effect), closing)
                else:
                    try:
                        await asyncio.wait_for(closing.wait(), effect.seconds)
                    except asyncio.TimeoutError:
                        result = None
                    else:
                        raise _closed()
            except Exception as error:
                effect = flow.throw(error)
                continue
            effect = flow.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value
    finally:
        flow.close()


async def _until_closed(work: Coroutine[Any, Any, T], closing: asyncio.Event) -> T:
    task: asyncio.Task[T] = asyncio.ensure_future(work)
    closed = asyncio.ensure_future(closing.wait())
    try:
        await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        closed.cancel()
    if not task.done():
        task.cancel()
        raise _closed()
    return task.result()
