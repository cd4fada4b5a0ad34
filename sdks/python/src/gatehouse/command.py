"""The canonical command subject and its hash: what a verdict is bound to.

Mirrors packages/verdict/src/command.ts byte for byte (the shared vectors prove it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import GatehouseError

Kind = Literal["shell", "sql"]

CANONICAL_TAG = "gatehouse.cmd.v1"
DEFAULT_SQL_DIALECT = "postgresql"


@dataclass(frozen=True)
class CommandSubject:
    """The exact command and where it runs."""

    kind: Kind
    command: str
    #: SQL dialect; `postgresql` when None for SQL, and always ignored for shell.
    dialect: str | None = None
    #: Host (shell) or database (SQL) the command targets, when the request named one.
    target: str | None = None


def canonical_command(subject: CommandSubject) -> str:
    """`JSON.stringify(["gatehouse.cmd.v1", kind, dialect, command, target])`.

    A JSON array in a fixed order, so that no key ordering, whitespace or default can make
    two subjects serialise alike. `json.dumps` with `ensure_ascii=False` and compact
    separators escapes exactly what ECMAScript's JSON.stringify escapes (quote, backslash,
    C0 controls with the same short forms and lowercase `\\u00xx`) for every string that
    is valid Unicode. Strings with lone surrogates are not: JSON.stringify would write
    `\\udXXX` where Python cannot even encode the text, so they are refused here.
    """
    if subject.kind == "sql":
        dialect = DEFAULT_SQL_DIALECT if subject.dialect is None else subject.dialect
    else:
        dialect = None
    fields = [CANONICAL_TAG, subject.kind, dialect, subject.command, subject.target]
    for field in fields:
        if field is not None:
            ensure_encodable(field, "command subject")
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def command_hash(subject: CommandSubject) -> str:
    """The `cmd` claim: unpadded base64url SHA-256 of the canonical subject (UTF-8)."""
    digest = hashlib.sha256(canonical_command(subject).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def target_of(kind: Kind, context: Mapping[str, str] | None) -> str | None:
    """Host for shell, database for SQL. An empty string is a target (as `??` in TS)."""
    if context is None:
        return None
    return context.get("database") if kind == "sql" else context.get("host")


def ensure_encodable(text: str, what: str) -> None:
    """Refuses text that is not valid Unicode (lone surrogates, e.g. from surrogateescape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise GatehouseError(
            "ERR_INVALID_ARGUMENT", f"{what} is not valid Unicode (lone surrogate at {error.start})"
        ) from None
