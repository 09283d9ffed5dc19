"""The team's configuration files in the warehouse, before dbt: accounts.csv and labels.csv under $TIKTOK_DATA_DIR.

Thin glue over tiktok_api/team_config.py: read both files, write their valid lines into tiktok_config.account_settings
and tiktok_config.post_labels (replacing what an earlier run loaded), and report every line that could not be read
in the WARN check config_lines_valid, one line each: a bad line is skipped, every good line still loads. One asset per
file (dbt maps each source table to one asset), both written by one step. Once dbt has built the label marts, the WARN
check labels_match_posts names every label line that labels no post.
"""
# No `from __future__ import annotations`: Dagster reads the context annotations at runtime.

import dataclasses
from collections.abc import Iterator

import dagster as dg

from assets.catalog import ASSET_OWNERS, runbook_link
from assets.partitions import daily_partitions
from assets.warehouse import ACCOUNT_SETTINGS_TABLE, MARTS_SCHEMA, POST_LABELS_TABLE, WAREHOUSE_POOL, Warehouse
from expectations.rules import CONFIG_LINES_VALID, LABELS_MATCH_POSTS, RULES
from tiktok_api import team_config
from tiktok_api.settings import data_dir

CONFIG_GROUP = "tiktok_config"


def lines_result(
    rule_id: str, offenders: list[str], keys: list[str], listed_as: str, summary: str, asset: str | None = None
) -> dg.AssetCheckResult:
    """A WARN rule on the team's files: passed when no line offends, else each offending line named (`offenders`,
    under the metadata key `listed_as`), with the rule's metadata the alerts read and the first ten line `keys`."""
    return dg.AssetCheckResult(
        **({"asset_key": asset} if asset else {}),
        check_name=rule_id,
        passed=not offenders,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if not offenders else f"{len(offenders)} {summary}: " + "; ".join(offenders),
        metadata={
            "rule_id": rule_id,
            "severity": RULES[rule_id].severity,
            "offending_count": len(offenders),
            "sample_keys": dg.MetadataValue.json(keys[:10]),
            listed_as: dg.MetadataValue.json(offenders),
            "runbook": runbook_link(rule_id),
        },
    )


def bad_lines_result(problems: list[team_config.BadLine], asset: str) -> dg.AssetCheckResult:
    """config_lines_valid on `asset`: WARN naming each line of its file that was skipped (line, reason, the line)."""
    named = [str(problem) for problem in problems]
    keys = [f"{p.file} line {p.line}" for p in problems]
    return lines_result(CONFIG_LINES_VALID, named, keys, "bad_lines", "line(s) skipped", asset=asset)


ACCOUNT_SETTINGS_ASSET = "tiktok_account_settings"
POST_LABELS_ASSET = "tiktok_post_labels"
FILE_OF_ASSET = {ACCOUNT_SETTINGS_ASSET: team_config.ACCOUNTS_FILE, POST_LABELS_ASSET: team_config.LABELS_FILE}


def _check_spec(asset: str) -> dg.AssetCheckSpec:
    rule = RULES[CONFIG_LINES_VALID]
    return dg.AssetCheckSpec(
        CONFIG_LINES_VALID,
        asset=asset,
        description=f"{rule.title} ({rule.severity}; {rule.runbook}): each skipped line of {FILE_OF_ASSET[asset]} "
        "is named.",
    )


@dg.multi_asset(
    name="tiktok_team_config",
    specs=[
        dg.AssetSpec(
            ACCOUNT_SETTINGS_ASSET,
            group_name=CONFIG_GROUP,
            kinds={"python", "csv", Warehouse.from_env().asset_kind},
            owners=ASSET_OWNERS,
            description=(
                f"{team_config.ACCOUNTS_FILE} under $TIKTOK_DATA_DIR (optional): each account's IANA time zone and "
                f"TikTok business category, its valid lines in {ACCOUNT_SETTINGS_TABLE}. The file as it is now, "
                "whatever the partition: every run replaces the table; a bad line is skipped and named by the WARN "
                "check config_lines_valid. dbt reads the table as source('tiktok_config', 'account_settings')."
            ),
        ),
        dg.AssetSpec(
            POST_LABELS_ASSET,
            group_name=CONFIG_GROUP,
            kinds={"python", "csv", Warehouse.from_env().asset_kind},
            owners=ASSET_OWNERS,
            description=(
                f"{team_config.LABELS_FILE} under $TIKTOK_DATA_DIR (optional): labels by post id or URL, #hashtag "
                f"or caption pattern, its valid lines in {POST_LABELS_TABLE}. The file as it is now, whatever the "
                "partition: every run replaces the table; a bad line is skipped and named by the WARN check "
                "config_lines_valid. dbt reads the table as source('tiktok_config', 'post_labels')."
            ),
        ),
    ],
    check_specs=[_check_spec(ACCOUNT_SETTINGS_ASSET), _check_spec(POST_LABELS_ASSET)],
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def tiktok_team_config(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[dg.MaterializeResult]:
    folder = data_dir()
    config = team_config.read_team_config(folder)
    # both tables in one transaction, whichever of the two assets a run selects: they are one load of the folder
    warehouse.replace_team_config(
        [dataclasses.asdict(row) for row in config.accounts],
        [{**dataclasses.asdict(row), "line_number": row.line} for row in config.labels],
    )
    for problem in config.problems:
        context.log.warning(f"skipped {problem}")
    context.log.info(
        f"team config from {folder}: {len(config.accounts)} account setting(s), {len(config.labels)} label line(s), "
        f"{len(config.problems)} line(s) skipped"
    )
    loaded = {ACCOUNT_SETTINGS_ASSET: len(config.accounts), POST_LABELS_ASSET: len(config.labels)}
    tables = {ACCOUNT_SETTINGS_ASSET: ACCOUNT_SETTINGS_TABLE, POST_LABELS_ASSET: POST_LABELS_TABLE}
    for key in sorted(context.selected_asset_keys):
        asset = key.to_user_string()
        name = FILE_OF_ASSET[asset]
        problems = [problem for problem in config.problems if problem.file == name]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "lines_loaded": loaded[asset],
                "lines_skipped": len(problems),
                "file": str(folder / name) if config.files[name] else "absent",
                "table": f"{tables[asset]} on {warehouse.describe()}",
            },
            check_results=[bad_lines_result(problems, asset)],
        )


LABEL_LINES_MART = "dim_tiktok_label_lines"
UNMATCHED_LABEL_LINES_SQL = (
    f"select line_number, match_value, label from {MARTS_SCHEMA}.{LABEL_LINES_MART} "
    "where posts_matched = 0 order by line_number"
)


def unmatched_lines_result(unmatched: list[tuple[int, str, str]]) -> dg.AssetCheckResult:
    """labels_match_posts: WARN naming each label line (line number, match, label) that labels no post."""
    named = [
        f"{team_config.LABELS_FILE} line {line}: {match!r} (label {label!r}) matches no post"
        for line, match, label in unmatched
    ]
    keys = [f"{team_config.LABELS_FILE} line {line}" for line, *_ in unmatched]
    return lines_result(LABELS_MATCH_POSTS, named, keys, "unmatched_lines", "label line(s) label no post")


@dg.asset_check(
    asset=LABEL_LINES_MART,
    name=LABELS_MATCH_POSTS,
    pool=WAREHOUSE_POOL,
    description=f"{RULES[LABELS_MATCH_POSTS].title} ({RULES[LABELS_MATCH_POSTS].severity}; "
    f"{RULES[LABELS_MATCH_POSTS].runbook}): each line of {team_config.LABELS_FILE} that labels no post is named.",
)
def labels_match_posts(warehouse: Warehouse) -> dg.AssetCheckResult:
    frame = warehouse.read_marts({"unmatched": UNMATCHED_LABEL_LINES_SQL})["unmatched"]
    return unmatched_lines_result(
        [(int(row.line_number), str(row.match_value), str(row.label)) for row in frame.itertuples(index=False)]
    )
