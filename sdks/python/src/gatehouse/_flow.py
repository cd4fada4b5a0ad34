"""The authorization protocol, written once for both clients.

Every step that talks to the server is a generator that *yields* an effect (an HTTP call
or a pause) and receives its result; the sync client drives it with blocking sockets and
the asyncio client with streams (see `_drive.py`). The security-relevant logic (what is
sent, what is verified, when a command may run) therefore exists exactly once, and cannot
drift between the two clients. It mirrors packages/sdk/src/client.ts, session.ts, wait.ts.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union
from urllib.parse import quote

from .command import CommandSubject, Kind, ensure_encodable, target_of
from .decision import (
    Decision,
    Known,
    PendingRequest,
    allow_decision,
    error_decision,
    refused_decision,
)
from .errors import GatehouseError, VerdictError
from .protocol import (
    FinalVerdict,
    assert_pending,
    is_allow_status,
    is_final_status,
    parse_consumed,
    parse_final_verdict,
    parse_session,
    parse_submitted,
)
from .verdict import (
    VerdictClaims,
    VerdictExpectation,
    VerificationKey,
    parse_jwks,
    verify_verdict,
)

T = TypeVar("T")

#: The server holds a long-poll for at most this long.
MAX_WAIT_SECONDS = 60
#: Renew when this share of the session's life has passed, so no call goes out with a dying token.
RENEW_AT_FRACTION = 0.8
MIN_RENEW_MARGIN_SECONDS = 5.0
CONTEXT_FIELDS = ("cwd", "host", "database", "environment", "tool", "justification")
#: The dialects a connection can have; the server takes it from the connection's engine, so a
#: brokered verdict is accepted under any of them (the dialect decides only the scoring).
CONNECTION_DIALECTS = ("postgresql", "mysql", "mariadb")


@dataclass(frozen=True)
class Call:
    """One JSON call. The driver resolves it to an HttpResponse for a 2xx answer and raises
    a GatehouseError for anything else."""

    method: Literal["GET", "POST"]
    #: Path below the base URL, with its query string.
    path: str
    #: Bearer token; None for the public JWKS.
    token: str | None
    #: JSON body, or None for no body.
    body: object
    #: Longest the whole call may take, in seconds.
    timeout: float


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Union[Call, Sleep]


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: object


Flow = Generator[Effect, Any, T]


@dataclass(frozen=True)
class Settings:
    agent_key: str
    timeout: float
    request_timeout: float
    issuer: str | None
    agent_id: str | None
    trusted_keys: tuple[VerificationKey, ...] | None
    session_ttl: int | None
    clock_tolerance: float
    backoff_base: float
    backoff_max: float
    #: Least time between two key-set fetches caused by an unknown `kid`.
    jwks_cooldown: float
    #: A cached key set older than this is fetched again before use.
    jwks_max_age: float
    log: logging.Logger


@dataclass
class SharedState:
    """What a client remembers between calls. Guarded by a lock because one sync client is
    commonly shared by the worker threads of an agent framework."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    token: str | None = None
    renew_at: float = 0.0
    keys: tuple[VerificationKey, ...] | None = None
    keys_fetched_at: float = -math.inf
    #: Request ids (verdict `jti`s) this process already tried to use, with their expiry.
    consumed: dict[str, float] = field(default_factory=dict)

    def invalidate(self, token: str) -> None:
        with self.lock:
            if self.token == token:
                self.token = None

    def clear(self) -> None:
        with self.lock:
            self.token = None


@dataclass(frozen=True)
class Prepared:
    """The caller's input, read exactly once: the body sent to the server and the subject
    the verdict is checked against come from the same copy."""

    subject: CommandSubject
    body: dict[str, object]
    timeout: float | None = None
    on_pending: Callable[[PendingRequest], object] | None = None
    resume_request_id: str | None = None
    #: What the verdict may cover: the subject, or for a connection one per possible dialect.
    subjects: tuple[CommandSubject, ...] = ()
    #: False for a brokered statement: the gateway uses the verdict when it runs it.
    consume: bool = True


def prepare(
    kind: object,
    command: object,
    dialect: object = None,
    context: Mapping[str, object] | None = None,
    timeout: float | None = None,
    on_pending: Callable[[PendingRequest], object] | None = None,
    resume_request_id: str | None = None,
    connection: object = None,
) -> Prepared:
    if kind != "shell" and kind != "sql":
        raise _invalid('kind must be "shell" or "sql"')
    checked_kind: Kind = "shell" if kind == "shell" else "sql"
    if not isinstance(command, str) or not command.strip():
        raise _invalid("command must be a non-empty string")
    ensure_encodable(command, "command")
    if dialect is not None and not isinstance(dialect, str):
        raise _invalid("dialect must be a string")
    copy: dict[str, str] = {}
    if context is not None:
        if not isinstance(context, Mapping):
            raise _invalid("context must be a mapping")
        unknown = set(context) - set(CONTEXT_FIELDS)
        if unknown:
            # The server refuses unknown fields; saying so here is clearer than a 400.
            raise _invalid(f"unknown context field(s): {', '.join(sorted(map(str, unknown)))}")
        for name in CONTEXT_FIELDS:
            value = context.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise _invalid(f"context.{name} must be a string")
            ensure_encodable(value, f"context.{name}")
            copy[name] = value
    if timeout is not None:
        _positive(timeout, "timeout")
    if on_pending is not None and not callable(on_pending):
        raise _invalid("on_pending must be callable")
    if resume_request_id is not None and (
        not isinstance(resume_request_id, str) or not resume_request_id
    ):
        raise _invalid("resume_request_id must be a non-empty string")
    if connection is not None:
        if not isinstance(connection, str) or not connection:
            raise _invalid("connection must be a non-empty string")
        if checked_kind != "sql":
            raise _invalid('a connection runs SQL: kind must be "sql"')
        ensure_encodable(connection, "connection")
    sql_dialect = dialect if checked_kind == "sql" else None
    body: dict[str, object] = {"kind": checked_kind, "command": command}
    if connection is not None:
        body["connection"] = connection
    if sql_dialect is not None:
        body["dialect"] = sql_dialect
    if copy:
        body["context"] = dict(copy)
    # A brokered statement's verdict names the connection, never a database of the agent's.
    target = target_of(checked_kind, copy) if connection is None else f"connection:{connection}"
    subject = CommandSubject(kind=checked_kind, command=command, dialect=sql_dialect, target=target)
    subjects = (
        (subject,)
        if connection is None or sql_dialect is not None
        else tuple(
            CommandSubject(kind=checked_kind, command=command, dialect=d, target=target)
            for d in CONNECTION_DIALECTS
        )
    )
    return Prepared(
        subject=subject,
        body=body,
        timeout=timeout,
        on_pending=on_pending,
        resume_request_id=resume_request_id,
        subjects=subjects,
        consume=connection is None,
    )


# --- sessions ---------------------------------------------------------------------------


def session_token(cfg: Settings, st: SharedState, deadline: float | None) -> Flow[str]:
    """The cached session token, or a new one traded for the agent key. The agent key is
    sent to `POST /v1/sessions` only; every other call uses the session token."""
    with st.lock:
        if st.token is not None and time.time() < st.renew_at:
            return st.token
    started = time.time()
    body: dict[str, object] = {} if cfg.session_ttl is None else {"ttlSeconds": cfg.session_ttl}
    response: HttpResponse = yield Call(
        "POST", "/v1/sessions", cfg.agent_key, body, _budget(cfg, deadline)
    )
    session = parse_session(response.body, time.time())
    life = session.expires_at - started
    renew_at = min(started + life * RENEW_AT_FRACTION, session.expires_at - MIN_RENEW_MARGIN_SECONDS)
    with st.lock:
        st.token, st.renew_at = session.token, renew_at
    return session.token


def with_token(
    cfg: Settings,
    st: SharedState,
    make: Callable[[str], Call],
    deadline: float | None,
) -> Flow[HttpResponse]:
    """Runs a call with the session token; on a 401 renews the session once and retries
    once (the server restarted its key ring, or the session was revoked). A second refusal
    is final."""
    token = yield from session_token(cfg, st, deadline)
    try:
        response: HttpResponse = yield make(token)
        return response
    except GatehouseError as error:
        if error.code != "ERR_UNAUTHORIZED":
            raise
    st.invalidate(token)
    token = yield from session_token(cfg, st, deadline)
    response = yield make(token)
    return response


# --- keys and verification --------------------------------------------------------------


def load_keys(
    cfg: Settings, st: SharedState, refresh: bool, deadline: float | None
) -> Flow[tuple[VerificationKey, ...]]:
    if cfg.trusted_keys is not None:
        return cfg.trusted_keys
    now = time.monotonic()
    with st.lock:
        keys, fetched_at = st.keys, st.keys_fetched_at
    if keys is not None:
        age = now - fetched_at
        if not refresh and age < cfg.jwks_max_age:
            return keys
        # A flood of verdicts naming unknown kids must not become a flood of fetches.
        if refresh and age < cfg.jwks_cooldown:
            return keys
    try:
        response: HttpResponse = yield Call(
            "GET", "/.well-known/jwks.json", None, None, _budget(cfg, deadline)
        )
    except GatehouseError as error:
        if error.status is None:
            raise  # network, timeout, closed: keep the transport's code
        raise GatehouseError(
            "ERR_PROTOCOL", f"cannot load the verdict keys: {error.message}", status=error.status
        ) from None
    keys = parse_jwks(response.body)
    with st.lock:
        st.keys, st.keys_fetched_at = keys, time.monotonic()
    return keys


def verify_any(
    cfg: Settings, st: SharedState, jws: str, subjects: tuple[CommandSubject, ...], request_id: str
) -> Flow[VerdictClaims]:
    """Verifies against the first of several subjects that differ only in dialect."""
    mismatch: VerdictError | None = None
    for subject in subjects:
        try:
            return (yield from verify(cfg, st, jws, subject, request_id))
        except VerdictError as error:
            if error.code != "ERR_VERDICT_COMMAND_MISMATCH":
                raise
            mismatch = error
    assert mismatch is not None  # prepare() always gives at least one subject
    raise mismatch


def verify(
    cfg: Settings, st: SharedState, jws: str, subject: CommandSubject, request_id: str
) -> Flow[VerdictClaims]:
    expect = VerdictExpectation(
        subject=subject,
        request_id=request_id,
        agent_id=cfg.agent_id,
        issuer=cfg.issuer,
        clock_tolerance=cfg.clock_tolerance,
    )
    keys = yield from load_keys(cfg, st, False, None)
    try:
        return verify_verdict(jws, keys, expect)
    except VerdictError as error:
        if error.code != "ERR_VERDICT_UNKNOWN_KEY" or cfg.trusted_keys is not None:
            raise
    # A kid the cache does not hold: the keys rotated since the last fetch. Refetch once.
    cfg.log.debug("gatehouse: unknown verdict key; fetching the key set again")
    keys = yield from load_keys(cfg, st, True, None)
    return verify_verdict(jws, keys, expect)


# --- waiting ----------------------------------------------------------------------------


def backoff_delay(attempt: int, base: float, maximum: float) -> float:
    """Exponential with full jitter, so agents that lost the same server do not return in
    lockstep (packages/sdk/src/backoff.ts)."""
    ceiling: float = min(maximum, base * float(2 ** min(max(0, attempt), 30)))
    return max(base / 2, ceiling * random.random())


def is_transient(error: GatehouseError) -> bool:
    """Failures worth another poll; anything else (401 after renewal, 403, 404, bad shapes)
    is final."""
    if error.code in ("ERR_NETWORK", "ERR_TIMEOUT", "ERR_SERVER"):
        return True
    return error.code == "ERR_REQUEST" and error.status in (408, 429)


def wait_for(cfg: Settings, st: SharedState, request_id: str, deadline: float) -> Flow[FinalVerdict]:
    """Long-polls `GET /v1/requests/:id/verdict?wait=S` until a final status or the deadline,
    riding out network errors and 5xx with backoff."""
    path = f"/v1/requests/{quote(request_id, safe='')}/verdict"
    failures = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GatehouseError("ERR_TIMEOUT", "no verdict before the deadline")
        wait = max(0, min(MAX_WAIT_SECONDS, math.floor(remaining) - 1))

        def poll(token: str, wait: int = wait) -> Call:
            return Call("GET", f"{path}?wait={wait}", token, None, _budget(cfg, deadline, wait))

        try:
            response = yield from with_token(cfg, st, poll, deadline)
        except GatehouseError as error:
            if not is_transient(error):
                raise
            delay = backoff_delay(failures, cfg.backoff_base, cfg.backoff_max)
            failures += 1
            cfg.log.debug("gatehouse: long-poll failed (%s); retrying in %.2fs", error.code, delay)
            yield Sleep(max(0.0, min(delay, deadline - time.monotonic())))
            continue
        failures = 0
        if response.status == 200:
            return parse_final_verdict(response.body)
        if response.status == 202:
            assert_pending(response.body)
            # A server that answers 202 at once (ignoring ?wait) must not become a busy loop.
            if wait == 0:
                yield Sleep(max(0.0, min(1.0, deadline - time.monotonic())))
            continue
        raise GatehouseError("ERR_PROTOCOL", f"verdict endpoint answered HTTP {response.status}")


# --- the authorization ------------------------------------------------------------------


def authorize(cfg: Settings, st: SharedState, request: Prepared) -> Flow[Decision]:
    """Submits, waits, verifies, consumes. Total: returns a Decision for every outcome
    except cancellation by the caller (asyncio.CancelledError, KeyboardInterrupt), which
    propagates, and in which nothing runs either."""
    known: Known | None = None
    try:
        deadline = time.monotonic() + (request.timeout or cfg.timeout)
        if request.resume_request_id is not None:
            # Nothing is submitted: the earlier request's verdict must match this subject.
            request_id = request.resume_request_id
            known = Known(request_id=request_id)
            cfg.log.info("gatehouse: resuming the wait for request %s", request_id)
            final = yield from wait_for(cfg, st, request_id, deadline)
            return (yield from conclude(cfg, st, request, request_id, known, final))

        def submit(token: str) -> Call:
            return Call("POST", "/v1/requests", token, request.body, _budget(cfg, deadline))

        response = yield from with_token(cfg, st, submit, deadline)
        submitted = parse_submitted(response.body)
        known = Known.of(submitted)
        cfg.log.info(
            "gatehouse: request %s submitted (status %s, tier %s)",
            submitted.id,
            submitted.status,
            submitted.tier,
        )
        if is_final_status(submitted.status):
            final = FinalVerdict(status=submitted.status, verdict=submitted.verdict)  # type: ignore[arg-type]
        else:
            _notify_pending(cfg, request, submitted.id, known, submitted)
            final = yield from wait_for(cfg, st, submitted.id, deadline)
        return (yield from conclude(cfg, st, request, submitted.id, known, final))
    except Exception as error:
        decision = error_decision(known, error)
        cfg.log.warning(
            "gatehouse: not allowed (request %s): %s",
            decision.request_id,
            decision.error.code if decision.error else None,
        )
        return decision


def conclude(
    cfg: Settings,
    st: SharedState,
    request: Prepared,
    request_id: str,
    known: Known,
    final: FinalVerdict,
) -> Flow[Decision]:
    """Turns a final status into a decision; the only path to `allowed=True`."""
    subjects = request.subjects or (request.subject,)
    if not is_allow_status(final.status):
        claims: VerdictClaims | None = None
        if final.verdict is not None:
            # Claims of a refusal are informative only; a refusal stands even if they do not verify.
            try:
                claims = yield from verify_any(cfg, st, final.verdict, subjects, request_id)
            except Exception:
                claims = None
        cfg.log.info("gatehouse: request %s refused (%s)", request_id, final.status)
        return refused_decision(known, final.status, final.verdict, claims)  # type: ignore[arg-type]
    if final.verdict is None:
        raise GatehouseError("ERR_PROTOCOL", f"status {final.status} came without a verdict")
    claims = yield from verify_any(cfg, st, final.verdict, subjects, request_id)
    if claims.decision != "allow":
        raise GatehouseError(
            "ERR_VERDICT_STATUS_MISMATCH",
            f"status {final.status} but the signed decision is {claims.decision}",
        )
    if request.consume:
        yield from consume(cfg, st, request_id, claims)
    cfg.log.info("gatehouse: request %s allowed (%s)", request_id, final.status)
    return allow_decision(known, final.status, final.verdict, claims)  # type: ignore[arg-type]


def consume(cfg: Settings, st: SharedState, request_id: str, claims: VerdictClaims) -> Flow[None]:
    """Marks the verdict used, here first and then on the server; any doubt is a refusal."""
    now = time.time()
    with st.lock:
        for jti, exp in list(st.consumed.items()):
            if exp < now - 60:
                del st.consumed[jti]
        if claims.jti in st.consumed:
            raise GatehouseError("ERR_VERDICT_REPLAYED", "this verdict was already used by this process")
        st.consumed[claims.jti] = claims.exp
    path = f"/v1/requests/{quote(request_id, safe='')}/consume"

    def call(token: str) -> Call:
        # Not bounded by the authorization's deadline: once verified, the consume gets a full
        # call's time, so a verdict that arrived just in time is not wasted on a timeout.
        return Call("POST", path, token, {}, cfg.request_timeout)

    try:
        response = yield from with_token(cfg, st, call, None)
    except GatehouseError as error:
        if error.status == 409 and error.server_code == "VERDICT_EXPIRED":
            raise GatehouseError(
                "ERR_VERDICT_EXPIRED",
                "the server says the verdict expired before it was used",
                status=409,
                server_code=error.server_code,
            ) from None
        if error.status == 409:
            raise GatehouseError(
                "ERR_VERDICT_REPLAYED",
                "the server says this verdict was already used",
                status=409,
                server_code=error.server_code,
            ) from None
        raise
    parse_consumed(response.body)


def report(
    cfg: Settings, st: SharedState, request_id: str, result: Mapping[str, object]
) -> Flow[None]:
    path = f"/v1/requests/{quote(request_id, safe='')}/result"

    def call(token: str) -> Call:
        return Call("POST", path, token, dict(result), cfg.request_timeout)

    yield from with_token(cfg, st, call, None)


def execute_brokered(cfg: Settings, st: SharedState, request_id: str, timeout: float) -> Flow[Any]:
    """Asks the gateway to run an allowed brokered request; answers the execute body."""
    path = f"/v1/requests/{quote(request_id, safe='')}/execute"

    def call(token: str) -> Call:
        return Call("POST", path, token, {}, cfg.request_timeout + timeout)

    response = yield from with_token(cfg, st, call, None)
    return response.body


def connect(cfg: Settings, st: SharedState) -> Flow[None]:
    """Opens the session and loads the verdict keys now, so a misconfiguration shows at start."""
    yield from session_token(cfg, st, None)
    yield from load_keys(cfg, st, False, None)


# --- helpers ----------------------------------------------------------------------------


def is_runnable(decision: Decision, tolerance: float) -> bool:
    """Re-checked just before a process starts: the verdict may have expired while waiting."""
    if decision.allowed is not True or decision.claims is None or decision.request_id is None:
        return False
    return decision.claims.exp + tolerance > time.time()


def _notify_pending(
    cfg: Settings, request: Prepared, request_id: str, known: Known, submitted: Any
) -> None:
    if request.on_pending is None:
        return
    try:
        request.on_pending(
            PendingRequest(
                request_id=request_id,
                reasons=known.reasons,
                tier=known.tier,
                score=known.score,
                required_approvals=submitted.required_approvals,
                deadline=submitted.deadline,
            )
        )
    except Exception as error:
        # A display callback must not change the outcome of an authorization.
        cfg.log.warning("gatehouse: on_pending callback raised %r", error)


def _budget(cfg: Settings, deadline: float | None, extra: float = 0.0) -> float:
    timeout = cfg.request_timeout + extra
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise GatehouseError("ERR_TIMEOUT", "no usable verdict before the deadline")
    return min(timeout, remaining)


def _invalid(message: str) -> GatehouseError:
    return GatehouseError("ERR_INVALID_ARGUMENT", message)


def _positive(value: object, name: str) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _invalid(f"{name} must be a positive number")
    return float(value)
