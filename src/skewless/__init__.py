"""skewless: data contracts for machine-learning systems.

One YAML contract per dataset, enforced at the ETL gate, the inference endpoint and in CI.

    >>> import skewless
    >>> contract = skewless.load_contract("contracts/user_features.yaml")
    >>> report = contract.validate(df)
    >>> report.ok, report.counts
    >>> report.raise_for_violations()

`import skewless` stays light: pandas, pyarrow and pandera load only when a batch function runs.
"""

from skewless.contract import Column, Contract, TableChecks
from skewless.errors import (
    Code,
    ContractError,
    ContractErrorCode,
    EngineError,
    InputError,
    OutputError,
    SkewlessError,
    ViolationError,
)
from skewless.fuzz import fuzz
from skewless.gate import GateResult, gate, validate
from skewless.guard import guard
from skewless.loader import load_contract, loads_contract
from skewless.record import RecordResult, RecordValidator
from skewless.report import Report, Violation, escape

__version__ = "0.1.0"

__all__ = [
    "Code",
    "Column",
    "Contract",
    "ContractError",
    "ContractErrorCode",
    "EngineError",
    "GateResult",
    "InputError",
    "OutputError",
    "RecordResult",
    "RecordValidator",
    "Report",
    "SkewlessError",
    "TableChecks",
    "Violation",
    "ViolationError",
    "__version__",
    "escape",
    "fuzz",
    "gate",
    "guard",
    "load_contract",
    "loads_contract",
    "validate",
]
