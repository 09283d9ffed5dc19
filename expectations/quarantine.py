"""Containing bad raw data to the account-day that carries it.

When an ERROR rule fails on a raw partition, each account's landing files of that partition are validated alone.
If every failed ERROR rule is failed by some account alone, and at least one account of the day is clean, those
accounts' rows of that day are quarantined: the warehouse lists them (assets/warehouse.py, QUARANTINE_TABLE),
staging leaves them out (dbt_project/macros/raw.sql), and every other account builds and publishes. Otherwise
(a rule that only the accounts together break, or no clean account left) the partition is held back as a whole.
Decision and reasons: docs/decisions.md, "Quarantine".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from expectations.datasets import get_dataset
from expectations.runner import SuiteResult, validate_raw
from tiktok_api import landing


@dataclass(frozen=True)
class QuarantinedRule:
    """One ERROR rule that one account's rows of a day fail alone."""

    business_id: str
    rule_id: str
    offending_rows: int


def error_rules(results: Iterable[SuiteResult]) -> set[str]:
    """The ERROR rules that failed in these validations."""
    return {outcome.rule_id for result in results for outcome in result.errors}


def offenders(results: Mapping[str, SuiteResult], partition: date, data_dir: Path) -> list[QuarantinedRule]:
    """Every (account, ERROR rule) that the account's own rows of `partition` fail: each dataset whose whole-day
    validation failed an ERROR rule is validated again per account (so only a bad day costs anything)."""
    found: dict[tuple[str, str], int] = {}
    for dataset, result in sorted(results.items()):
        if not result.errors:
            continue
        stream = get_dataset(dataset).stream
        if stream is None:
            raise ValueError(f"{dataset} is a mart: only raw partitions are quarantined per account")
        for account in landing.partition_accounts(data_dir, stream, partition):
            alone = validate_raw(dataset, partition, data_dir=data_dir, build_docs=False, account=account)
            for outcome in alone.errors:
                key = (account, outcome.rule_id)
                found[key] = found.get(key, 0) + outcome.unexpected_count
    return [QuarantinedRule(account, rule_id, rows) for (account, rule_id), rows in sorted(found.items())]


def decide(
    failed_rules: set[str], accounts: set[str], offending: list[QuarantinedRule]
) -> list[QuarantinedRule] | None:
    """What to quarantine for a day: `offending` when it explains every failed ERROR rule and leaves at least one
    of the day's `accounts` clean; None when the day must be held back whole (nothing when nothing failed)."""
    if not failed_rules:
        return []
    explained = {entry.rule_id for entry in offending}
    bad_accounts = {entry.business_id for entry in offending}
    if not failed_rules <= explained or not accounts - bad_accounts:
        return None
    return offending


def quarantine_for(results: Mapping[str, SuiteResult], partition: date, data_dir: Path) -> list[QuarantinedRule] | None:
    """The quarantine of one raw partition validated as `results` (dataset -> result): see `decide`."""
    failed = error_rules(results.values())
    if not failed:
        return []
    streams = {get_dataset(dataset).stream for dataset in results}
    accounts = {a for stream in streams if stream for a in landing.partition_accounts(data_dir, stream, partition)}
    return decide(failed, accounts, offenders(results, partition, data_dir))
