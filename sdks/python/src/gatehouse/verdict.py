"""Verdict verification: compact JWS, EdDSA/Ed25519, the claims of a Gatehouse verdict.

Performs the checks of packages/verdict/src/verify.ts (jose's `jwtVerify` plus the claim
shapes and the command binding) in the same order, so that every shared vector ends with
the same error code in both languages. It is deliberately not a general JOSE library: one
algorithm, one token type, nothing negotiable by the token itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .command import CommandSubject, command_hash
from .errors import GatehouseError, VerdictError

VERDICT_TYP = "gatehouse-verdict+jwt"
VERDICT_ALG = "EdDSA"
# jose accepts both names for Ed25519 (RFC 8037 "EdDSA" and the fully specified "Ed25519").
_ALGORITHMS = frozenset({VERDICT_ALG, "Ed25519"})
_REQUIRED_CLAIMS = ("iss", "sub", "jti", "iat", "exp")
_TIERS = frozenset({"auto", "review", "multi_party", "deny"})
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")

Decision = Literal["allow", "deny"]
Tier = Literal["auto", "review", "multi_party", "deny"]


@dataclass(frozen=True)
class VerdictClaims:
    """The claims of a verified verdict (README, "Verdicts")."""

    iss: str
    #: Agent id.
    sub: str
    #: Agent session id.
    sid: str
    #: Request id; a verdict is consumed once per request.
    jti: str
    iat: float
    exp: float
    decision: Decision
    tier: Tier
    score: float
    #: Hash of the canonical command subject.
    cmd: str
    #: Ids of the people whose approvals made the decision; empty for automatic verdicts.
    approvers: tuple[str, ...]
    #: Version of the risk policy that scored the request.
    policy: str
    #: The whole verified payload, including claims this SDK does not know.
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class VerificationKey:
    """One usable Ed25519 key of a JWKS."""

    kid: str | None
    #: The JWK's `alg`, when it names one; a key bound to another algorithm is not used.
    alg: str | None
    public_key: Ed25519PublicKey = field(repr=False)


@dataclass(frozen=True)
class VerdictExpectation:
    """What the verdict must say to be accepted."""

    #: The command about to run; the verdict must name exactly this one.
    subject: CommandSubject
    #: The request the caller submitted; a verdict for another request is refused.
    request_id: str | None = None
    #: This agent's id; a verdict issued to another agent is refused.
    agent_id: str | None = None
    #: Expected issuer, when the caller knows it.
    issuer: str | None = None
    #: Seconds since the epoch; defaults to the current time.
    now: float | None = None
    #: Allowed clock skew between the server and this host, in seconds.
    clock_tolerance: float = 5.0


def parse_jwks(document: object) -> tuple[VerificationKey, ...]:
    """The Ed25519 verification keys of a JWKS document.

    Keys of other types are skipped (they cannot verify an EdDSA verdict anyway); an
    Ed25519 key that is malformed, or a private key, makes the whole set invalid, as a
    server that publishes one is not trustworthy about the others either.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise GatehouseError("ERR_PROTOCOL", "the key set is not a JWKS document")
    keys: list[VerificationKey] = []
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            raise GatehouseError("ERR_PROTOCOL", "the key set holds a member that is not an object")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        if not _usable_for_verification(jwk):
            continue
        if "d" in jwk:
            raise GatehouseError("ERR_PROTOCOL", "the key set publishes a private key")
        x = jwk.get("x")
        raw = _b64decode(x) if isinstance(x, str) else None
        if raw is None or len(raw) != 32:
            raise GatehouseError("ERR_PROTOCOL", "the key set holds an invalid Ed25519 key")
        kid = jwk.get("kid")
        alg = jwk.get("alg")
        keys.append(
            VerificationKey(
                kid=kid if isinstance(kid, str) else None,
                alg=alg if isinstance(alg, str) else None,
                public_key=Ed25519PublicKey.from_public_bytes(raw),
            )
        )
    return tuple(keys)


def _usable_for_verification(jwk: Mapping[str, Any]) -> bool:
    # The same filter as jose's JWKS selection: `use` absent or "sig", `key_ops` absent or
    # containing "verify".
    use = jwk.get("use")
    if use is not None and use != "sig":
        return False
    ops = jwk.get("key_ops")
    if ops is not None and not (isinstance(ops, list) and "verify" in ops):
        return False
    return True


def verify_verdict(
    jws: str, keys: Sequence[VerificationKey], expect: VerdictExpectation
) -> VerdictClaims:
    """Returns the claims only when every check passes; raises VerdictError otherwise.

    A verified verdict may still say `deny`: decide on `claims.decision`, never on the
    absence of an error.
    """
    if not isinstance(jws, str):
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: not a string")
    parts = jws.split(".")
    if len(parts) != 3:
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: not a compact JWS")
    header_b64, payload_b64, signature_b64 = parts
    header = _json_object(header_b64, "protected header")

    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _ALGORITHMS:
        # "none", HS256 keyed with the public key, anything else: never negotiable.
        raise VerdictError("ERR_VERDICT_MALFORMED", f"verdict is malformed: algorithm {alg!r} is not allowed")
    if "crit" in header:
        # No critical extension is understood, so any is unsupported (RFC 7515, 4.1.11).
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: unsupported critical header")
    if "b64" in header:
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: unencoded payloads are not verdicts")

    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: kid is not a string")
    candidates = [
        key
        for key in keys
        if (kid is None or key.kid == kid) and (key.alg is None or key.alg == alg)
    ]
    if not candidates:
        raise VerdictError(
            "ERR_VERDICT_UNKNOWN_KEY", "verdict is signed by a key the server does not publish"
        )

    signature = _b64decode(signature_b64)
    if signature is None:
        raise VerdictError("ERR_VERDICT_MALFORMED", "verdict is malformed: signature is not base64url")
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    if not any(_verifies(key, signature, signing_input) for key in candidates):
        raise VerdictError("ERR_VERDICT_SIGNATURE", "verdict signature does not verify")

    # Only now is the payload read: nothing unsigned influences anything.
    payload = _json_object(payload_b64, "claims set")
    typ = header.get("typ")
    if not isinstance(typ, str) or _normalize_typ(typ) != _normalize_typ(VERDICT_TYP):
        raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "typ" is invalid: not a verdict')
    for claim in _REQUIRED_CLAIMS:
        if claim not in payload:
            raise VerdictError("ERR_VERDICT_CLAIMS", f'verdict claim "{claim}" is invalid: missing')
    if expect.issuer is not None and payload["iss"] != expect.issuer:
        raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "iss" is invalid: unexpected issuer')

    now = int(time.time() if expect.now is None else expect.now)
    tolerance = expect.clock_tolerance
    if not _is_number(payload["iat"]):
        raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "iat" is invalid: not a number')
    if "nbf" in payload:
        if not _is_number(payload["nbf"]):
            raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "nbf" is invalid: not a number')
        if payload["nbf"] > now + tolerance:
            raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "nbf" is invalid: not yet valid')
    exp = payload["exp"]
    if not _is_number(exp):
        raise VerdictError("ERR_VERDICT_CLAIMS", 'verdict claim "exp" is invalid: not a number')
    if exp <= now - tolerance:
        raise VerdictError("ERR_VERDICT_EXPIRED", "verdict has expired")

    claims = _claims(payload)
    if expect.agent_id is not None and claims.sub != expect.agent_id:
        raise VerdictError("ERR_VERDICT_WRONG_SUBJECT", "verdict was issued to another agent")
    if expect.request_id is not None and claims.jti != expect.request_id:
        raise VerdictError("ERR_VERDICT_WRONG_SUBJECT", "verdict belongs to another request")
    try:
        expected_cmd = command_hash(expect.subject)
    except GatehouseError as error:
        raise VerdictError("ERR_VERDICT_COMMAND_MISMATCH", error.message) from None
    if claims.cmd != expected_cmd:
        raise VerdictError(
            "ERR_VERDICT_COMMAND_MISMATCH", "verdict does not match the command about to run"
        )
    return claims


def unverified_claims(jws: str) -> Mapping[str, Any] | None:
    """The payload without any check, for display only (e.g. a refusal's reasons)."""
    try:
        return _json_object(jws.split(".")[1], "claims set")
    except (VerdictError, IndexError):
        return None


def _claims(p: dict[str, Any]) -> VerdictClaims:
    approvers = p.get("approvers")
    ok = (
        all(isinstance(p.get(name), str) for name in ("iss", "sub", "sid", "jti", "cmd", "policy"))
        and p.get("decision") in ("allow", "deny")
        and p.get("tier") in _TIERS
        and _is_number(p.get("score"))
        and isinstance(approvers, list)
        and all(isinstance(a, str) for a in approvers)
    )
    if not ok:
        raise VerdictError("ERR_VERDICT_CLAIMS", "verdict claims are incomplete or of the wrong type")
    return VerdictClaims(
        iss=p["iss"],
        sub=p["sub"],
        sid=p["sid"],
        jti=p["jti"],
        iat=p["iat"],
        exp=p["exp"],
        decision=cast(Decision, p["decision"]),
        tier=cast(Tier, p["tier"]),
        score=p["score"],
        cmd=p["cmd"],
        approvers=tuple(cast("list[str]", approvers)),
        policy=p["policy"],
        raw=p,
    )


def _verifies(key: VerificationKey, signature: bytes, data: bytes) -> bool:
    try:
        key.public_key.verify(signature, data)
        return True
    except InvalidSignature:
        return False


def _normalize_typ(value: str) -> str:
    # RFC 7515 4.1.9: "application/" may be omitted, and media types are case-insensitive.
    lowered = value.lower()
    return lowered if "/" in value else f"application/{lowered}"


def _is_number(value: object) -> bool:
    # bool is an int in Python but never a number in JSON.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _b64decode(text: str) -> bytes | None:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and JSON.parse) does not.
    raise ValueError(f"{name} is not JSON")


def _json_object(segment: str, what: str) -> dict[str, Any]:
    raw = _b64decode(segment)
    if raw is None:
        raise VerdictError("ERR_VERDICT_MALFORMED", f"verdict is malformed: {what} is not base64url")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise VerdictError("ERR_VERDICT_MALFORMED", f"verdict is malformed: {what} is not JSON") from None
    if not isinstance(value, dict):
        raise VerdictError("ERR_VERDICT_MALFORMED", f"verdict is malformed: {what} is not an object")
    return value
