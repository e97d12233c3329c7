"""The pytest plugin: `pytest --skewless-contracts contracts/` tests every contract it finds.

Loaded through the `pytest11` entry point whenever skewless is installed, and cheap to load:
it registers one option group and imports skewless (and hypothesis) only when the option is
given. Per contract file (a `.yaml` / `.yml` file, or every one in a directory), it collects:

- `valid records pass both paths`: records generated from the contract's bounds pass the
  record path and the batch engine alike;
- `every adversarial case gets its code`: each adversarial case (NUL, 4-byte UTF-8 under
  `charset: bmp`, lone surrogates, NaN, int64 bounds ± 1, naive and foreign datetimes, DST
  gaps and folds, near-miss categories, missing / extra / renamed columns, repeated JSON keys…)
  gets exactly its violation code, online and in batch.

Hypothesis runs under the project's active profile. For user targets, `@skewless.fuzz` (see
`skewless.fuzz`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("skewless", "skewless data contracts")
    group.addoption(
        "--skewless-contracts",
        action="append",
        default=[],
        metavar="PATH",
        help="contract files, or directories of them, to test (valid data passes both "
        "validators; every adversarial case gets its code). Repeatable.",
    )
    group.addoption(
        "--skewless-env",
        default="serving",
        choices=("training", "serving", "none"),
        help="the environment the contracts are tested in (default: serving)",
    )


def _contract_files(paths: list[str]) -> Iterator[Path]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    paths = config.getoption("--skewless-contracts")
    if not paths:
        return
    for path in _contract_files(paths):
        resolved = path.resolve()
        node = ContractFile.from_parent(session, path=resolved, nodeid=_shown(resolved, config))
        items.extend(node.collect())


def _shown(path: Path, config: pytest.Config) -> str:
    """A contract's node id: its path from the rootdir when under it, else as given."""
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


class ContractFile(pytest.File):
    """One contract: its checks as test items."""

    def collect(self) -> Iterator[pytest.Item]:
        from skewless.fuzz import CHECKS

        for name in CHECKS:
            yield ContractCheck.from_parent(self, name=name)


class ContractCheck(pytest.Item):
    def runtest(self) -> None:
        from skewless.fuzz import CHECKS
        from skewless.loader import load_contract

        option = self.config.getoption("--skewless-env")
        env: Any = None if option == "none" else option
        CHECKS[self.name](load_contract(self.path), env)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from skewless.errors import ContractError

        if isinstance(excinfo.value, ContractError):  # a contract that does not load
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name
