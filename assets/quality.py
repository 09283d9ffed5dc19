"""The rule book as Dagster asset checks: each Great Expectations suite runs on its asset, per partition.

One check per (asset, rule), with the rule's severity. ERROR rules are blocking: when one fails, the
assets downstream of the checked asset do not materialise in that run. Each result's metadata names the
rule, the offending row count, a sample of their keys and the Data Docs page.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from assets.catalog import file_link, runbook_link
from assets.partitions import daily_partitions
from assets.warehouse import WAREHOUSE_POOL, Warehouse
from expectations.datasets import DATASETS, suite_rule_ids
from expectations.rules import PARTITION_FRESH_WITHIN_48H, RULES
from tiktok_api.days import FRESHNESS_LOOKBACK_DAYS, STALE_AFTER, day_start, hours_late
from tiktok_api.settings import data_dir

if TYPE_CHECKING:
    from expectations.quarantine import QuarantinedRule
    from expectations.runner import ExpectationOutcome

# Raw suites validate the landing files of an asset; mart suites are named after their dbt model.
RAW_DATASET_ASSETS = {
    "raw_tiktok_account": "raw_tiktok_account",
    "raw_tiktok_account_audience": "raw_tiktok_account",
    "raw_tiktok_videos": "raw_tiktok_videos",
    "raw_tiktok_video_breakdowns": "raw_tiktok_videos",
}


def asset_of(dataset: str) -> str:
    return RAW_DATASET_ASSETS.get(dataset, dataset)


def rules_by_asset() -> dict[str, dict[str, list[str]]]:
    """asset -> rule_id -> the datasets whose suites check that rule on it (from the reviewed suite files)."""
    plan: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for dataset in DATASETS:
        for rule_id in suite_rule_ids(dataset):  # read from the suite files, without importing GX
            if dataset not in plan[asset_of(dataset)][rule_id]:
                plan[asset_of(dataset)][rule_id].append(dataset)
    return plan


def check_result(
    rule_id: str,
    outcomes: "list[tuple[str, ExpectationOutcome]]",
    docs: list[str],
    quarantined: "Mapping[str, list[QuarantinedRule]] | None" = None,
) -> dg.AssetCheckResult:
    """One rule's result over the partitions validated: (partition, outcome) pairs of its expectations.

    `quarantined` (partition -> what was quarantined there) contains an ERROR rule when every partition it failed
    in quarantined the accounts that fail it: the check then fails without blocking (Dagster blocks downstream
    assets on ERROR severity only), its metadata keeps the rule's ERROR severity and names the account-days.
    """
    rule = RULES[rule_id]
    failed = [(partition, o) for partition, o in outcomes if not o.success]
    offending = sum(o.unexpected_count for _, o in failed)
    samples = [
        f"{partition} " + ", ".join(f"{k}={v}" for k, v in key.items())
        for partition, o in failed
        for key in o.sample_keys
    ][:10]
    errors = [o.exception for _, o in failed if o.exception]
    held_out = {
        partition: sorted(e.business_id for e in (quarantined or {}).get(partition, []) if e.rule_id == rule_id)
        for partition in {p for p, _ in failed}
    }
    contained = bool(failed) and rule.severity == "ERROR" and all(held_out.values())
    account_days = [f"{day} account={account}" for day, accounts in sorted(held_out.items()) for account in accounts]
    description = None if not failed else f"{rule.title}: {offending} offending row(s)."
    if contained:
        description = (
            f"{rule.title}: {offending} offending row(s), all in the rows of {', '.join(account_days)}. Those "
            "account-days are quarantined (left out of the marts, listed in tiktok_quarantine.account_days); "
            "every other account builds."
        )
    return dg.AssetCheckResult(
        check_name=rule_id,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR
        if rule.severity == "ERROR" and not contained
        else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            **({"quarantined": dg.MetadataValue.json(account_days)} if contained else {}),
            "rule_id": rule_id,
            "severity": rule.severity,
            "offending_count": offending,
            "sample_keys": dg.MetadataValue.json(samples),
            "runbook": runbook_link(rule_id),
            "data_docs": file_link(docs[-1]) if docs else "not built",
            "expectations": len(outcomes),
            **({"evaluation_errors": dg.MetadataValue.json(errors)} if errors else {}),
        },
    )


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    checks = []
    for asset, rules in sorted(rules_by_asset().items()):
        specs = [
            dg.AssetCheckSpec(
                rule_id,
                asset=asset,
                description=f"{RULES[rule_id].title} ({RULES[rule_id].severity}; {RULES[rule_id].runbook})",
                blocking=RULES[rule_id].severity == "ERROR",
                partitions_def=daily_partitions,
            )
            for rule_id in sorted(rules)
        ]
        # raw checks write the quarantine into the warehouse, mart checks read it: both in its pool
        checks.append(_suite_check(asset, rules, specs, pool=WAREHOUSE_POOL))
    return checks


def _suite_check(
    asset: str, rules: dict[str, list[str]], specs: list[dg.AssetCheckSpec], pool: str | None
) -> dg.AssetChecksDefinition:
    datasets = sorted({d for ds in rules.values() for d in ds})

    @dg.multi_asset_check(
        name=f"quality_{asset}",
        specs=specs,
        can_subset=True,
        pool=pool,
        description=f"Great Expectations suites {', '.join(datasets)} on {asset}, one partition at a time.",
    )
    def quality_check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> Iterator[dg.AssetCheckResult]:
        # GX loads only where checks run, not at load
        from expectations.quarantine import quarantine_for
        from expectations.runner import validate_raw

        selected = {key.name for key in context.selected_asset_check_keys}
        outcomes: dict[str, list[tuple[str, ExpectationOutcome]]] = defaultdict(list)
        quarantined: dict[str, list[QuarantinedRule]] = {}
        docs: list[str] = []
        is_raw = asset.startswith("raw_")
        # One partition at a time (a backfill range too), so memory stays bounded whatever the range.
        for key in context.partition_keys:
            partition = date.fromisoformat(key)
            results = {}
            for dataset in datasets:
                if is_raw:
                    result = validate_raw(dataset, partition, data_dir=data_dir())
                else:
                    result = warehouse.validate_mart(dataset, partition)
                results[dataset] = result
                if result.docs_page:
                    docs.append(str(result.docs_page))
                for outcome in result.expectations:
                    outcomes[outcome.rule_id].append((key, outcome))
                context.log.info(
                    f"{dataset} {key}: {result.row_count} rows, "
                    + ("all expectations met" if result.success else f"failed rules {result.failed_rules()}")
                )
            if is_raw:
                entries = quarantine_for(results, partition, data_dir())
                if entries is None:
                    context.log.warning(
                        f"{asset} {key}: an ERROR rule fails beyond single accounts: the day is held back"
                    )
                quarantined[key] = entries or []
                warehouse.record_quarantine(
                    asset, partition, [(e.business_id, e.rule_id, e.offending_rows) for e in quarantined[key]]
                )
                for entry in quarantined[key]:
                    context.log.warning(
                        f"{asset} {key}: account {entry.business_id} fails {entry.rule_id} "
                        f"({entry.offending_rows} rows): its rows of the day are quarantined"
                    )
        for rule_id in sorted(rules):
            if rule_id in selected:
                yield check_result(rule_id, outcomes[rule_id], docs, quarantined)

    return quality_check


quality_checks = build_quality_checks()


# ---------------------------------------------------------------- freshness

FRESHNESS_CHECK = PARTITION_FRESH_WITHIN_48H
FRESHNESS_CLOCK_TAG = "tiktok/freshness_evaluated_at"
"""A run tag (ISO-8601 time) the freshness check judges at instead of the wall clock: the schedule sets its tick's
time, so a delayed run judges the moment it was due, and tests drive the clock."""


def freshness_evaluation_time(tags: Mapping[str, str]) -> datetime:
    """The time the freshness check judges at: the run's FRESHNESS_CLOCK_TAG, else now (a run launched by hand)."""
    value = tags.get(FRESHNESS_CLOCK_TAG)
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"run tag {FRESHNESS_CLOCK_TAG}={value!r} is not an ISO-8601 time") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def late_partitions(now: datetime, landed: set[str], first_partition: date) -> dict[str, float]:
    """Days of the last week that are published for certain and have not landed: how many hours late."""
    late = {}
    today = now.astimezone(UTC).date()
    for back in range(FRESHNESS_LOOKBACK_DAYS):
        day = today - timedelta(days=back + 1)
        if day < first_partition:
            break
        if hours_late(day, now) > 0 and day.isoformat() not in landed:
            late[day.isoformat()] = round((now - day_start(day)).total_seconds() / 3600 - 24, 1)
    return late


def freshness_severity(late: dict[str, float]) -> str:
    """ERROR once a day is STALE_AFTER past its end (a whole daily run missed), else WARN."""
    stale_hours = STALE_AFTER.total_seconds() / 3600
    return "ERROR" if max(late.values(), default=0.0) > stale_hours else "WARN"


@dg.asset_check(
    asset="raw_tiktok_account",
    name=FRESHNESS_CHECK,
    description=f"{RULES[FRESHNESS_CHECK].title}: WARN once a day is late, ERROR once it is stale. "
    f"{RULES[FRESHNESS_CHECK].runbook}",
)
def raw_partitions_fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    landed = context.instance.get_materialized_partitions(dg.AssetKey("raw_tiktok_account"))
    now = freshness_evaluation_time(context.run.tags)
    late = late_partitions(now, set(landed), daily_partitions.start.date())
    severity = freshness_severity(late)
    worst = max(late.values(), default=0.0)
    return dg.AssetCheckResult(
        passed=not late,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=None
        if not late
        else f"{len(late)} published day(s) have not landed; the oldest ended {worst} h ago.",
        metadata={
            "rule_id": FRESHNESS_CHECK,
            "severity": severity,
            "evaluated_at": now.isoformat(),
            "offending_count": len(late),
            "sample_keys": dg.MetadataValue.json(sorted(late)),
            "hours_late": dg.MetadataValue.json(late),
            "runbook": runbook_link(FRESHNESS_CHECK),
        },
    )
