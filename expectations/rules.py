"""The quality rule book: every rule the checks enforce, its severity, where it is checked and its runbook entry.

This registry is the one home of the rule ids. The suites (`expectations/suites/*.json`, whose expectations
carry the id in their `meta`), the dbt tests, the alerts, the simulator's `break=` switches and the runbook
(`docs/runbook.md#<rule-id-with-hyphens>`) are checked against it by tests. ERROR blocks downstream assets;
WARN is reported and alerts, but does not block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tiktok_api import contract

Severity = Literal["ERROR", "WARN"]

ERROR: Severity = "ERROR"
WARN: Severity = "WARN"

SHARE_IN_UNIT_INTERVAL = "share_in_unit_interval"
DISTRIBUTION_SUMS_TO_ONE = "distribution_sums_to_one"
TOP_LIST_SUMS_AT_MOST_ONE = "top_list_sums_at_most_one"
AUDIENCE_NEEDS_100_FOLLOWERS = "audience_needs_100_followers"
FOLLOWER_NET_IS_NEW_MINUS_LOST = "follower_net_is_new_minus_lost"
FOLLOWER_TOTAL_MOVES_BY_NET = "follower_total_moves_by_net"
COUNTS_NOT_NEGATIVE = "counts_not_negative"
REACH_WITHIN_VIEWS = "reach_within_views"
KEYS_UNIQUE_NOT_NULL = "keys_unique_not_null"
LIFETIME_COUNTERS_DO_NOT_FALL = "lifetime_counters_do_not_fall"
RETENTION_DOES_NOT_RISE = "retention_does_not_rise"
PARTITION_FRESH_WITHIN_48H = "partition_fresh_within_48h"
ALL_ACCOUNTS_FETCHED = "all_accounts_fetched"

RUNBOOK = "docs/runbook.md"
# Failed checks whose rule has no section of its own (e.g. a dbt test added later) point here.
FALLBACK_ANCHOR = "other-failed-checks"

# GX's own severity field (critical / warning / info) mirrors ours in every suite file.
GX_SEVERITY: dict[str, str] = {ERROR: "critical", WARN: "warning"}


@dataclass(frozen=True)
class Rule:
    title: str
    severity: Severity
    runbook: str
    meaning: str
    datasets: tuple[str, ...]
    """Where the rule is checked: the suite datasets (expectations/datasets.py) or the assets of its check."""

    @property
    def gx_severity(self) -> str:
        return GX_SEVERITY[self.severity]


def runbook_anchor(rule_id: str) -> str:
    """The runbook section of a rule: its id with hyphens, as the section's anchor; unknown rules share one."""
    return rule_id.replace("_", "-") if rule_id in RULES else FALLBACK_ANCHOR


def runbook_url(rule_id: str) -> str:
    """`docs/runbook.md#<anchor>` of a rule."""
    return f"{RUNBOOK}#{runbook_anchor(rule_id)}"


def _rule(rule_id: str, title: str, severity: Severity, datasets: tuple[str, ...], meaning: str) -> tuple[str, Rule]:
    runbook = f"{RUNBOOK}#{rule_id.replace('_', '-')}"
    return rule_id, Rule(title=title, severity=severity, runbook=runbook, meaning=meaning, datasets=datasets)


_RAW_ACCOUNT = ("raw_tiktok_account", "raw_tiktok_account_audience")
_RAW_VIDEOS = ("raw_tiktok_videos", "raw_tiktok_video_breakdowns")
_RAW_ASSETS = ("raw_tiktok_account", "raw_tiktok_videos", "raw_tiktok_comments")


RULES: dict[str, Rule] = dict(
    [
        _rule(
            SHARE_IN_UNIT_INTERVAL,
            "Every percentage and rate is within [0, 1]",
            ERROR,
            (
                "raw_tiktok_account_audience",
                *_RAW_VIDEOS,
                "fct_tiktok_account_audience",
                "fct_tiktok_video_daily",
                "fct_tiktok_video_audience",
                "fct_tiktok_video_retention",
                "fct_tiktok_audience_activity_hourly",
            ),
            "A share or rate (completion rate, impression sources, audience shares, retention and likes curves) is "
            "outside [0, 1]: the API sent a percentage on another scale (0-100) or a parser/cast went wrong.",
        ),
        _rule(
            DISTRIBUTION_SUMS_TO_ONE,
            "Complete distributions sum to 1 (within 0.01)",
            ERROR,
            ("fct_tiktok_account_audience", "fct_tiktok_video_audience"),
            "The shares of a complete distribution (genders, ages, NEW+RETURN viewers, FOLLOWER+NON_FOLLOWER, "
            "impression sources) of one account or post snapshot do not add up to 1 within 0.01: buckets are missing, "
            "duplicated, or mixed from two fetches.",
        ),
        _rule(
            TOP_LIST_SUMS_AT_MOST_ONE,
            "Top-10 lists sum to at most 1 (+0.01)",
            ERROR,
            ("fct_tiktok_account_audience", "fct_tiktok_video_audience"),
            "The shares of a top-10 list (countries, cities) of one account or post snapshot add up to more than "
            "1.01: entries are duplicated or mixed from two fetches.",
        ),
        _rule(
            AUDIENCE_NEEDS_100_FOLLOWERS,
            "Audience data only for accounts with at least 100 followers",
            ERROR,
            ("raw_tiktok_account_audience", "dim_tiktok_accounts", "fct_tiktok_account_audience"),
            "TikTok gives audience breakdowns only from 100 followers on; audience rows for an account under 100 "
            "followers (or a dim row with audience data but not eligible) contradict the source or the "
            "eligibility flag.",
        ),
        _rule(
            FOLLOWER_NET_IS_NEW_MINUS_LOST,
            "Daily net followers = new - lost",
            ERROR,
            ("fct_tiktok_account_daily",),
            "The reported daily net follower growth differs from new_followers - lost_followers for an account-day: "
            "the API revised one field and not the other, or columns were mapped to the wrong fields.",
        ),
        _rule(
            FOLLOWER_TOTAL_MOVES_BY_NET,
            "Follower totals move by about the net",
            WARN,
            ("fct_tiktok_account_daily",),
            "total(D) - total(D-1) differs from net(D) by more than max(5, 2% of the total): a day is missing or "
            "revised, or the per-day followers_count is not the end-of-day total (see docs/decisions.md).",
        ),
        _rule(
            COUNTS_NOT_NEGATIVE,
            "Counts are never negative",
            ERROR,
            (
                "raw_tiktok_account",
                "raw_tiktok_videos",
                "fct_tiktok_account_daily",
                "dim_tiktok_accounts",
                "fct_tiktok_video_daily",
                "fct_tiktok_audience_activity_hourly",
                "fct_tiktok_comments",
            ),
            "A count (views, likes, comments, shares, followers, clicks, watch time) is below 0: a parsing error, "
            "an overflow, or a difference computed where a count was expected.",
        ),
        _rule(
            REACH_WITHIN_VIEWS,
            "Reach and unique views never exceed views",
            ERROR,
            ("raw_tiktok_account", "raw_tiktok_videos", "fct_tiktok_account_daily", "fct_tiktok_video_daily"),
            "A post snapshot's reach exceeds its video_views, or an account-day's unique_video_views exceeds its "
            "video_views: the two counters come from different fetches or fields were swapped.",
        ),
        _rule(
            KEYS_UNIQUE_NOT_NULL,
            "Keys are unique and not null",
            ERROR,
            (
                *_RAW_ACCOUNT,
                *_RAW_VIDEOS,
                "fct_tiktok_account_daily",
                "dim_tiktok_accounts",
                "fct_tiktok_account_audience",
                "fct_tiktok_video_daily",
                "fct_tiktok_video_audience",
                "fct_tiktok_video_retention",
                "fct_tiktok_audience_activity_hourly",
                "fct_tiktok_comments",
            ),
            "A key column is null or a key (account-day, video-day, comment, breakdown bucket) appears twice: the "
            "newest-fetch-wins deduplication or an incremental merge failed.",
        ),
        _rule(
            LIFETIME_COUNTERS_DO_NOT_FALL,
            "A post's lifetime counters do not fall between snapshots",
            WARN,
            ("fct_tiktok_video_daily",),
            "A post's lifetime counter (views, likes, comments, shares, favorites, followers gained) is lower than in "
            "its previous snapshot: the API corrected it (e.g. removed fake views, deleted comments) or snapshots "
            "were mixed up.",
        ),
        _rule(
            RETENTION_DOES_NOT_RISE,
            "Retention curves do not rise",
            WARN,
            ("fct_tiktok_video_retention",),
            "Within one post snapshot, the share of viewers still watching rises from one video second to a later "
            "one: seconds were mis-parsed (string sort) or two curves were mixed.",
        ),
        _rule(
            PARTITION_FRESH_WITHIN_48H,
            f"Partition D has arrived within {contract.PUBLICATION_LAG_MAX_HOURS} h of its end",
            WARN,
            ("raw_tiktok_account",),
            f"The day's raw fetch or marts are missing {contract.PUBLICATION_LAG_MAX_HOURS} h after the day ended "
            "(the documented API lag): ingestion "
            "is failing or paused. Checked by the freshness check, not by a suite; errors once a day is stale.",
        ),
        _rule(
            ALL_ACCOUNTS_FETCHED,
            "Every configured account was fetched",
            WARN,
            _RAW_ASSETS,
            "An account's fetch failed (revoked token, missing scope, an API error after retries); the other "
            "accounts landed. Checked by the raw assets themselves, not by a suite.",
        ),
    ]
)

SUITE_RULE_IDS: frozenset[str] = frozenset(RULES) - {PARTITION_FRESH_WITHIN_48H, ALL_ACCOUNTS_FETCHED}
"""The rules enforced by the Great Expectations suites (freshness and fetching are checked by their assets)."""

# dbt tests become asset checks named after the test: the singular tests of the rule book name their rule here,
# generic tests by their kind (not_null_/unique_: keys; accepted_range_ with min 0 and max 1: shares; min 0:
# counts).
DBT_SINGULAR_TESTS: dict[str, str] = {
    "assert_account_daily_net_is_new_minus_lost": FOLLOWER_NET_IS_NEW_MINUS_LOST,
    "assert_account_followers_total_moves_by_net": FOLLOWER_TOTAL_MOVES_BY_NET,
    "assert_no_audience_data_for_ineligible_accounts": AUDIENCE_NEEDS_100_FOLLOWERS,
    "assert_tiktok_video_reach_within_views": REACH_WITHIN_VIEWS,
}


def rule_of_check(check_name: str) -> str:
    """The rule a check enforces when its metadata does not say (dbt tests); unknown checks keep their name."""
    if check_name in RULES:
        return check_name
    if check_name in DBT_SINGULAR_TESTS:
        return DBT_SINGULAR_TESTS[check_name]
    if check_name.startswith(("not_null_", "unique_")):
        return KEYS_UNIQUE_NOT_NULL
    if check_name.startswith("accepted_range_"):
        # dbt names a generic test after its arguments, sorted: max_value=1, min_value=0 -> "...__1__0"
        if check_name.endswith("__1__0"):
            return SHARE_IN_UNIT_INTERVAL
        if check_name.endswith("__0"):
            return COUNTS_NOT_NEGATIVE
    return check_name
