"""The quality rule book: every rule the checks enforce, its severity and its on-call runbook entry.

Rule ids are the contract between the suites (`expectations/suites/*.json`, whose expectations carry the id in
their `meta`), the runner's results, the alerts and the runbook (`docs/runbook.md#<rule-id-with-hyphens>`).
ERROR blocks downstream assets; WARN is reported and alerts, but does not block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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

RUNBOOK = "docs/runbook.md"

# GX's own severity field (critical / warning / info) mirrors ours in every suite file.
GX_SEVERITY: dict[str, str] = {ERROR: "critical", WARN: "warning"}


@dataclass(frozen=True)
class Rule:
    title: str
    severity: Severity
    runbook: str
    meaning: str

    @property
    def gx_severity(self) -> str:
        return GX_SEVERITY[self.severity]


def runbook_anchor(rule_id: str) -> str:
    """`docs/runbook.md#<rule-id>` with hyphens, as Markdown renders the rule's heading."""
    return f"{RUNBOOK}#{rule_id.replace('_', '-')}"


def _rule(rule_id: str, title: str, severity: Severity, meaning: str) -> tuple[str, Rule]:
    return rule_id, Rule(title=title, severity=severity, runbook=runbook_anchor(rule_id), meaning=meaning)


RULES: dict[str, Rule] = dict(
    [
        _rule(
            SHARE_IN_UNIT_INTERVAL,
            "Every percentage and rate is within [0, 1]",
            ERROR,
            "A share or rate (completion rate, impression sources, audience shares, retention and likes curves) is "
            "outside [0, 1]: the API sent a percentage on another scale (0-100) or a parser/cast went wrong.",
        ),
        _rule(
            DISTRIBUTION_SUMS_TO_ONE,
            "Complete distributions sum to 1 (within 0.01)",
            ERROR,
            "The shares of a complete distribution (genders, ages, NEW+RETURN viewers, FOLLOWER+NON_FOLLOWER, "
            "impression sources) of one account or post snapshot do not add up to 1 within 0.01: buckets are missing, "
            "duplicated, or mixed from two fetches.",
        ),
        _rule(
            TOP_LIST_SUMS_AT_MOST_ONE,
            "Top-10 lists sum to at most 1 (+0.01)",
            ERROR,
            "The shares of a top-10 list (countries, cities) of one account or post snapshot add up to more than "
            "1.01: entries are duplicated or mixed from two fetches.",
        ),
        _rule(
            AUDIENCE_NEEDS_100_FOLLOWERS,
            "Audience data only for accounts with at least 100 followers",
            ERROR,
            "TikTok gives audience breakdowns only from 100 followers on; audience rows for an account under 100 "
            "followers (or a dim row with audience data but not eligible) contradict the source or the "
            "eligibility flag.",
        ),
        _rule(
            FOLLOWER_NET_IS_NEW_MINUS_LOST,
            "Daily net followers = new - lost",
            ERROR,
            "The reported daily net follower growth differs from new_followers - lost_followers for an account-day: "
            "the API revised one field and not the other, or columns were mapped to the wrong fields.",
        ),
        _rule(
            FOLLOWER_TOTAL_MOVES_BY_NET,
            "Follower totals move by about the net",
            WARN,
            "total(D) - total(D-1) differs from net(D) by more than max(5, 2% of the total): a day is missing or "
            "revised, or the per-day followers_count is not the end-of-day total (see docs/decisions.md).",
        ),
        _rule(
            COUNTS_NOT_NEGATIVE,
            "Counts are never negative",
            ERROR,
            "A count (views, likes, comments, shares, followers, clicks, watch time) is below 0: a parsing error, "
            "an overflow, or a difference computed where a count was expected.",
        ),
        _rule(
            REACH_WITHIN_VIEWS,
            "Reach and unique views never exceed views",
            ERROR,
            "A post snapshot's reach exceeds its video_views, or an account-day's unique_video_views exceeds its "
            "video_views: the two counters come from different fetches or fields were swapped.",
        ),
        _rule(
            KEYS_UNIQUE_NOT_NULL,
            "Keys are unique and not null",
            ERROR,
            "A key column is null or a key (account-day, video-day, comment, breakdown bucket) appears twice: the "
            "newest-fetch-wins deduplication or an incremental merge failed.",
        ),
        _rule(
            LIFETIME_COUNTERS_DO_NOT_FALL,
            "A post's lifetime counters do not fall between snapshots",
            WARN,
            "A post's lifetime counter (views, likes, comments, shares, favorites, followers gained) is lower than in "
            "its previous snapshot: the API corrected it (e.g. removed fake views, deleted comments) or snapshots "
            "were mixed up.",
        ),
        _rule(
            RETENTION_DOES_NOT_RISE,
            "Retention curves do not rise",
            WARN,
            "Within one post snapshot, the share of viewers still watching rises from one video second to a later "
            "one: seconds were mis-parsed (string sort) or two curves were mixed.",
        ),
        _rule(
            PARTITION_FRESH_WITHIN_48H,
            "Partition D has arrived within 48 h of its end",
            WARN,
            "The day's raw fetch or marts are missing 48 h after the day ended (the documented API lag): ingestion "
            "is failing or paused. Checked by the freshness checks, not by a suite; errors at 72 h.",
        ),
    ]
)

SUITE_RULE_IDS: frozenset[str] = frozenset(RULES) - {PARTITION_FRESH_WITHIN_48H}
"""The rules enforced by the Great Expectations suites (freshness is checked elsewhere)."""
