"""Shared fixtures and the hypothesis profiles (`dev` quick, `ci` thorough)."""

from __future__ import annotations

import importlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"


@contextmanager
def imported(directory: Path, module: str, *also: str) -> Iterator[Any]:
    """`module` imported from `directory`; the path and the modules (`also` too) removed after."""
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(module)
    finally:
        sys.path.remove(str(directory))
        for name in (module, *also):
            sys.modules.pop(name, None)


@pytest.fixture
def user_contract_path() -> Path:
    return CONTRACTS / "user_features.yaml"


@pytest.fixture
def user_contract(user_contract_path: Path):  # type: ignore[no-untyped-def]
    import skewless

    return skewless.load_contract(user_contract_path)


# --- a real PostgreSQL server, started for the session ----------------------------------------


def _postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's versioned dirs."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def _no_postgres(message: str) -> None:
    """Without a server the SQL tests cannot run: a failure in CI, a skip on a laptop."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server listening only on a unix socket in a private temp dir.

    initdb refuses to run as root, so as root the server runs as the `postgres` user. Yields a
    SQLAlchemy URL to an empty database; the server is stopped and its files removed at the end.
    """
    import sqlalchemy as sa

    bindir = _postgres_bin()
    if bindir is None:
        _no_postgres(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: apt-get install postgresql"
        )
        return
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _no_postgres("running as root, and there is no `postgres` user to run initdb as")
            return
        as_user = ["runuser", "-u", "postgres", "--"]
    # Under /tmp: the server user must reach it, and a unix socket path is limited to ~100 bytes.
    base = Path(tempfile.mkdtemp(prefix="skewless-pg-", dir="/tmp"))
    if as_user:
        shutil.chown(base, "postgres")
    data, port = base / "data", 5432  # no TCP: the port only names the socket in `base`

    def run(*args: str | Path) -> None:
        done = subprocess.run(
            [*as_user, *map(str, args)], cwd=base, capture_output=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(
                f"{Path(str(args[0])).name} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')}{tail}",
                pytrace=False,
            )

    try:
        initdb = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]
        run(bindir / "initdb", "-D", data, *initdb)
        server = f"-k {base} -c listen_addresses= -p {port} -c fsync=off"
        run(bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-o", server, "start")
        admin = sa.create_engine(
            f"postgresql+psycopg://postgres@/postgres?host={base}&port={port}",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE skewless_test"))
        admin.dispose()
        yield f"postgresql+psycopg://postgres@/skewless_test?host={base}&port={port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                cwd=base,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(base, ignore_errors=True)
