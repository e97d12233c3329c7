"""The real `skewless` command line in a subprocess, for tests that judge what users see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error_line(self) -> str:
        """The one diagnostic line on stderr."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        return lines[0]


def skewless_cli(*args: str | Path, cwd: Path, preexec: Callable[[], None] | None = None) -> Run:
    """Run `python -m skewless ARGS` in `cwd`; no output may ever hold a traceback.

    `preexec` runs in the child before it starts (a resource limit, say).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "dumb"
    done = subprocess.run(
        [sys.executable, "-m", "skewless", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
        preexec_fn=preexec,
    )
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out + err, out + err
    return Run(done.returncode, out, err)
