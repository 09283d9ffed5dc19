"""Serving data that breaks a chosen quality rule (TIKTOK_SIMULATOR_FAULTS="break=<rule_id>").

Each rule is broken in one plain, deterministic way (BREAKABLE_RULES says which), on top of the
contract-faithful data, so that a check can be seen failing end to end: raw file, check, alert. The switches
are the rule book's ids: the simulator reads them from expectations/rules.py (nothing else in tiktok_api
imports the quality layer).
"""

from __future__ import annotations

from typing import Any

from expectations import rules as R
from tiktok_api import contract

# The quality rules (expectations/rules.py) the simulator can break on demand, and how it breaks each.
BREAKABLE_RULES = {
    R.SHARE_IN_UNIT_INTERVAL: "a post's first impression source is sent as 1.35",
    R.DISTRIBUTION_SUMS_TO_ONE: "post audience genders sum to 0.8",
    R.TOP_LIST_SUMS_AT_MOST_ONE: "post top-10 countries sum to more than 1",
    R.AUDIENCE_NEEDS_100_FOLLOWERS: "audience data is sent for accounts under 100 followers",
    R.FOLLOWER_NET_IS_NEW_MINUS_LOST: "daily net followers is new - lost + 7",
    R.FOLLOWER_TOTAL_MOVES_BY_NET: "the per-day follower total jumps by 5,000 on odd days",
    R.COUNTS_NOT_NEGATIVE: "a post's likes are -3",
    R.REACH_WITHIN_VIEWS: "a post's reach is twice its views",
    R.KEYS_UNIQUE_NOT_NULL: "a post is listed twice on a page",
    R.LIFETIME_COUNTERS_DO_NOT_FALL: "every post's lifetime views are halved",
    R.RETENTION_DOES_NOT_RISE: "a post's retention rises at second 3",
}


def break_rules(rules: set[str], endpoint: str, data: dict[str, Any], followers: int) -> dict[str, Any]:
    if not rules:
        return data
    if endpoint == contract.VIDEO_LIST:
        _break_videos(rules, data.get("videos") or [])
    elif endpoint == contract.BUSINESS_GET:
        _break_account(rules, data, followers)
    return data


def _break_videos(rules: set[str], videos: list[dict[str, Any]]) -> None:
    if not videos:
        return
    first = videos[0]
    if R.SHARE_IN_UNIT_INTERVAL in rules and first.get("impression_sources"):
        first["impression_sources"][0]["percentage"] = 1.35
    if R.COUNTS_NOT_NEGATIVE in rules and "likes" in first:
        first["likes"] = -3
    if R.REACH_WITHIN_VIEWS in rules and "video_views" in first:
        first["reach"] = first["video_views"] * 2 + 10
    if R.RETENTION_DOES_NOT_RISE in rules and len(first.get("video_view_retention") or []) > 3:
        first["video_view_retention"][3]["percentage"] = 1.0
    if R.KEYS_UNIQUE_NOT_NULL in rules:
        videos.append(dict(first))
    for video in videos:
        if R.DISTRIBUTION_SUMS_TO_ONE in rules and video.get("audience_genders"):
            for entry in video["audience_genders"]:
                entry["percentage"] = round(entry["percentage"] * 0.8, 4)
        if R.TOP_LIST_SUMS_AT_MOST_ONE in rules and video.get("audience_countries"):
            for entry in video["audience_countries"]:
                entry["percentage"] = round(min(1.0, entry["percentage"] * 1.5), 4)
        if R.LIFETIME_COUNTERS_DO_NOT_FALL in rules:
            for name in ("video_views", "reach", "likes"):
                if isinstance(video.get(name), int):
                    video[name] //= 2


def _break_account(rules: set[str], data: dict[str, Any], followers: int) -> None:
    if R.AUDIENCE_NEEDS_100_FOLLOWERS in rules and followers < contract.AUDIENCE_MIN_FOLLOWERS:
        data.setdefault("audience_genders", [
            {"gender": "Female", "percentage": 0.6}, {"gender": "Male", "percentage": 0.38},
            {"gender": "Other", "percentage": 0.02},
        ])  # fmt: skip
    for day in data.get("metrics") or []:
        if R.FOLLOWER_NET_IS_NEW_MINUS_LOST in rules and "daily_total_followers" in day:
            day["daily_total_followers"] += 7
        if R.FOLLOWER_TOTAL_MOVES_BY_NET in rules and "followers_count" in day and int(day["date"][-2:]) % 2:
            day["followers_count"] += 5000
