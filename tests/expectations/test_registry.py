"""The rule registry is the one answer per rule: every (asset, rule) it names has exactly one implementation, in
the engine it names, with its severity; nothing implements a rule it does not name; the runbook agrees."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from assets.dbt import DBT_STEPS
from assets.quality import asset_of
from expectations.datasets import DATASETS, suite_rule_ids
from expectations.rules import (
    DAGSTER,
    DBT,
    ENGINES,
    FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE,
    FOLLOWER_TOTAL_RELATIVE_TOLERANCE,
    FOLLOWERS_TOTAL_MATCHES_PROFILE,
    GX,
    RULES,
    implementations,
)
from orchestration.definitions import defs
from tiktok_api.settings import REPO_ROOT

RUNBOOK = REPO_ROOT / "docs" / "runbook.md"


def _check_specs() -> Iterator[tuple[str, dg.AssetCheckSpec]]:
    """(engine, spec) of every asset check of the code location."""
    for definition in [*defs.assets, *defs.asset_checks]:  # type: ignore[misc]
        for spec in definition.check_specs:
            if definition in DBT_STEPS:
                yield DBT, spec
            elif str(getattr(definition, "node_def", None) and definition.node_def.name).startswith("quality_"):
                yield GX, spec
            else:
                yield DAGSTER, spec


def _rule_of(engine: str, spec: dg.AssetCheckSpec) -> str:
    return str(spec.metadata.get("rule_id")) if engine == DBT else spec.name


def test_every_asset_check_is_the_one_implementation_the_registry_names() -> None:
    found = Counter()
    for engine, spec in _check_specs():
        rule_id = _rule_of(engine, spec)
        assert rule_id in RULES, f"check {spec.name} on {spec.asset_key.to_user_string()} names no rule ({engine})"
        found[(spec.asset_key.to_user_string(), rule_id, engine)] += 1
    implemented = set(found)
    expected = {(asset, rule_id, engine) for engine in ENGINES for asset, rule_id in implementations(engine)}
    assert implemented - expected == set(), "checks the registry does not name"
    assert expected - implemented == set(), "registry entries without a check"
    assert [key for key, count in found.items() if count > 1] == [], "a rule implemented twice on one asset"
    per_asset_rule = Counter((asset, rule_id) for asset, rule_id, _ in implemented)
    assert [key for key, count in per_asset_rule.items() if count > 1] == [], "a rule in two engines on one asset"


def test_each_check_carries_its_rules_severity() -> None:
    for engine, spec in _check_specs():
        rule = RULES[_rule_of(engine, spec)]
        where = f"{spec.name} on {spec.asset_key.to_user_string()}"
        if engine == DBT:
            assert spec.metadata["severity"] == rule.severity, where
            assert spec.name == f"{_rule_of(engine, spec)}__{spec.asset_key.path[-1]}", where
            assert f"({rule.severity})" in (spec.description or ""), where
        if engine == GX:
            assert spec.blocking == (rule.severity == "ERROR"), where


def test_the_gx_suites_of_an_asset_hold_exactly_its_gx_rules() -> None:
    by_suites = {(asset_of(dataset), rule_id) for dataset in DATASETS for rule_id in suite_rule_ids(dataset)}
    assert by_suites == implementations(GX)


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_expectation_carries_its_rules_gx_severity(dataset: str) -> None:
    import json

    from expectations.datasets import suite_path

    for expectation in json.loads(suite_path(dataset).read_text())["expectations"]:
        rule = RULES[expectation["meta"]["rule_id"]]
        assert expectation.get("severity") == rule.gx_severity, (dataset, expectation["type"])


def test_the_follower_total_tolerance_is_the_registrys_in_the_dataset_and_the_runbook() -> None:
    from expectations.datasets import partition_sql

    sql = partition_sql("fct_tiktok_account_daily", date(2026, 11, 12))
    assert f"greatest({FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE}, {FOLLOWER_TOTAL_RELATIVE_TOLERANCE}" in sql
    section = _runbook_sections()[FOLLOWERS_TOTAL_MATCHES_PROFILE]
    assert f"max({FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE}, {FOLLOWER_TOTAL_RELATIVE_TOLERANCE:.1%}" in section


def _runbook_sections(path: Path = RUNBOOK) -> dict[str, str]:
    """rule id -> the text of its runbook section (from its anchor to the next one)."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(r'<a id="([a-z0-9-]+)"></a>', text)
    return {anchor.replace("-", "_"): body for anchor, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_runbook_states_the_registrys_severity_and_engines(rule_id: str) -> None:
    rule = RULES[rule_id]
    section = _runbook_sections()[rule_id]
    severity = re.search(r"\*\*Severity\.\*\* (ERROR|WARN)", section)
    assert severity and severity.group(1) == rule.severity, f"{rule_id}: the runbook says {severity and severity[1]}"
    for asset in rule.checks:
        assert f"`{asset}`" in section, f"{rule_id}: the runbook does not name {asset}"
