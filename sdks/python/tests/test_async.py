"""The asyncio client against the real server, and its cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Server
from standin import StandIn

from gatehouse import AsyncClient, PendingRequest
from test_faults import FORGERIES


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_async_auto_review_and_run(server: Server, tmp_path: Path) -> None:
    agent = server.agent()
    _, approver = server.approver()

    async def scenario() -> None:
        async with AsyncClient(server.url, agent.key, agent_id=agent.id, timeout=60) as client:
            auto = await client.check("shell", "git status")
            assert auto.allowed and auto.status == "auto_approved"

            pending: asyncio.Future[PendingRequest] = asyncio.get_running_loop().create_future()
            review = asyncio.create_task(
                client.check("shell", "systemctl restart nginx", on_pending=pending.set_result)
            )
            request = await asyncio.wait_for(pending, 30)
            status, _ = await asyncio.to_thread(server.decide, request.request_id, approver)
            assert status == 200
            decision = await asyncio.wait_for(review, 30)
            assert decision.allowed and decision.status == "approved"

            result = await client.run(["printf", "%s", "a b"], capture_output=True, cwd=tmp_path)
            assert result.allowed and result.exit_code == 0 and result.stdout == "a b"

    run(scenario())


def test_async_cancellation_decides_nothing(server: Server, marker: Path) -> None:
    agent = server.agent()

    async def scenario() -> str:
        async with AsyncClient(server.url, agent.key, timeout=60) as client:
            pending: asyncio.Future[PendingRequest] = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(
                client.run(f"systemctl restart nginx; touch {marker}", on_pending=pending.set_result)
            )
            request = await asyncio.wait_for(pending, 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return request.request_id

    request_id = run(scenario())
    assert server.request(request_id)["status"] == "pending"
    assert not marker.exists()


@pytest.mark.parametrize("code", ["ERR_VERDICT_SIGNATURE", "ERR_VERDICT_COMMAND_MISMATCH", "ERR_VERDICT_EXPIRED"])
def test_async_forgeries_never_run(code: str, marker: Path) -> None:
    standin = StandIn()
    standin.tamper = FORGERIES[code](standin)

    async def scenario() -> None:
        async with AsyncClient(standin.url, standin.agent_key, timeout=10, request_timeout=2) as client:
            result = await client.run(f"touch {marker}")
        assert not result.allowed and result.decision.error is not None
        assert result.decision.error.code == code

    try:
        run(scenario())
    finally:
        standin.stop()
    assert not marker.exists()


def test_async_server_unreachable_and_close(marker: Path) -> None:
    async def scenario() -> None:
        async with AsyncClient("http://127.0.0.1:9", "gha_key", timeout=5, request_timeout=1) as client:
            result = await client.run(f"touch {marker}")
            assert result.decision.error is not None and result.decision.error.code == "ERR_NETWORK"
        standin = StandIn(outcome=lambda c: "pending")
        try:
            client = AsyncClient(standin.url, standin.agent_key, timeout=30)
            waiting = asyncio.create_task(client.check("shell", "make deploy"))
            await asyncio.sleep(0.5)
            await client.aclose()
            decision = await asyncio.wait_for(waiting, 5)
            assert decision.error is not None and decision.error.code == "ERR_CLOSED"
        finally:
            standin.stop()

    run(scenario())
    assert not marker.exists()


def test_async_reads_chunked_answers() -> None:
    # The stand-in answers with content-length; wrap the submit answer in chunked framing.
    import http.server
    import json
    import threading

    from standin import Key

    key = Key("k1")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for piece in (data[:7], data[7:]):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path == "/v1/sessions":
                self._send(201, {"token": "tok", "expiresAt": "2999-01-01T00:00:00.000Z"})
            else:
                self._send(404, {"error": {"code": "NOPE", "message": "nope"}})

        def do_GET(self) -> None:
            self._send(200, {"keys": [key.jwk()]})

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()

    async def scenario() -> None:
        async with AsyncClient(f"http://127.0.0.1:{httpd.server_address[1]}", "gha_key") as client:
            await client.connect()  # a chunked session answer and a chunked JWKS
            decision = await client.check("shell", "ls")
            assert decision.error is not None and decision.error.code == "ERR_REQUEST"
            assert "nope" in decision.error.message

    try:
        run(scenario())
    finally:
        httpd.shutdown()
        httpd.server_close()


