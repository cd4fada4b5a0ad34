"""A small stand-in that speaks the Gatehouse API contract and signs real verdicts.

It exists for failures a real server will not produce on demand (a forged signature, a
verdict for another command, an expired verdict, a consume that fails, a dropped
connection); the happy paths run against the real server (test_server.py). Like
packages/sdk/test/support/stand-in.ts.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gatehouse import CommandSubject, command_hash, target_of


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Key:
    kid: str
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwk(self) -> dict[str, str]:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        head = {"alg": "EdDSA", "typ": "gatehouse-verdict+jwt", "kid": self.kid, **(header or {})}
        signing_input = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(claims).encode())}"
        return f"{signing_input}.{b64(self.private.sign(signing_input.encode()))}"


@dataclass
class Request:
    id: str
    subject: CommandSubject
    status: str
    verdict: str | None = None
    consumed: bool = False
    results: list[Any] = field(default_factory=list)


Reply = tuple[int, Any]
#: (route, reply, request) -> replacement reply, or None to keep it.
Tamper = Callable[[str, Reply, "Request | None"], "Reply | None"]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-answer (timeouts, close()) are what these tests provoke.
        pass


class StandIn:
    def __init__(
        self,
        outcome: Callable[[str], str] = lambda command: "auto",
        tamper: Tamper | None = None,
        verdict_ttl: int = 300,
        session_ttl: int = 900,
    ) -> None:
        self.key = Key("standin-1")
        self.published = [self.key]
        self.agent_key = f"gh_agent_{uuid.uuid4().hex}"
        self.agent_id = "agt_standin"
        self.tokens: set[str] = set()
        self.requests: dict[str, Request] = {}
        self.calls: list[str] = []
        self.outcome = outcome
        self.tamper = tamper
        self.verdict_ttl = verdict_ttl
        self.session_ttl = session_ttl
        self.changed = threading.Condition()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def claims_for(self, request: Request, decision: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": "gatehouse-standin",
            "sub": self.agent_id,
            "sid": "ses_standin",
            "jti": request.id,
            "iat": now,
            "exp": now + self.verdict_ttl,
            "decision": decision,
            "tier": "auto" if decision == "allow" else "deny",
            "score": 5 if decision == "allow" else 95,
            "cmd": command_hash(request.subject),
            "approvers": [],
            "policy": "test",
            **overrides,
        }

    def decide(self, request_id: str, decision: str) -> None:
        with self.changed:
            request = self.requests[request_id]
            allow = decision == "approve"
            request.status = "approved" if allow else "rejected"
            request.verdict = self.key.sign(self.claims_for(request, "allow" if allow else "deny"))
            self.changed.notify_all()

    def revoke_sessions(self) -> None:
        self.tokens.clear()

    def count(self, route: str) -> int:
        return self.calls.count(route)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                parts = urlsplit(self.path)
                segments = parts.path.split("/")
                request_id = segments[3] if len(segments) > 3 and segments[1:3] == ["v1", "requests"] else None
                route = f"{self.command} {parts.path}"
                if request_id is not None:
                    route = route.replace(f"/{request_id}", "/:id")
                standin.calls.append(route)
                request = standin.requests.get(request_id) if request_id else None
                reply = standin._route(route, body, parts.query, self._bearer(), request)
                replaced = standin.tamper(route, reply, request) if standin.tamper else None
                status, answer = replaced if replaced is not None else reply
                if status == -1:
                    # Drop the connection without an answer.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _bearer(self) -> str:
                value = self.headers.get("authorization") or ""
                return value[len("Bearer ") :] if value.startswith("Bearer ") else ""

        return Handler

    def _route(self, route: str, body: Any, query: str, bearer: str, request: Request | None) -> Reply:
        def error(status: int, code: str) -> Reply:
            return status, {"error": {"code": code, "message": code}}

        if route == "GET /.well-known/jwks.json":
            return 200, {"keys": [key.jwk() for key in self.published]}
        if route == "POST /v1/sessions":
            if bearer != self.agent_key:
                return error(401, "INVALID_AGENT_KEY")
            token = f"tok_{uuid.uuid4().hex}"
            self.tokens.add(token)
            expires = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + self.session_ttl))
            return 201, {"token": token, "expiresAt": expires, "sessionId": "ses_standin"}
        if bearer not in self.tokens:
            return error(401, "INVALID_SESSION")
        if route == "POST /v1/requests":
            context = body.get("context") or {}
            subject = CommandSubject(
                body["kind"], body["command"], body.get("dialect"), target_of(body["kind"], context)
            )
            created = Request(f"req_{uuid.uuid4().hex[:12]}", subject, "pending")
            self.requests[created.id] = created
            outcome = self.outcome(body["command"])
            if outcome == "auto":
                created.status = "auto_approved"
                created.verdict = self.key.sign(self.claims_for(created, "allow"))
            elif outcome == "deny":
                created.status = "denied"
                created.verdict = self.key.sign(self.claims_for(created, "deny"))
            answer: dict[str, Any] = {
                "id": created.id,
                "status": created.status,
                "tier": {"auto": "auto", "deny": "deny"}.get(outcome, "review"),
                "score": 10,
                "reasons": [{"rule": "test.rule", "detail": "stand-in"}],
            }
            if created.verdict:
                answer["verdict"] = created.verdict
            else:
                answer["requiredApprovals"] = 1
            return 201, answer
        if request is None:
            return error(404, "REQUEST_NOT_FOUND")
        if route == "GET /v1/requests/:id/verdict":
            wait = int(parse_qs(query).get("wait", ["0"])[0])
            with self.changed:
                self.changed.wait_for(lambda: request.status != "pending", timeout=wait)
            if request.status == "pending":
                return 202, {"status": "pending"}
            return 200, {"status": request.status, "verdict": request.verdict}
        if route == "POST /v1/requests/:id/consume":
            if request.status not in ("approved", "auto_approved"):
                return error(409, "NOT_ALLOWED")
            if request.consumed:
                return error(409, "VERDICT_ALREADY_USED")
            request.consumed = True
            return 200, {"consumed": True}
        if route == "POST /v1/requests/:id/result":
            request.results.append(body)
            return 201, {"recorded": True}
        return error(404, "NOT_FOUND")
