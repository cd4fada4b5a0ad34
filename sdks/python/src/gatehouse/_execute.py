"""Running an approved command: exactly the approved string, through `/bin/sh -c`."""

from __future__ import annotations

import asyncio
import codecs
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Literal

from .errors import GatehouseError

#: What a recording keeps by default; the server applies its own cap as well.
DEFAULT_MAX_RECORD_BYTES = 1024 * 1024
DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024
#: The server accepts at most this many chunks in one report.
MAX_RECORD_CHUNKS = 20_000
KILL_GRACE_SECONDS = 5.0
_READ_SIZE = 64 * 1024

Stream = Literal["stdout", "stderr"]


def shell_command(command: str | Sequence[str]) -> str:
    """The command string that is approved and then run.

    An argv list becomes `shlex.join(argv)`, and *that string* is what the server scores,
    the verdict hashes and `/bin/sh -c` runs. Executing the list directly instead would run
    something else than what was approved in corner cases (`FOO=bar cmd` is an assignment
    to sh but a program name to execve; builtins; PATH lookup), so the shell runs it.
    """
    if isinstance(command, str):
        return command
    if isinstance(command, (bytes, bytearray)):
        raise GatehouseError("ERR_INVALID_ARGUMENT", "command must be str or a sequence of str, not bytes")
    argv = list(command)
    if not argv or not all(isinstance(arg, str) for arg in argv):
        raise GatehouseError("ERR_INVALID_ARGUMENT", "argv must be a non-empty sequence of str")
    return shlex.join(argv)


@dataclass(frozen=True)
class OutputChunk:
    #: Milliseconds since the command started.
    t: int
    stream: Stream
    data: str


@dataclass(frozen=True)
class RecordedOutput:
    chunks: tuple[OutputChunk, ...]
    truncated: bool

    def to_json(self) -> dict[str, object]:
        return {
            "chunks": [{"t": c.t, "stream": c.stream, "data": c.data} for c in self.chunks],
            "truncated": self.truncated,
        }


class Recorder:
    """Timestamped stdout/stderr chunks for `POST /v1/requests/:id/result`. Recording stops
    at `max_bytes`; it never cuts what the command writes, which is passed on untouched."""

    def __init__(self, started: float, max_bytes: int) -> None:
        self._started = started
        self._max = max_bytes
        self._lock = threading.Lock()
        # A character split across two reads must not become two replacement characters.
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in ("stdout", "stderr")
        }
        self._chunks: list[OutputChunk] = []
        self._bytes = 0
        self._truncated = False

    def write(self, stream: Stream, data: bytes) -> None:
        with self._lock:
            room = self._max - self._bytes
            if room <= 0 or len(self._chunks) >= MAX_RECORD_CHUNKS:
                self._truncated = True
                return
            piece = data[:room]
            if len(piece) < len(data):
                self._truncated = True
            self._bytes += len(piece)
            text = self._decoders[stream].decode(piece)
            if text:
                t = round((time.monotonic() - self._started) * 1000)
                self._chunks.append(OutputChunk(t, stream, text))

    def output(self) -> RecordedOutput:
        with self._lock:
            return RecordedOutput(tuple(self._chunks), self._truncated)


@dataclass(frozen=True)
class Execution:
    exit_code: int | None
    signal: str | None
    duration_ms: int
    timed_out: bool
    stdout: str | None = None
    stderr: str | None = None
    truncated: bool | None = None
    output: RecordedOutput | None = None
    spawn_error: str | None = None

    def report(self) -> dict[str, object]:
        """The body of `POST /v1/requests/:id/result`."""
        # A shell that never started ran nothing; -1 keeps the audit honest about it.
        exit_code = self.exit_code if self.exit_code is not None else (128 if self.signal else -1)
        body: dict[str, object] = {"exitCode": exit_code, "durationMs": self.duration_ms}
        if self.signal:
            body["signal"] = self.signal
        if self.output is not None:
            body["output"] = self.output.to_json()
        return body


class _Capture:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, data: bytes) -> None:
        room = self.limit - self.size
        if room <= 0:
            self.truncated = True
            return
        piece = data[:room]
        if len(piece) < len(data):
            self.truncated = True
        self.parts.append(piece)
        self.size += len(piece)

    def text(self) -> str:
        return b"".join(self.parts).decode("utf-8", errors="replace")


class _Sink:
    """Where one of the command's streams goes: the capture buffer, or on to our own
    stdout/stderr when recording an inherited stream; and the recorder."""

    def __init__(
        self, name: Stream, capture: _Capture | None, recorder: Recorder | None
    ) -> None:
        self.name = name
        self.capture = capture
        self.recorder = recorder

    def feed(self, data: bytes) -> None:
        if self.recorder is not None:
            self.recorder.write(self.name, data)
        if self.capture is not None:
            self.capture.add(data)
            return
        target: IO[str] = sys.stdout if self.name == "stdout" else sys.stderr
        buffer = getattr(target, "buffer", None)
        try:
            if buffer is not None:
                buffer.write(data)
                buffer.flush()
            else:
                target.write(data.decode("utf-8", errors="replace"))
                target.flush()
        except (OSError, ValueError):
            pass  # our own stdout went away; the command's run is not ours to break


def _pump(pipe: IO[bytes], sink: _Sink) -> threading.Thread:
    def run() -> None:
        with pipe:
            while data := os.read(pipe.fileno(), _READ_SIZE):
                sink.feed(data)

    thread = threading.Thread(target=run, name=f"gatehouse-{sink.name}", daemon=True)
    thread.start()
    return thread


def _signal_name(returncode: int) -> str | None:
    if returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"SIG{-returncode}"


def _kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def execute(
    command: str,
    *,
    cwd: str,
    env: Mapping[str, str] | None,
    timeout: float | None,
    capture: bool,
    max_output_bytes: int,
    record_bytes: int,
) -> Execution:
    started = time.monotonic()
    recorder = Recorder(started, record_bytes) if record_bytes > 0 else None
    piped = capture or recorder is not None
    try:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL if capture else None,
            stdout=subprocess.PIPE if piped else None,
            stderr=subprocess.PIPE if piped else None,
            # Its own process group, so a timeout stops the whole pipeline, not just sh.
            start_new_session=True,
        )
    except OSError as error:
        return Execution(None, None, 0, False, spawn_error=str(error))

    captures: dict[Stream, _Capture | None] = {
        "stdout": _Capture(max_output_bytes) if capture else None,
        "stderr": _Capture(max_output_bytes) if capture else None,
    }
    streams: tuple[tuple[Stream, IO[bytes] | None], ...] = (
        ("stdout", process.stdout),
        ("stderr", process.stderr),
    )
    readers = [
        _pump(pipe, _Sink(name, captures[name], recorder)) for name, pipe in streams if pipe is not None
    ]

    timed_out = False
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process.pid, signal.SIGTERM)
        try:
            process.wait(KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
    except BaseException:
        # Interrupted while the command runs (Ctrl-C): do not leave it running unattended.
        _kill_group(process.pid, signal.SIGKILL)
        raise
    for thread in readers:
        thread.join()
    return _finish(process.returncode, started, timed_out, captures, recorder)


async def execute_async(
    command: str,
    *,
    cwd: str,
    env: Mapping[str, str] | None,
    timeout: float | None,
    capture: bool,
    max_output_bytes: int,
    record_bytes: int,
) -> Execution:
    started = time.monotonic()
    recorder = Recorder(started, record_bytes) if record_bytes > 0 else None
    piped = capture or recorder is not None
    try:
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL if capture else None,
            stdout=subprocess.PIPE if piped else None,
            stderr=subprocess.PIPE if piped else None,
            start_new_session=True,
        )
    except OSError as error:
        return Execution(None, None, 0, False, spawn_error=str(error))

    captures: dict[Stream, _Capture | None] = {
        "stdout": _Capture(max_output_bytes) if capture else None,
        "stderr": _Capture(max_output_bytes) if capture else None,
    }

    async def pump(reader: asyncio.StreamReader | None, sink: _Sink) -> None:
        if reader is None:
            return
        while data := await reader.read(_READ_SIZE):
            sink.feed(data)

    pumps = asyncio.gather(
        pump(process.stdout, _Sink("stdout", captures["stdout"], recorder)),
        pump(process.stderr, _Sink("stderr", captures["stderr"], recorder)),
    )
    timed_out = False
    try:
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            timed_out = True
            _kill_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), KILL_GRACE_SECONDS)
            except asyncio.TimeoutError:
                _kill_group(process.pid, signal.SIGKILL)
                await process.wait()
        await pumps
    except BaseException:
        # Cancelled while the command runs: do not leave it running unattended.
        _kill_group(process.pid, signal.SIGKILL)
        pumps.cancel()
        raise
    return _finish(process.returncode or 0, started, timed_out, captures, recorder)


def _finish(
    returncode: int,
    started: float,
    timed_out: bool,
    captures: Mapping[Stream, _Capture | None],
    recorder: Recorder | None,
) -> Execution:
    out, err = captures["stdout"], captures["stderr"]
    signal_name = _signal_name(returncode)
    return Execution(
        exit_code=None if signal_name else returncode,
        signal=signal_name,
        duration_ms=round((time.monotonic() - started) * 1000),
        timed_out=timed_out,
        stdout=out.text() if out is not None else None,
        stderr=err.text() if err is not None else None,
        truncated=(out.truncated or err.truncated) if out is not None and err is not None else None,
        output=recorder.output() if recorder is not None else None,
    )
