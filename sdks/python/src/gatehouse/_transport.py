"""HTTP for the two clients: blocking `http.client` and asyncio streams.

Both speak the same narrow dialect: one JSON request per connection, no redirects (one
could carry the bearer token elsewhere), bodies capped at 1 MiB, a hard deadline on the
whole exchange, and every failure turned into a GatehouseError with a code.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ._flow import Call, HttpResponse
from .errors import GatehouseError
from .protocol import status_error

#: Largest response body read; a verdict answer is a few kilobytes.
MAX_RESPONSE_BYTES = 1024 * 1024
_MAX_HEADER_BYTES = 64 * 1024
_USER_AGENT = "gatehouse-python"


@dataclass(frozen=True)
class BaseUrl:
    scheme: str
    host: str
    port: int
    #: Path prefix the API is mounted under, without a trailing slash.
    prefix: str

    @staticmethod
    def parse(url: str) -> BaseUrl:
        if not isinstance(url, str):
            raise GatehouseError("ERR_INVALID_ARGUMENT", "url must be a string")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatehouseError("ERR_INVALID_ARGUMENT", "url must be http(s)://host[:port][/prefix]")
        if parts.username or parts.password:
            raise GatehouseError("ERR_INVALID_ARGUMENT", "url must not carry credentials")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise GatehouseError("ERR_INVALID_ARGUMENT", "url has an invalid port") from None
        return BaseUrl(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def is_loopback(self) -> bool:
        return self.host in ("localhost", "::1") or self.host.startswith("127.")


def _headers(base: BaseUrl, call: Call, body: bytes | None) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
    if call.token is not None:
        headers["Authorization"] = f"Bearer {call.token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    return headers


def _encode(call: Call) -> bytes | None:
    if call.body is None:
        return None
    return json.dumps(call.body, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _decode(status: int, raw: bytes, path: str) -> HttpResponse:
    body: Any = None
    if raw:
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if status < 400:
                raise GatehouseError(
                    "ERR_PROTOCOL", f"{path} answered {status} with a body that is not JSON"
                ) from None
    if 200 <= status < 300:
        return HttpResponse(status, body)
    raise status_error(status, body, path)


def _check_token(call: Call) -> None:
    # A token with a line break would let the caller inject headers; none is ever legitimate.
    if call.token is not None and (
        not call.token.isprintable() or not call.token.isascii() or " " in call.token
    ):
        raise GatehouseError("ERR_INVALID_ARGUMENT", "the agent key or token has invalid characters")


class SyncTransport:
    """Blocking HTTP. `close()` from any thread ends every call in flight at once."""

    def __init__(self, base: BaseUrl, ssl_context: ssl.SSLContext | None = None) -> None:
        self._base = base
        self._ssl = ssl_context
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()
        self._closed = False

    def call(self, call: Call) -> HttpResponse:
        _check_token(call)
        path = self._base.prefix + call.path
        body = _encode(call)
        connection: http.client.HTTPConnection
        if self._base.scheme == "https":
            connection = http.client.HTTPSConnection(
                self._base.host,
                self._base.port,
                timeout=call.timeout,
                context=self._ssl or ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(self._base.host, self._base.port, timeout=call.timeout)
        with self._lock:
            if self._closed:
                raise GatehouseError("ERR_CLOSED", "the client was closed")
            self._open.add(connection)
        # Socket timeouts bound each read, not the exchange: a watchdog enforces the total,
        # so a server that drips bytes cannot hold a call past its deadline.
        fired = threading.Event()

        def expire() -> None:
            fired.set()
            _shutdown(connection)

        watchdog = threading.Timer(call.timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                connection.request(call.method, path, body=body, headers=_headers(self._base, call, body))
                response = connection.getresponse()
                declared = response.getheader("content-length")
                if declared is not None and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                    raise GatehouseError(
                        "ERR_PROTOCOL", f"response body of {declared} bytes exceeds the limit"
                    )
                raw = response.read(MAX_RESPONSE_BYTES + 1)
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise GatehouseError("ERR_PROTOCOL", "response body exceeds the limit")
                status = response.status
            except GatehouseError:
                raise
            except (OSError, http.client.HTTPException, ValueError) as error:
                if self._closed:
                    raise GatehouseError("ERR_CLOSED", "the client was closed") from None
                if fired.is_set() or isinstance(error, TimeoutError):
                    raise GatehouseError("ERR_TIMEOUT", "the server did not answer in time") from None
                raise GatehouseError(
                    "ERR_NETWORK", f"cannot reach {self._base.origin}: {_describe(error)}"
                ) from None
        finally:
            watchdog.cancel()
            with self._lock:
                self._open.discard(connection)
            connection.close()
        return _decode(status, raw, path)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self._open)
        for connection in connections:
            _shutdown(connection)


def _shutdown(connection: http.client.HTTPConnection) -> None:
    # shutdown() wakes a thread blocked in recv(); close() alone does not on Linux.
    sock = connection.sock
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class AsyncTransport:
    """HTTP/1.1 on asyncio streams.

    Why not `asyncio.to_thread` around the blocking transport: a thread blocked in a 60 s
    long-poll cannot be cancelled, and the default executor has only a handful of threads,
    so a few agents waiting for people would starve every other `to_thread` user of the
    process. On streams, cancelling the task closes the socket at once (the server then
    stops its long-poll too) and a thousand waits cost a thousand idle sockets.
    """

    def __init__(self, base: BaseUrl, ssl_context: ssl.SSLContext | None = None) -> None:
        self._base = base
        self._ssl = ssl_context

    async def call(self, call: Call) -> HttpResponse:
        _check_token(call)
        path = self._base.prefix + call.path
        try:
            status, raw = await asyncio.wait_for(self._exchange(call, path), call.timeout)
        except asyncio.TimeoutError:
            raise GatehouseError("ERR_TIMEOUT", "the server did not answer in time") from None
        except GatehouseError:
            raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            raise GatehouseError(
                "ERR_NETWORK", f"cannot reach {self._base.origin}: {_describe(error)}"
            ) from None
        return _decode(status, raw, path)

    async def _exchange(self, call: Call, path: str) -> tuple[int, bytes]:
        tls: ssl.SSLContext | None = None
        if self._base.scheme == "https":
            tls = self._ssl or ssl.create_default_context()
        reader, writer = await asyncio.open_connection(
            self._base.host,
            self._base.port,
            ssl=tls,
            server_hostname=self._base.host if tls else None,
            limit=_MAX_HEADER_BYTES,
        )
        try:
            body = _encode(call)
            headers = _headers(self._base, call, body)
            host = f"[{self._base.host}]" if ":" in self._base.host else self._base.host
            lines = [f"{call.method} {path} HTTP/1.1", f"Host: {host}:{self._base.port}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines += [f"Content-Length: {len(body or b'')}", "Connection: close", "", ""]
            writer.write("\r\n".join(lines).encode("latin-1") + (body or b""))
            await writer.drain()
            return await _read_response(reader)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise GatehouseError("ERR_PROTOCOL", "the server did not answer HTTP/1.1")
    status = int(parts[1])
    headers: dict[str, str] = {}
    size = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        size += len(line)
        if size > _MAX_HEADER_BYTES:
            raise GatehouseError("ERR_PROTOCOL", "response headers exceed the limit")
        if line == b"\r\n":
            break
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise GatehouseError("ERR_PROTOCOL", "malformed response header")
        key = name.strip().lower()
        if key in headers and key in ("content-length", "transfer-encoding"):
            # Two framing headers are how responses get smuggled; refuse, do not pick one.
            raise GatehouseError("ERR_PROTOCOL", f"duplicate {key} header")
        headers[key] = value.strip()
    if status in (204, 304) or 100 <= status < 200:
        return status, b""
    encoding = headers.get("transfer-encoding", "").lower()
    if encoding:
        if encoding != "chunked" or "content-length" in headers:
            raise GatehouseError("ERR_PROTOCOL", f"unsupported transfer-encoding {encoding!r}")
        return status, await _read_chunked(reader)
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise GatehouseError("ERR_PROTOCOL", "invalid content-length")
        if int(declared) > MAX_RESPONSE_BYTES:
            raise GatehouseError("ERR_PROTOCOL", f"response body of {declared} bytes exceeds the limit")
        return status, await reader.readexactly(int(declared))
    # No framing: the body runs to the end of the connection (we sent Connection: close).
    raw = await reader.read(MAX_RESPONSE_BYTES + 1)
    while raw and len(raw) <= MAX_RESPONSE_BYTES:
        more = await reader.read(MAX_RESPONSE_BYTES + 1 - len(raw))
        if not more:
            break
        raw += more
    if len(raw) > MAX_RESPONSE_BYTES:
        raise GatehouseError("ERR_PROTOCOL", "response body exceeds the limit")
    return status, raw


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise GatehouseError("ERR_PROTOCOL", "malformed chunk size") from None
        if size < 0 or len(body) + size > MAX_RESPONSE_BYTES:
            raise GatehouseError("ERR_PROTOCOL", "response body exceeds the limit")
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise GatehouseError("ERR_PROTOCOL", "malformed chunk")


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:300]
