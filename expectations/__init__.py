"""The quality rule book: Great Expectations suites as reviewed files (`suites/`) and their runner.

Importing the package is cheap (the rules only); the runner (which imports Great Expectations) loads on first use:

    from expectations import RULES, validate_raw
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# before anything here imports Great Expectations: no usage statistics leave the machine
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from expectations.rules import RULES, SUITE_RULE_IDS, Rule

if TYPE_CHECKING:
    from expectations.datasets import DATASETS
    from expectations.runner import ExpectationOutcome, SuiteResult, validate_frame, validate_in_warehouse, validate_raw

__all__ = [
    "DATASETS",
    "RULES",
    "SUITE_RULE_IDS",
    "ExpectationOutcome",
    "Rule",
    "SuiteResult",
    "validate_frame",
    "validate_in_warehouse",
    "validate_raw",
]

_LAZY = {
    "DATASETS": "expectations.datasets",
    "ExpectationOutcome": "expectations.runner",
    "SuiteResult": "expectations.runner",
    "validate_frame": "expectations.runner",
    "validate_in_warehouse": "expectations.runner",
    "validate_raw": "expectations.runner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'expectations' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
