"""Fail closed: every fault ends in `allowed=False`, and nothing runs.

Each case runs `touch <marker>` through `client.run`; the marker must never exist.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from standin import Key, Reply, Request, StandIn

from gatehouse import Client, CommandSubject, command_hash


@pytest.fixture
def make_standin() -> Iterator[Callable[..., StandIn]]:
    started: list[StandIn] = []

    def make(**kwargs: Any) -> StandIn:
        standin = StandIn(**kwargs)
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


def client_for(standin: StandIn, **kwargs: Any) -> Client:
    return Client(standin.url, standin.agent_key, **{"timeout": 10, "request_timeout": 2, **kwargs})


def assert_refused(client: Client, marker: Path, code: str, **kwargs: Any) -> None:
    result = client.run(f"touch {marker}", **kwargs)
    assert not result.allowed
    assert result.decision.status == "error", result.decision
    assert result.decision.error is not None
    assert result.decision.error.code == code, result.decision.error
    assert not marker.exists()


def on_verdict(change: Callable[[StandIn, Request], Reply | None]) -> Callable[[StandIn], Any]:
    """A tamper hook that rewrites the submit answer of an auto-approved request."""

    def install(standin: StandIn) -> Any:
        def tamper(route: str, reply: Reply, request: Request | None) -> Reply | None:
            if route == "POST /v1/requests":
                status, body = reply
                return change(standin, standin.requests[body["id"]]) or reply
            return None

        return tamper

    return install


def forged(claims: Callable[[StandIn, Request], dict[str, Any]], key: Callable[[StandIn], Key] | None = None):
    def change(standin: StandIn, request: Request) -> Reply:
        signer = key(standin) if key else standin.key
        verdict = signer.sign(claims(standin, request))
        return 201, {"id": request.id, "status": "auto_approved", "tier": "auto", "score": 1, "verdict": verdict}

    return on_verdict(change)


FORGERIES = {
    # signed by a key the server does not publish, naming the published kid
    "ERR_VERDICT_SIGNATURE": forged(lambda s, r: s.claims_for(r, "allow"), lambda s: Key(s.key.kid)),
    # a valid verdict for another command
    "ERR_VERDICT_COMMAND_MISMATCH": forged(
        lambda s, r: s.claims_for(r, "allow", cmd=command_hash(CommandSubject("shell", "true")))
    ),
    # the verdict of another request
    "ERR_VERDICT_WRONG_SUBJECT": forged(lambda s, r: s.claims_for(r, "allow", jti="req_other")),
    # expired a minute ago
    "ERR_VERDICT_EXPIRED": forged(
        lambda s, r: s.claims_for(r, "allow", iat=int(time.time()) - 400, exp=int(time.time()) - 60)
    ),
    # a kid nobody publishes, even after refetching the key set
    "ERR_VERDICT_UNKNOWN_KEY": forged(lambda s, r: s.claims_for(r, "allow"), lambda s: Key("kid-unknown")),
    # status says approved, the signed decision says deny
    "ERR_VERDICT_STATUS_MISMATCH": forged(lambda s, r: s.claims_for(r, "deny")),
    # claims of the wrong shape
    "ERR_VERDICT_CLAIMS": forged(lambda s, r: s.claims_for(r, "allow", approvers="everyone")),
}


@pytest.mark.parametrize("code", sorted(FORGERIES))
def test_forged_verdicts_never_run(make_standin: Callable[..., StandIn], marker: Path, code: str) -> None:
    standin = make_standin()
    standin.tamper = FORGERIES[code](standin)
    with client_for(standin) as client:
        assert_refused(client, marker, code)
    # Refused before the consume: nothing was marked used.
    assert standin.count("POST /v1/requests/:id/consume") == 0


def test_a_forged_key_set_is_ignored_when_keys_are_pinned(
    make_standin: Callable[..., StandIn], marker: Path
) -> None:
    standin = make_standin()
    pinned = {"keys": [standin.key.jwk()]}
    # Someone on the path swaps the published keys and signs with their own.
    standin.key = Key(standin.key.kid)
    standin.published = [standin.key]
    with client_for(standin, trusted_keys=pinned) as client:
        assert_refused(client, marker, "ERR_VERDICT_SIGNATURE")
    assert standin.count("GET /.well-known/jwks.json") == 0


def test_server_unreachable(marker: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Client(f"http://127.0.0.1:{port}", "gha_key", timeout=5, request_timeout=1) as client:
        assert_refused(client, marker, "ERR_NETWORK")


def test_a_server_that_never_answers_times_out(marker: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with Client(f"http://127.0.0.1:{port}", "gha_key", timeout=5, request_timeout=0.5) as client:
            started = time.monotonic()
            assert_refused(client, marker, "ERR_TIMEOUT")
            assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ((500, {"error": {"code": "INTERNAL", "message": "boom"}}), "ERR_SERVER"),
        ((200, b"<html>not json</html>"), "ERR_PROTOCOL"),
        ((201, {"id": "req_1", "status": "maybe"}), "ERR_PROTOCOL"),
        ((201, {"id": "req_1", "status": "auto_approved", "verdict": "not a jws"}), "ERR_PROTOCOL"),
        ((201, {"id": "req_1", "status": "auto_approved"}), "ERR_PROTOCOL"),
        ((302, {}), "ERR_PROTOCOL"),
        ((200, b"[" * (1024 * 1024 + 10)), "ERR_PROTOCOL"),
        ((403, {"error": {"code": "AGENT_REVOKED", "message": "revoked"}}), "ERR_FORBIDDEN"),
        ((400, {"error": {"code": "BAD", "message": "bad"}}), "ERR_REQUEST"),
        ((-1, None), "ERR_NETWORK"),
    ],
)
def test_bad_answers_to_submit(
    make_standin: Callable[..., StandIn], marker: Path, reply: Reply, code: str
) -> None:
    standin = make_standin(tamper=lambda route, r, q: reply if route == "POST /v1/requests" else None)
    with client_for(standin) as client:
        assert_refused(client, marker, code)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ((409, {"error": {"code": "VERDICT_ALREADY_USED", "message": "used"}}), "ERR_VERDICT_REPLAYED"),
        ((409, {"error": {"code": "VERDICT_EXPIRED", "message": "expired"}}), "ERR_VERDICT_EXPIRED"),
        ((500, {"error": {"code": "INTERNAL", "message": "boom"}}), "ERR_SERVER"),
        ((200, {"consumed": False}), "ERR_PROTOCOL"),
        ((-1, None), "ERR_NETWORK"),
    ],
)
def test_a_failed_consume_is_a_refusal(
    make_standin: Callable[..., StandIn], marker: Path, reply: Reply, code: str
) -> None:
    standin = make_standin(
        tamper=lambda route, r, q: reply if route == "POST /v1/requests/:id/consume" else None
    )
    with client_for(standin) as client:
        assert_refused(client, marker, code)


def test_an_unknown_kid_refetches_the_keys_once(make_standin: Callable[..., StandIn], tmp_path: Path) -> None:
    standin = make_standin()
    with client_for(standin) as client:
        assert client.check("shell", "ls").allowed
        assert standin.count("GET /.well-known/jwks.json") == 1
        # Rotation: a new key signs, both are published.
        standin.key = Key("standin-2")
        standin.published.append(standin.key)
        time.sleep(1.1)  # the refetch cooldown
        decision = client.check("shell", "ls")
        assert decision.allowed, decision
        assert standin.count("GET /.well-known/jwks.json") == 2
        # Known kids need no fetch.
        assert client.check("shell", "ls").allowed
        assert standin.count("GET /.well-known/jwks.json") == 2


def test_unknown_kids_do_not_flood_the_key_endpoint(make_standin: Callable[..., StandIn], marker: Path) -> None:
    standin = make_standin()
    standin.tamper = FORGERIES["ERR_VERDICT_UNKNOWN_KEY"](standin)
    with client_for(standin) as client:
        for _ in range(5):
            assert_refused(client, marker, "ERR_VERDICT_UNKNOWN_KEY")
    assert standin.count("GET /.well-known/jwks.json") <= 2


def test_pending_then_approved_with_transient_failures(make_standin: Callable[..., StandIn]) -> None:
    failures = {"left": 2}

    def flaky(route: str, reply: Reply, request: Request | None) -> Reply | None:
        if route == "GET /v1/requests/:id/verdict" and failures["left"] > 0:
            failures["left"] -= 1
            return 503, {"error": {"code": "UNAVAILABLE", "message": "try later"}}
        return None

    standin = make_standin(outcome=lambda c: "pending", tamper=flaky)
    with client_for(standin, backoff=(0.05, 0.1)) as client:
        seen: list[bool] = []
        waiter = threading.Thread(target=lambda: seen.append(client.check("shell", "make deploy").allowed))
        waiter.start()
        while not standin.requests:
            time.sleep(0.02)
        time.sleep(0.3)
        standin.decide(next(iter(standin.requests)), "approve")
        waiter.join(10)
    assert seen == [True]
    assert failures["left"] == 0


def test_a_401_mid_wait_renews_the_session(make_standin: Callable[..., StandIn]) -> None:
    standin = make_standin(outcome=lambda c: "pending")
    with client_for(standin) as client:
        result: list[bool] = []
        waiter = threading.Thread(target=lambda: result.append(client.check("shell", "make deploy").allowed))
        waiter.start()
        while not standin.requests:
            time.sleep(0.02)
        standin.revoke_sessions()
        time.sleep(0.2)
        standin.decide(next(iter(standin.requests)), "approve")
        waiter.join(10)
    assert result == [True]
    assert standin.count("POST /v1/sessions") == 2


def test_no_decision_before_the_deadline(make_standin: Callable[..., StandIn], marker: Path) -> None:
    standin = make_standin(outcome=lambda c: "pending")
    with client_for(standin) as client:
        started = time.monotonic()
        assert_refused(client, marker, "ERR_TIMEOUT", authorize_timeout=2)
        assert 1.5 < time.monotonic() - started < 5


def test_close_ends_a_wait(make_standin: Callable[..., StandIn], marker: Path) -> None:
    standin = make_standin(outcome=lambda c: "pending")
    client = client_for(standin, timeout=30)
    threading.Timer(0.5, client.close).start()
    started = time.monotonic()
    assert_refused(client, marker, "ERR_CLOSED")
    assert time.monotonic() - started < 3


def test_a_refusal_by_the_server_keeps_its_status(make_standin: Callable[..., StandIn], marker: Path) -> None:
    standin = make_standin(outcome=lambda c: "deny")
    with client_for(standin) as client:
        result = client.run(f"touch {marker}")
    assert not result.allowed and result.decision.status == "denied"
    assert result.decision.claims is not None and result.decision.claims.decision == "deny"
    assert not marker.exists()


def test_run_reports_the_result(make_standin: Callable[..., StandIn], tmp_path: Path) -> None:
    standin = make_standin()
    with client_for(standin) as client:
        result = client.run("echo out; echo err >&2; exit 3", capture_output=True, cwd=tmp_path)
    assert result.allowed and result.exit_code == 3
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    (request,) = standin.requests.values()
    assert request.subject.command == "echo out; echo err >&2; exit 3"
    (report,) = request.results
    assert report["exitCode"] == 3 and report["durationMs"] >= 0
    streams = {(c["stream"], c["data"]) for c in report["output"]["chunks"]}
    assert streams == {("stdout", "out\n"), ("stderr", "err\n")}


def test_run_timeout_kills_the_process_group(make_standin: Callable[..., StandIn], tmp_path: Path) -> None:
    standin = make_standin()
    with client_for(standin) as client:
        started = time.monotonic()
        result = client.run("sleep 30 | cat", timeout=0.5, capture_output=True)
    assert result.allowed and result.timed_out and result.signal == "SIGTERM"
    assert time.monotonic() - started < 10
    assert standin.requests and next(iter(standin.requests.values())).results[0]["exitCode"] == 128


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "bash", "command": "ls"}, "ERR_INVALID_ARGUMENT"),
        ({"kind": "shell", "command": "   "}, "ERR_INVALID_ARGUMENT"),
        ({"kind": "shell", "command": "ls \udcff"}, "ERR_INVALID_ARGUMENT"),
        ({"kind": "shell", "command": "ls", "context": {"host": 3}}, "ERR_INVALID_ARGUMENT"),
        ({"kind": "shell", "command": "ls", "context": {"hostname": "x"}}, "ERR_INVALID_ARGUMENT"),
        ({"kind": "shell", "command": "ls", "timeout": -1}, "ERR_INVALID_ARGUMENT"),
    ],
)
def test_bad_input_is_refused_without_a_call(
    make_standin: Callable[..., StandIn], kwargs: dict[str, Any], code: str
) -> None:
    standin = make_standin()
    with client_for(standin) as client:
        decision = client.check(**kwargs)
    assert not decision.allowed and decision.error is not None and decision.error.code == code
    assert standin.calls == []


def test_cwd_and_context_must_agree(make_standin: Callable[..., StandIn], marker: Path) -> None:
    standin = make_standin()
    with client_for(standin) as client:
        assert_refused(client, marker, "ERR_INVALID_ARGUMENT", cwd="/tmp", context={"cwd": "/srv"})
