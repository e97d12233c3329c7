"""A real uvicorn server in a subprocess on a free loopback port, for the tests that need one."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    log: IO[bytes]

    def output(self, tail: int = 8000) -> str:
        """What the server wrote so far (its last `tail` characters): tracebacks of a 500."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-tail:]


@contextlib.contextmanager
def serve(app_dir: Path, app: str, *, ready: str = "/health") -> Iterator[Server]:
    """`python -m uvicorn --app-dir APP_DIR APP` on 127.0.0.1, as `make serve` runs it; yields
    it once `ready` answers 2xx, and stops it at the end. Its output goes to a file, not a pipe:
    a pipe nobody reads would block a server that logs a lot."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), app,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", log)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(server.url + ready, timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        message = f"the service did not start: {server.output()}"
                        raise AssertionError(message) from None
                    time.sleep(0.1)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
