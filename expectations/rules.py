"""The quality rule book: every rule the checks enforce, its severity, which engine checks it on which asset, and
its runbook entry.

This registry is the one home of the rule ids. Each rule names, per asset, the ONE engine that implements it
(`Rule.checks`): "gx" (the Great Expectations suites of that asset's datasets, expectations/datasets.py, whose
expectations carry the id in their `meta`), "dbt" (one generic data test on that dbt model, named
`<rule_id>__<model>`, with `config.meta.rule_id`) or "dagster" (a check written in Dagster: freshness, fetching).
tests/expectations/test_registry.py proves that every (asset, rule) has exactly that implementation with the
rule's severity, and nothing else implements a rule; the alerts, the simulator's `break=` switches and the runbook
(`docs/runbook.md#<rule-id-with-hyphens>`) read it too. ERROR blocks downstream assets; WARN is reported and
alerts, but does not block. Each rule has a kind: "data_quality" (the data is wrong) or "performance" (the data
is right and says something unusual happened, e.g. an anomaly of an account's views): both travel the same alert
channel, and the kind, in every alert, lets on-call route them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from tiktok_api import contract

Severity = Literal["ERROR", "WARN"]
Engine = Literal["gx", "dbt", "dagster"]
Kind = Literal["data_quality", "performance"]

ERROR: Severity = "ERROR"
WARN: Severity = "WARN"

GX: Engine = "gx"
"""A Great Expectations suite on the asset (raw assets: the raw datasets of their landing stream)."""
DBT: Engine = "dbt"
"""A dbt data test on the model, one per (model, rule): `<rule_id>__<model>`, its rule id in `config.meta`."""
DAGSTER: Engine = "dagster"
"""A Dagster asset check of the rule's name on the asset (written in assets/)."""
ENGINES: tuple[Engine, ...] = (GX, DBT, DAGSTER)

DATA_QUALITY: Kind = "data_quality"
"""The data breaks a rule of the rule book: something upstream or in the pipeline is wrong."""
PERFORMANCE: Kind = "performance"
"""The data is right and unusual (a metric anomaly): news for the account's marketers, not a data failure."""
KINDS: tuple[Kind, ...] = (DATA_QUALITY, PERFORMANCE)

SHARE_IN_UNIT_INTERVAL = "share_in_unit_interval"
DISTRIBUTION_SUMS_TO_ONE = "distribution_sums_to_one"
TOP_LIST_SUMS_AT_MOST_ONE = "top_list_sums_at_most_one"
AUDIENCE_NEEDS_100_FOLLOWERS = "audience_needs_100_followers"
FOLLOWER_NET_IS_NEW_MINUS_LOST = "follower_net_is_new_minus_lost"
FOLLOWERS_TOTAL_MATCHES_PROFILE = "followers_total_matches_profile"
COUNTS_NOT_NEGATIVE = "counts_not_negative"
REACH_WITHIN_VIEWS = "reach_within_views"
KEYS_UNIQUE_NOT_NULL = "keys_unique_not_null"
VALUES_IN_DOMAIN = "values_in_domain"
REFERENCES_RESOLVE = "references_resolve"
LIFETIME_COUNTERS_DO_NOT_FALL = "lifetime_counters_do_not_fall"
RETENTION_DOES_NOT_RISE = "retention_does_not_rise"
TIMES_ARE_POSSIBLE = "times_are_possible"
PARTITION_FRESH_WITHIN_48H = "partition_fresh_within_48h"
ALL_ACCOUNTS_FETCHED = "all_accounts_fetched"
MENTIONS_AT_MOST_1000 = "mentions_at_most_1000"
MENTION_WINDOW_WITHIN_90_DAYS = "mention_window_within_90_days"
METRICS_WITHIN_USUAL_RANGE = "metrics_within_usual_range"
CONFIG_LINES_VALID = "config_lines_valid"
LABELS_MATCH_POSTS = "labels_match_posts"

RUNBOOK = "docs/runbook.md"
# Failed checks whose rule has no section of its own (a check without rule metadata) point here.
FALLBACK_ANCHOR = "other-failed-checks"

# GX's own severity field (critical / warning / info) mirrors ours in every suite file.
GX_SEVERITY: dict[str, str] = {ERROR: "critical", WARN: "warning"}
# dbt's test severity (config.severity) mirrors ours in every data test.
DBT_SEVERITY: dict[str, str] = {ERROR: "error", WARN: "warn"}

# The follower total's one tolerance: |followers_total - profile_followers_count| may be at most
# max(FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE, FOLLOWER_TOTAL_RELATIVE_TOLERANCE * the profile's count)
# (followers_total_matches_profile: expectations/datasets.py computes the gap; docs/runbook.md states it).
FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE = 10
FOLLOWER_TOTAL_RELATIVE_TOLERANCE = 0.001


@dataclass(frozen=True)
class Rule:
    title: str
    severity: Severity
    runbook: str
    meaning: str
    checks: Mapping[str, Engine]
    """Where the rule is checked and by what: asset (a raw asset or a dbt model) -> its one engine."""
    kind: Kind = DATA_QUALITY

    @property
    def gx_severity(self) -> str:
        return GX_SEVERITY[self.severity]

    @property
    def dbt_severity(self) -> str:
        return DBT_SEVERITY[self.severity]

    def assets(self, engine: Engine) -> tuple[str, ...]:
        """The assets on which `engine` implements the rule."""
        return tuple(asset for asset, by in self.checks.items() if by == engine)


def runbook_anchor(rule_id: str) -> str:
    """The runbook section of a rule: its id with hyphens, as the section's anchor; unknown rules share one."""
    return rule_id.replace("_", "-") if rule_id in RULES else FALLBACK_ANCHOR


def runbook_url(rule_id: str) -> str:
    """`docs/runbook.md#<anchor>` of a rule."""
    return f"{RUNBOOK}#{runbook_anchor(rule_id)}"


def rule_kind(rule_id: str) -> Kind:
    """The kind of a rule; a check without a rule of the registry is a data-quality check."""
    rule = RULES.get(rule_id)
    return rule.kind if rule is not None else DATA_QUALITY


def _rule(
    rule_id: str,
    title: str,
    severity: Severity,
    checks: dict[str, Engine],
    meaning: str,
    kind: Kind = DATA_QUALITY,
) -> tuple[str, Rule]:
    runbook = f"{RUNBOOK}#{rule_id.replace('_', '-')}"
    rule = Rule(
        title=title, severity=severity, runbook=runbook, meaning=meaning, checks=MappingProxyType(checks), kind=kind
    )
    return rule_id, rule


def _on(engine: Engine, *assets: str) -> dict[str, Engine]:
    return dict.fromkeys(assets, engine)


_RAW_ASSETS = (
    "raw_tiktok_account",
    "raw_tiktok_videos",
    "raw_tiktok_comments",
    "raw_tiktok_mentions",
    "raw_tiktok_benchmarks",
)
_STAGING_AND_INTERMEDIATE = (
    "stg_tiktok__account_snapshots",
    "stg_tiktok__post_snapshots",
    "stg_tiktok__comments",
    "stg_tiktok__mentions",
    "stg_tiktok__mention_terms",
    "stg_tiktok__benchmarks",
    "int_tiktok__account_daily_metrics",
    "int_tiktok__account_audience_shares",
    "int_tiktok__audience_activity_hours",
    "int_tiktok__post_audience_shares",
    "int_tiktok__post_retention_curves",
)
_MARTS = (
    "dim_tiktok_accounts",
    "fct_tiktok_account_daily",
    "fct_tiktok_account_audience",
    "fct_tiktok_audience_activity_hourly",
    "dim_tiktok_videos",
    "fct_tiktok_video_daily",
    "fct_tiktok_video_audience",
    "fct_tiktok_video_retention",
    "fct_tiktok_comments",
)
# The reply queue and response times (issue 17): keys, counts, the answered share and non-negative hours.
_REPLY_MARTS = ("fct_tiktok_reply_queue", "fct_tiktok_response_times_daily")
# The brand-mention marts: a separately approved product; its own rules, and the key and count rules.
_MENTION_MARTS = ("fct_tiktok_mention_daily",)
# The brand mentions' top hashtags and words: the key and count rules (the mention rules are about posts).
_MENTION_TERM_MARTS = ("fct_tiktok_mention_terms_daily",)


# The comment sentiment summaries (issue 17): keys, counts and shares.
_SENTIMENT_MARTS = ("fct_tiktok_post_sentiment_daily", "fct_tiktok_account_sentiment_daily")
# When and what to post (issue 18): keys, counts, completion rates, domains and references.
_TIMING_MARTS = ("fct_tiktok_post_timing", "fct_tiktok_posting_performance", "fct_tiktok_recommended_slots")
# The metric anomalies (issue 18): the key rule, and the performance rule that alerts on the newest day.
_ANOMALY_MARTS = ("fct_tiktok_account_metric_anomalies",)
# The profile history and the cross-platform rollup (issue 18): keys and counts.
_PROFILE_AND_ROLLUP_MARTS = ("fct_tiktok_account_profile_daily", "fct_tiktok_social_media_rollup")
# Labels and hashtag performance (issue 18): keys; the label lines' and the daily marts' counts; their completion.
_LABEL_DAILY_MARTS = ("fct_tiktok_label_daily", "fct_tiktok_hashtag_daily")
_LABEL_MARTS = ("dim_tiktok_post_labels", "dim_tiktok_label_lines", *_LABEL_DAILY_MARTS)
# Industry benchmarks (issue 18): keys, counts, and the rates and percentiles within [0, 1].
_BENCHMARK_MARTS = ("fct_tiktok_account_benchmarks", "fct_tiktok_account_percentiles")


# Where the audience-share sums are checked: on the raw answers, so that one account's bad breakdowns are
# quarantined before the build, and on the marts, where a mix of fetches would show.
_AUDIENCE_SHARES = (
    "raw_tiktok_account",
    "raw_tiktok_videos",
    "fct_tiktok_account_audience",
    "fct_tiktok_video_audience",
)


RULES: dict[str, Rule] = dict(
    [
        _rule(
            SHARE_IN_UNIT_INTERVAL,
            "Every percentage and rate is within [0, 1]",
            ERROR,
            {
                **_on(GX, "raw_tiktok_account", "raw_tiktok_videos"),
                **_on(
                    DBT,
                    "fct_tiktok_account_audience",
                    "fct_tiktok_audience_activity_hourly",
                    "dim_tiktok_videos",
                    "fct_tiktok_video_daily",
                    "fct_tiktok_video_audience",
                    "fct_tiktok_video_retention",
                    "fct_tiktok_response_times_daily",
                    *_SENTIMENT_MARTS,
                    *_TIMING_MARTS,
                    *_LABEL_DAILY_MARTS,
                    *_BENCHMARK_MARTS,
                ),
            },
            "A share or rate (completion rate, impression sources, audience shares, hourly activity shares, "
            "retention and likes curves) is outside [0, 1] (or a bucket's share is missing): the API sent a "
            "percentage on another scale (0-100) or a parser/cast went wrong.",
        ),
        _rule(
            DISTRIBUTION_SUMS_TO_ONE,
            "Complete distributions sum to 1 (within 0.01)",
            ERROR,
            _on(GX, *_AUDIENCE_SHARES),
            "The shares of a complete distribution (genders, ages, NEW+RETURN viewers, FOLLOWER+NON_FOLLOWER, "
            "impression sources) of one account or post snapshot do not add up to 1 within 0.01: buckets are missing, "
            "duplicated, or mixed from two fetches.",
        ),
        _rule(
            TOP_LIST_SUMS_AT_MOST_ONE,
            "Top-10 lists sum to at most 1 (+0.01)",
            ERROR,
            _on(GX, *_AUDIENCE_SHARES),
            "The shares of a top-10 list (countries, cities) of one account or post snapshot add up to more than "
            "1.01: entries are duplicated or mixed from two fetches.",
        ),
        _rule(
            AUDIENCE_NEEDS_100_FOLLOWERS,
            "Audience data only for accounts with at least 100 followers",
            ERROR,
            _on(GX, "raw_tiktok_account", "dim_tiktok_accounts", "fct_tiktok_account_audience"),
            "TikTok gives audience breakdowns only from 100 followers on; audience rows for an account under 100 "
            "followers (or a dim row with audience data but not eligible) contradict the source or the "
            "eligibility flag.",
        ),
        _rule(
            FOLLOWER_NET_IS_NEW_MINUS_LOST,
            "Daily net followers = new - lost",
            ERROR,
            _on(GX, "fct_tiktok_account_daily"),
            "The reported daily net follower growth differs from new_followers - lost_followers for an account-day: "
            "the API revised one field and not the other, or columns were mapped to the wrong fields.",
        ),
        _rule(
            FOLLOWERS_TOTAL_MATCHES_PROFILE,
            "The derived follower total agrees with the profile's followers_count",
            WARN,
            _on(GX, "fct_tiktok_account_daily"),
            "An account-day's followers_total is missing (a day between it and the profile reading it is anchored on "
            "is missing or reports no follower change), or differs from the profile's followers_count read at the end "
            f"of that day by more than max({FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE}, "
            f"{FOLLOWER_TOTAL_RELATIVE_TOLERANCE:.1%} of the profile's count): the daily changes do not explain the "
            "profile's counts (a purge, a revised day, "
            "a per-day field read with the wrong meaning; see docs/decisions.md, Follower total).",
        ),
        _rule(
            COUNTS_NOT_NEGATIVE,
            "Counts are never negative",
            ERROR,
            {
                **_on(GX, "raw_tiktok_account", "raw_tiktok_videos"),
                **_on(
                    DBT,
                    "dim_tiktok_accounts",
                    "fct_tiktok_account_daily",
                    "fct_tiktok_audience_activity_hourly",
                    "dim_tiktok_videos",
                    "fct_tiktok_video_daily",
                    "fct_tiktok_comments",
                    *_REPLY_MARTS,
                    *_MENTION_MARTS,
                    *_MENTION_TERM_MARTS,
                    *_SENTIMENT_MARTS,
                    *_PROFILE_AND_ROLLUP_MARTS,
                    *_TIMING_MARTS,
                    "dim_tiktok_label_lines",
                    *_LABEL_DAILY_MARTS,
                    *_BENCHMARK_MARTS,
                ),
            },
            "A count (views, likes, comments, shares, followers, clicks, watch time) is below 0: a parsing error, "
            "an overflow, or a difference computed where a count was expected.",
        ),
        _rule(
            REACH_WITHIN_VIEWS,
            "Reach and unique views never exceed views",
            ERROR,
            _on(GX, "raw_tiktok_account", "raw_tiktok_videos", "fct_tiktok_account_daily", "fct_tiktok_video_daily"),
            "A post snapshot's reach exceeds its video_views, or an account-day's unique_video_views exceeds its "
            "video_views: the two counters come from different fetches or fields were swapped.",
        ),
        _rule(
            KEYS_UNIQUE_NOT_NULL,
            "Keys are unique and not null",
            ERROR,
            {
                **_on(GX, "raw_tiktok_account", "raw_tiktok_videos"),
                **_on(
                    DBT,
                    *_STAGING_AND_INTERMEDIATE,
                    *_MARTS,
                    *_REPLY_MARTS,
                    *_MENTION_MARTS,
                    *_MENTION_TERM_MARTS,
                    *_SENTIMENT_MARTS,
                    *_PROFILE_AND_ROLLUP_MARTS,
                    *_ANOMALY_MARTS,
                    *_TIMING_MARTS,
                    *_LABEL_MARTS,
                    *_BENCHMARK_MARTS,
                ),
            },
            "A key or identifying column is null, or a key (account-day, post in a fetch, video-day, comment, "
            "breakdown bucket) appears twice: the API listed a record twice, or the newest-fetch-wins "
            "deduplication or an incremental merge failed.",
        ),
        _rule(
            VALUES_IN_DOMAIN,
            "Enumerated and bounded values stay in their domain",
            WARN,
            _on(DBT, *_MARTS, *_REPLY_MARTS, *_TIMING_MARTS),
            "A value outside its documented domain: an account type, media type or dimension name the model does "
            "not know, an hour outside 0-23, a negative video second, a snapshot gap under 1 day, an engagement "
            "rate above 1 (possible only on an anomaly: it is a ratio of counts, not an API percentage), a "
            "required attribute the API left out (account type, publishing or comment time), or an account-day "
            "whose metrics are all missing.",
        ),
        _rule(
            REFERENCES_RESOLVE,
            "References resolve",
            WARN,
            # every mart but the accounts' dimension, which every reference points to
            _on(DBT, *(model for model in _MARTS if model != "dim_tiktok_accounts"), *_TIMING_MARTS),
            "A row's account, post or parent comment is not in its dimension or table: one stream landed without "
            "the other (a failed account fetch), or a reply arrived before its parent (legitimate: the parent is "
            "deleted or beyond the fetched pages).",
        ),
        _rule(
            LIFETIME_COUNTERS_DO_NOT_FALL,
            "A post's lifetime counters do not fall between snapshots",
            WARN,
            _on(GX, "fct_tiktok_video_daily"),
            "A post's lifetime counter (views, likes, comments, shares, favorites, followers gained) is lower than in "
            "its previous snapshot: the API corrected it (e.g. removed fake views, deleted comments) or snapshots "
            "were mixed up.",
        ),
        _rule(
            RETENTION_DOES_NOT_RISE,
            "Retention curves do not rise",
            WARN,
            _on(GX, "fct_tiktok_video_retention"),
            "Within one post snapshot, the share of viewers still watching rises from one video second to a later "
            "one: seconds were mis-parsed (string sort) or two curves were mixed.",
        ),
        _rule(
            TIMES_ARE_POSSIBLE,
            "Times are possible: nothing is seen before it exists",
            WARN,
            _on(DBT, "fct_tiktok_account_daily", "fct_tiktok_video_daily", "fct_tiktok_comments"),
            "A post snapshot was fetched before the post was published (fct_tiktok_video_daily.landed_at < "
            "dim_tiktok_videos.published_at: a post created in the future), a comment was seen in a fetch that "
            "landed before it was created (fct_tiktok_comments.landed_at < created_at), or an account's metric day "
            "begins after the fetch that reported it landed (fct_tiktok_account_daily.landed_at < metric_date: a "
            "metric date in the future): a create_time in milliseconds or another time zone, or a wrong clock. "
            "(A fetch for day D runs after D, so it legitimately lists posts and comments created after D: the "
            "landing time, not the partition day, is what nothing may precede.)",
        ),
        _rule(
            PARTITION_FRESH_WITHIN_48H,
            f"Partition D has arrived within {contract.PUBLICATION_LAG_MAX_HOURS} h of its end",
            WARN,
            _on(DAGSTER, "raw_tiktok_account"),
            f"The day's raw fetch or marts are missing {contract.PUBLICATION_LAG_MAX_HOURS} h after the day ended "
            "(the documented API lag): ingestion is failing or paused. Checked by the freshness check; errors once "
            "a day is stale.",
        ),
        _rule(
            ALL_ACCOUNTS_FETCHED,
            "Every configured account was fetched",
            WARN,
            _on(DAGSTER, *_RAW_ASSETS),
            "An account's fetch failed (revoked token, missing scope, an API error after retries); the other "
            "accounts landed. Checked by the raw assets themselves.",
        ),
        _rule(
            MENTIONS_AT_MOST_1000,
            f"At most {contract.MENTION_MAX_RECORDS:,} mentioned posts per account-day",
            WARN,
            _on(DBT, *_MENTION_MARTS),
            f"An account-day's brand-mention list holds more than {contract.MENTION_MAX_RECORDS:,} posts, the cap "
            "TikTok documents whatever the window: the API changed (the cap was lifted) or the fetches of a day were "
            "mixed. WARN: the rows are real posts with real counts, and the mentions are an insight product that "
            "must not hold back the core marts.",
        ),
        _rule(
            MENTION_WINDOW_WITHIN_90_DAYS,
            f"Mentioned posts lie within the {contract.MENTION_MAX_WINDOW_DAYS}-day window of their day",
            WARN,
            _on(DBT, *_MENTION_MARTS),
            f"A mentioned post of day D was published before D - {contract.MENTION_MAX_WINDOW_DAYS - 1} or after D: "
            f"the list is of posts published in the {contract.MENTION_MAX_WINDOW_DAYS}-day window ending on D, so the "
            "API ignored the window asked for, or create_time is in another unit (milliseconds) or time zone.",
        ),
        _rule(
            CONFIG_LINES_VALID,
            "Every line of the team's configuration files can be read",
            WARN,
            _on(DAGSTER, "tiktok_account_settings", "tiktok_post_labels"),
            "A line of accounts.csv or labels.csv under $TIKTOK_DATA_DIR cannot be read: not CSV or the wrong number "
            "of columns, an unknown time zone or business category, a business_id configured twice, a post URL "
            "without a post id, a malformed #hashtag or caption pattern, an empty label. The line is skipped and "
            "named; every other line loads. Checked by the assets that load the files (assets/team_config.py).",
        ),
        _rule(
            LABELS_MATCH_POSTS,
            "Every label line labels at least one post",
            WARN,
            _on(DAGSTER, "dim_tiktok_label_lines"),
            "A line of labels.csv that loaded labels no post (dim_tiktok_label_lines.posts_matched = 0): a post id or "
            "URL of a post no connected account holds (deleted, another account's, a typo in the digits), a "
            "hashtag no caption uses, a caption pattern no caption contains. The label is missing from the label "
            "marts until a post matches. Checked by a Dagster check on the mart (assets/team_config.py).",
        ),
        _rule(
            METRICS_WITHIN_USUAL_RANGE,
            "An account's daily metrics stay within their usual range",
            WARN,
            _on(DBT, *_ANOMALY_MARTS),
            "On the newest partition day, an account's views, net followers, engagement rate or profile views is an "
            "anomaly: its robust score against the 28 days before it, (value - median) / (1.4826 * MAD), is beyond "
            "3.5 either way (fct_tiktok_account_metric_anomalies; docs/decisions.md, Metric anomalies). A "
            "performance alert, not a data-quality failure: the numbers are what TikTok reported (a post took off, "
            "a campaign ended, a follower purge); it tells the account's marketers, and never blocks.",
            kind=PERFORMANCE,
        ),
    ]
)


def implementations(engine: Engine) -> set[tuple[str, str]]:
    """(asset, rule id) of every check `engine` implements, per the registry."""
    return {(asset, rule_id) for rule_id, rule in RULES.items() for asset in rule.assets(engine)}


SUITE_RULE_IDS: frozenset[str] = frozenset(rule_id for _, rule_id in implementations(GX))
"""The rules enforced by the Great Expectations suites (on at least one asset)."""

DBT_RULE_IDS: frozenset[str] = frozenset(rule_id for _, rule_id in implementations(DBT))
"""The rules enforced by dbt data tests (on at least one model)."""


def dbt_test_name(rule_id: str, model: str) -> str:
    """The name of the one dbt data test implementing `rule_id` on `model` (and of its Dagster check)."""
    return f"{rule_id}__{model}"
