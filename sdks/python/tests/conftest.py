"""Fixtures: one real Gatehouse server (embedded mode) for the whole test session."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
VECTORS_FILE = REPO_ROOT / "packages" / "verdict" / "test" / "vectors" / "verdicts.json"


@dataclass
class Agent:
    id: str
    key: str


class Server:
    """A running `gatehouse start`, and the admin calls the tests drive it with."""

    def __init__(self, url: str, admin_token: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.admin_token = admin_token
        self.process = process

    def call(self, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            request.add_header("authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, self.admin_token, body)
        assert 200 <= status < 300, (status, answer)
        return answer

    def agent(self, name: str = "py-agent", **extra: Any) -> Agent:
        created = self.admin("POST", "/v1/agents", {"name": f"{name}-{uuid.uuid4().hex[:8]}", "type": "ci", **extra})
        return Agent(created["id"], created["key"])

    def approver(self) -> tuple[str, str]:
        """A new person with the approver role: (user id, personal token)."""
        user = self.admin(
            "POST", "/v1/users", {"email": f"approver-{uuid.uuid4().hex[:8]}@example.com", "roles": ["approver"]}
        )
        return user["id"], user["token"]

    def decide(self, request_id: str, token: str, decision: str = "approve") -> tuple[int, Any]:
        # The server requires a comment for rejections and multi-party approvals.
        body = {"decision": decision, "comment": f"{decision} from the Python SDK tests"}
        return self.call("POST", f"/v1/requests/{request_id}/decisions", token, body)

    def request(self, request_id: str) -> Any:
        return self.admin("GET", f"/v1/requests/{request_id}")


def _start_server(data_dir: str) -> Server:
    env = {
        **os.environ,
        "GATEHOUSE_DATA_DIR": data_dir,
        "GATEHOUSE_HOST": "127.0.0.1",
        "GATEHOUSE_PORT": "0",
        "GATEHOUSE_LOG_LEVEL": "warn",
        "DATABASE_URL": os.environ.get("GATEHOUSE_PY_TEST_DATABASE_URL", ""),
        "REDIS_URL": "",
    }
    env.pop("GATEHOUSE_ADMIN_TOKEN", None)
    process = subprocess.Popen(
        ["node", "--import", "tsx", "apps/cli/src/main.ts", "start"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output: list[str] = []
    changed = threading.Condition()

    def pump() -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            with changed:
                output.append(line.decode("utf-8", errors="replace"))
                changed.notify_all()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 180
    with changed:
        while True:
            text = "".join(output)
            url = re.search(r"listening on (http://\S+)", text)
            token = re.search(r"admin token[^\n]*\n\s+(\S+)", text)
            if url and token:
                return Server(url.group(1).rstrip("/"), token.group(1), process)
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"gatehouse did not start; output:\n{text}")
            changed.wait(0.5)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    data_dir = tempfile.mkdtemp(prefix="gh-python-")
    started = _start_server(data_dir)
    try:
        yield started
    finally:
        try:
            os.killpg(started.process.pid, signal.SIGTERM)
            started.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(started.process.pid, signal.SIGKILL)
            started.process.wait()
        except ProcessLookupError:
            pass
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A file that a command creates if it runs: its absence proves nothing ran."""
    return tmp_path / "ran"


@pytest.fixture(scope="session")
def vectors() -> Any:
    return json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
