"""Rerun every `$ skewless ...` example in docs/cli.md and write back its output.

Run after a change to what the CLI prints; tests/test_cli.py checks the examples are real.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"


def refresh(block: str) -> str:
    out = []
    for command in re.split(r"^(?=\$ skewless )", block, flags=re.M):
        if not command.startswith("$ skewless "):
            out.append(command)
            continue
        first, *lines = command.splitlines()
        echo = len(lines) >= 2 and lines[-2] == "$ echo $?"
        argv = first.removeprefix("$ skewless ").split()
        run = subprocess.run(
            [sys.executable, "-m", "skewless", *argv], cwd=ROOT, capture_output=True, text=True
        )
        shown = [line.rstrip() for line in (run.stderr + run.stdout).splitlines()]
        if echo:
            shown += ["$ echo $?", str(run.returncode)]
        out.append("\n".join([first, *shown]) + "\n")
    return "".join(out)


def main() -> None:
    doc = DOC.read_text(encoding="utf-8")
    doc = re.sub(
        r"(```console\n)(.*?)(```)",
        lambda m: m.group(1) + refresh(m.group(2)) + m.group(3),
        doc,
        flags=re.S,
    )
    DOC.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
