"""The layout of docs/architecture.md holds: imports point one way, and each shared fact has one home.

These read the source, so a second copy of a fact (a rule id, the landing path, the publication lag, a raw type)
or a branch on the warehouse kind outside the warehouse resource fails here before it can drift.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from expectations.rules import RULES

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("tiktok_api", "assets", "expectations", "orchestration", "benchmarks")


def modules(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (REPO / package).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


# The simulator breaks the rule book's rules on demand, so it reads their ids (expectations/rules.py only).
SIMULATOR_READS_RULES = {"tiktok_api/simulator/breakage.py": {"expectations"}}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("tiktok_api", {"dagster", "dagster_dbt", "assets", "orchestration", "expectations"}),
        ("expectations", {"dagster", "dagster_dbt", "assets", "orchestration"}),
        ("assets", {"orchestration"}),
    ],
)
def test_imports_point_one_way(package: str, forbidden: set[str]):
    wrong = {}
    for path in modules(package):
        allowed = SIMULATOR_READS_RULES.get(relative(path), set())
        bad = {name for name in imported(path) if top(name) in forbidden - allowed}
        if bad:
            wrong[relative(path)] = sorted(bad)
    assert wrong == {}
    assert imported(REPO / "tiktok_api/simulator/breakage.py") & {"expectations", "expectations.rules"}


def occurrences(pattern: str, paths: list[Path]) -> dict[str, int]:
    found = {}
    for path in paths:
        count = len(re.findall(pattern, path.read_text(encoding="utf-8")))
        if count:
            found[relative(path)] = count
    return found


def sql_files() -> list[Path]:
    project = REPO / "dbt_project"
    return sorted(
        p for folder in ("models", "macros", "tests") for p in (project / folder).rglob("*.s*") if p.is_file()
    )


def test_rule_ids_live_in_the_registry_only():
    pattern = "[\"'](" + "|".join(map(re.escape, RULES)) + ")[\"']"
    assert set(occurrences(pattern, modules(*PACKAGES))) == {"expectations/rules.py"}


def test_the_landing_layout_lives_in_tiktok_api_landing():
    # generated from it: dbt_project/macros/raw_schema.sql (checked by tests/tiktok_api/test_raw_schema.py)
    pattern = r"raw/tiktok|[\"']date=|[\"']account=|\[0-9\]\*"
    found = occurrences(pattern, modules(*PACKAGES) + sql_files())
    assert set(found) == {"tiktok_api/landing.py", "dbt_project/macros/raw_schema.sql"}


def test_the_publication_lag_lives_in_the_contract_and_the_calendar():
    pattern = r"\b(?:24|48|72)\s?h\b|hours=\d|24-48|\bPUBLISHED_AFTER\b"
    found = occurrences(pattern, modules(*PACKAGES))
    # the contract states the API's lag, the calendar derives the windows from it; benchmarks/runner.py speaks of
    # the access token's 24 h lifetime, not of the lag
    assert set(found) <= {"tiktok_api/contract.py", "tiktok_api/days.py", "benchmarks/runner.py"}, found
    assert "PUBLICATION_LAG_MAX_HOURS = 48" in (REPO / "tiktok_api/contract.py").read_text()


def test_raw_field_types_live_in_the_raw_schema():
    pattern = r"STRUCT\(|\b(?:VARCHAR|BIGINT)\b"
    found = occurrences(pattern, modules(*PACKAGES) + sql_files())
    # raw.sql maps the schema's type names to DuckDB's; raw_schema.sql is generated from the schema; custom.py
    # names DuckDB's numeric types to read a column's typeof(), which is no raw field
    assert set(found) <= {"tiktok_api/raw_schema.py", "dbt_project/macros/raw.sql", "expectations/custom.py"}, found


def test_only_the_warehouse_resource_asks_which_warehouse_it_is():
    pattern = r"[\"'](?:duckdb|postgres)[\"']\s*(?:==|!=|\bin\b)|(?:==|!=)\s*[\"'](?:duckdb|postgres)[\"']"
    found = occurrences(pattern, modules(*PACKAGES))
    assert set(found) == {"assets/warehouse.py"}, found
    # `.kind` is the warehouse's kind, but for the rule book's own: a rule's kind (data_quality or performance) and
    # its alert's
    found = occurrences(r"\.kind\b", modules(*PACKAGES))
    assert set(found) == {"assets/warehouse.py", "expectations/rules.py", "expectations/alerts.py"}, found
