"""Serving data that breaks a chosen quality rule (TIKTOK_SIMULATOR_FAULTS="break=<rule_id>").

Each rule is broken in one plain, deterministic way (BREAKABLE_RULES says which), on top of the
contract-faithful data, so that a check can be seen failing end to end: raw file, check, alert. Every switch
changes only what breaks its one rule: the other rules still pass on the data served. The switches are the rule
book's ids: the simulator reads them from expectations/rules.py (nothing else in tiktok_api imports the quality
layer). tests/e2e/test_every_rule_fires.py runs a day with each switch and names the one check it fails.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from expectations import rules as R
from tiktok_api import contract
from tiktok_api.days import STALE_AFTER

# The quality rules (expectations/rules.py) the simulator can break on demand, and how it breaks each.
BREAKABLE_RULES = {
    # a rate, not a share of a distribution: a distribution's share above 1 would break distribution_sums_to_one too
    R.SHARE_IN_UNIT_INTERVAL: "a post's full-video-watched rate is sent as 1.35",
    R.DISTRIBUTION_SUMS_TO_ONE: "post audience genders sum to 0.8",
    R.TOP_LIST_SUMS_AT_MOST_ONE: "post top-10 countries sum to more than 1",
    R.AUDIENCE_NEEDS_100_FOLLOWERS: "audience data is sent for accounts under 100 followers",
    R.FOLLOWER_NET_IS_NEW_MINUS_LOST: "daily net followers is new - lost + 7",
    R.FOLLOWERS_TOTAL_MATCHES_PROFILE: "on even simulated days (by ordinal), the profile's followers_count is 5,000 "
    "higher: a fetch landing on such a day reads the day before 5,000 too high, which no daily change explains",
    R.COUNTS_NOT_NEGATIVE: "a post's likes are -3",
    R.REACH_WITHIN_VIEWS: "a post's reach is twice its views",
    R.KEYS_UNIQUE_NOT_NULL: "a post is listed twice on a page",
    R.VALUES_IN_DOMAIN: "a post's media_type is sent as CAROUSEL (neither VIDEO nor PHOTO)",
    R.REFERENCES_RESOLVE: "each post's first comment page carries a reply to a comment that does not exist",
    R.LIFETIME_COUNTERS_DO_NOT_FALL: "on even simulated days (by ordinal), posts' lifetime views, reach and likes "
    "are halved: a snapshot taken the day after an odd day falls",
    R.RETENTION_DOES_NOT_RISE: "a post's retention rises at second 3",
    R.TIMES_ARE_POSSIBLE: "each post's first comment page starts with a comment whose create_time is in "
    "milliseconds: it was written some 50,000 years after its fetch landed",
    R.PARTITION_FRESH_WITHIN_48H: f"account metrics appear {STALE_AFTER.total_seconds() / 3600:.0f} h after their "
    f"day ends, past the documented {contract.PUBLICATION_LAG}: the daily run of a day does not find it",
    R.ALL_ACCOUNTS_FETCHED: "the first account's token lacks the comment.list scope: its comments fail (40001), "
    "its other streams and every other account land",
    R.MENTIONS_AT_MOST_1000: f"the brand-mention lists are capped at {contract.MENTION_MAX_RECORDS + 25:,} posts, not "
    f"{contract.MENTION_MAX_RECORDS:,}: an account mentioned often enough gets more than the documented cap",
    R.MENTION_WINDOW_WITHIN_90_DAYS: "the first post of each brand-mention list was published 120 days before the "
    "window's last day, outside the 90-day window asked for",
    # a performance rule: the data is right, and unusual
    R.METRICS_WITHIN_USUAL_RANGE: "every day of an account-metrics answer has 1,000 to 1,300 more views, by the "
    "date (a usual level that varies, even for a dormant account), and the newest day (the partition day of a "
    "daily run) is a spike: its views and the counts that follow from them are 10 times as high (spike_metrics); a "
    "later run's fetch of that day serves it as usual. The score needs TIKTOK_ANOMALY_MIN_HISTORY_DAYS days of "
    "history (14 by default; one daily run lands the 3 days before its day, so tests/e2e sets it to 3)",
}

SPIKE_FACTOR = 10
"""How many times its usual activity a spiked account-day shows (spike= in faults.py, and
break=metrics_within_usual_range)."""
USUAL_VIEWS = 1000
"""break=metrics_within_usual_range: the views every served day gains (plus 0 to 300 by the date)."""
SPIKED_METRICS = (
    "video_views",
    "unique_video_views",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "engaged_audience",
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
    "phone_number_clicks",
    "app_download_clicks",
    "lead_submissions",
)
"""The daily metrics a spike multiplies: views and what follows from them (viewers, profile visits, engagement,
clicks, the hourly activity). Follower counts are left alone: they tie the day to the profile's total."""

DELAYED_PUBLICATION = STALE_AFTER
"""How long after its end a day's account metrics appear under break=partition_fresh_within_48h: as late as the
freshness rule calls stale, a day past the documented publication lag."""
SCOPE_WITHHELD = ("comment.list", 0)
"""break=all_accounts_fetched: this scope is missing from the token of the account of this index."""


def mention_cap(rules: set[str]) -> int:
    """How many posts a brand-mention list holds at most (break=mentions_at_most_1000 lifts the cap by 25)."""
    return contract.MENTION_MAX_RECORDS + (25 if R.MENTIONS_AT_MOST_1000 in rules else 0)


def spike_metrics(day: dict[str, Any], factor: int = SPIKE_FACTOR) -> dict[str, Any]:
    """A day of /business/get/ metrics as a viral day would show it: SPIKED_METRICS and the hourly audience activity
    `factor` times as high. Ratios stay as they were (unique views within views, the engagement rate), so that no
    data-quality rule breaks: only the performance rule metrics_within_usual_range sees the day."""
    spiked = {
        name: value * factor if name in SPIKED_METRICS and isinstance(value, int) else value
        for name, value in day.items()
    }
    if isinstance(day.get("audience_activity"), list):
        spiked["audience_activity"] = [
            {**hour, "count": hour["count"] * factor} if isinstance(hour.get("count"), int) else hour
            for hour in day["audience_activity"]
        ]
    return spiked


def withheld_scopes(rules: set[str], account_index: int) -> frozenset[str]:
    """Scopes an account's token lacks under the broken rules (break=all_accounts_fetched)."""
    scope, index = SCOPE_WITHHELD
    return frozenset({scope}) if R.ALL_ACCOUNTS_FETCHED in rules and account_index == index else frozenset()


def break_rules(
    rules: set[str],
    endpoint: str,
    data: dict[str, Any],
    followers: int,
    *,
    now: float,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The answer `data` of a data call to `endpoint` at simulated time `now`, broken as `rules` ask.

    `followers` is the account's follower count now, `params` the call's query parameters.
    """
    if not rules:
        return data
    if endpoint == contract.VIDEO_LIST:
        _break_videos(rules, data.get("videos") or [], _utc_day(now))
    elif endpoint == contract.BUSINESS_GET:
        _break_account(rules, data, followers, now)
    elif endpoint == contract.COMMENT_LIST:
        first_page = str((params or {}).get("cursor", "0")) == "0"
        _break_comments(rules, data.get("comments") or [], first_page)
    elif endpoint == contract.MENTION_VIDEO_LIST:
        first_page = str((params or {}).get("cursor", "0")) == "0"
        if R.MENTION_WINDOW_WITHIN_90_DAYS in rules and first_page and data.get("videos"):
            end = (params or {}).get("end_date") or (_utc_day(now) - timedelta(days=1)).isoformat()
            before = datetime.fromisoformat(end).replace(tzinfo=UTC) + timedelta(days=1) - timedelta(days=120)
            data["videos"][0]["create_time"] = str(int(before.timestamp()))
    return data


def _utc_day(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


def _break_videos(rules: set[str], videos: list[dict[str, Any]], today: date) -> None:
    if not videos:
        return
    first = videos[0]
    if R.SHARE_IN_UNIT_INTERVAL in rules and "full_video_watched_rate" in first:
        first["full_video_watched_rate"] = 1.35
    if R.COUNTS_NOT_NEGATIVE in rules and "likes" in first:
        first["likes"] = -3
    if R.REACH_WITHIN_VIEWS in rules and "video_views" in first:
        first["reach"] = first["video_views"] * 2 + 10
    if R.RETENTION_DOES_NOT_RISE in rules and len(first.get("video_view_retention") or []) > 3:
        first["video_view_retention"][3]["percentage"] = 1.0
    if R.VALUES_IN_DOMAIN in rules and "media_type" in first:
        first["media_type"] = "CAROUSEL"
    for video in videos:
        if R.DISTRIBUTION_SUMS_TO_ONE in rules and video.get("audience_genders"):
            for entry in video["audience_genders"]:
                entry["percentage"] = round(entry["percentage"] * 0.8, 4)
        if R.TOP_LIST_SUMS_AT_MOST_ONE in rules and video.get("audience_countries"):
            for entry in video["audience_countries"]:
                entry["percentage"] = round(min(1.0, entry["percentage"] * 1.5), 4)
        if R.LIFETIME_COUNTERS_DO_NOT_FALL in rules and today.toordinal() % 2 == 0:
            # views, reach and likes together: reach stays within views, engagement rates stay ratios
            for name in ("video_views", "reach", "likes"):
                if isinstance(video.get(name), int):
                    video[name] //= 2
    if R.KEYS_UNIQUE_NOT_NULL in rules:
        videos.append(copy.deepcopy(first))  # last, so that the copy is the page's first post as broken above


def _break_account(rules: set[str], data: dict[str, Any], followers: int, now: float) -> None:
    if R.FOLLOWERS_TOTAL_MATCHES_PROFILE in rules and "followers_count" in data and _utc_day(now).toordinal() % 2 == 0:
        data["followers_count"] += 5000
    if R.AUDIENCE_NEEDS_100_FOLLOWERS in rules and followers < contract.AUDIENCE_MIN_FOLLOWERS:
        data.setdefault("audience_genders", [
            {"gender": "Female", "percentage": 0.6}, {"gender": "Male", "percentage": 0.38},
            {"gender": "Other", "percentage": 0.02},
        ])  # fmt: skip
    if R.PARTITION_FRESH_WITHIN_48H in rules and "metrics" in data:
        published = datetime.fromtimestamp(now, UTC) - DELAYED_PUBLICATION
        data["metrics"] = [
            day
            for day in data["metrics"]
            if datetime.fromisoformat(day["date"]).replace(tzinfo=UTC) + timedelta(days=1) <= published
        ]
    for day in data.get("metrics") or []:
        if R.FOLLOWER_NET_IS_NEW_MINUS_LOST in rules and "daily_total_followers" in day:
            day["daily_total_followers"] += 7
    if R.METRICS_WITHIN_USUAL_RANGE in rules and data.get("metrics"):
        for day in data["metrics"]:
            if isinstance(day.get("video_views"), int):  # spread in any 3 days running: a robust score exists
                day["video_views"] += USUAL_VIEWS + 100 * (date.fromisoformat(day["date"]).toordinal() % 4)
        newest = max(range(len(data["metrics"])), key=lambda i: data["metrics"][i]["date"])
        data["metrics"][newest] = spike_metrics(data["metrics"][newest])


def orphan_ids(video_id: str) -> tuple[str, str]:
    """(comment_id, parent_comment_id) of the reply break=references_resolve adds to a post's first comment
    page: 19-digit ids like TikTok's, derived from the post, that no comment of the world carries."""

    def digits(*key: str) -> str:
        number = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "big")
        return "7" + str(number % 10**18).zfill(18)

    return digits("orphan-reply", video_id), digits("deleted-parent", video_id)


def _break_comments(rules: set[str], comments: list[dict[str, Any]], first_page: bool) -> None:
    if R.TIMES_ARE_POSSIBLE in rules and first_page and comments:
        comments[0]["create_time"] = str(int(comments[0]["create_time"]) * 1000)  # epoch milliseconds, not seconds
    if R.REFERENCES_RESOLVE in rules and first_page and comments:
        first = comments[0]
        comment_id, parent_id = orphan_ids(str(first["video_id"]))
        orphan = {k: v for k, v in first.items() if k not in ("reply_list", "image_url")}
        orphan |= {
            "comment_id": comment_id,
            "parent_comment_id": parent_id,  # the parent was deleted: the reply is listed on its own
            "text": "a reply to a deleted comment",
            "likes": 0,
            "replies": 0,
            "pinned": False,
            "status": "PUBLIC",
        }
        comments.append(orphan)
