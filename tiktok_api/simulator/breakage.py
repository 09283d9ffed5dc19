"""Serving data that breaks a chosen quality rule (TIKTOK_SIMULATOR_FAULTS="break=<rule_id>").

Each rule is broken in one plain, deterministic way (faults.BREAKABLE_RULES says which), on top of the
contract-faithful data, so that a check can be seen failing end to end: raw file, check, alert.
"""

from __future__ import annotations

from typing import Any

from tiktok_api import contract


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
    if "share_in_unit_interval" in rules and first.get("impression_sources"):
        first["impression_sources"][0]["percentage"] = 1.35
    if "counts_not_negative" in rules and "likes" in first:
        first["likes"] = -3
    if "reach_within_views" in rules and "video_views" in first:
        first["reach"] = first["video_views"] * 2 + 10
    if "retention_does_not_rise" in rules and len(first.get("video_view_retention") or []) > 3:
        first["video_view_retention"][3]["percentage"] = 1.0
    if "keys_unique_not_null" in rules:
        videos.append(dict(first))
    for video in videos:
        if "distribution_sums_to_one" in rules and video.get("audience_genders"):
            for entry in video["audience_genders"]:
                entry["percentage"] = round(entry["percentage"] * 0.8, 4)
        if "top_list_sums_at_most_one" in rules and video.get("audience_countries"):
            for entry in video["audience_countries"]:
                entry["percentage"] = round(min(1.0, entry["percentage"] * 1.5), 4)
        if "lifetime_counters_do_not_fall" in rules:
            for name in ("video_views", "reach", "likes"):
                if isinstance(video.get(name), int):
                    video[name] //= 2


def _break_account(rules: set[str], data: dict[str, Any], followers: int) -> None:
    if "audience_needs_100_followers" in rules and followers < contract.AUDIENCE_MIN_FOLLOWERS:
        data.setdefault("audience_genders", [
            {"gender": "Female", "percentage": 0.6}, {"gender": "Male", "percentage": 0.38},
            {"gender": "Other", "percentage": 0.02},
        ])  # fmt: skip
    for day in data.get("metrics") or []:
        if "follower_net_is_new_minus_lost" in rules and "daily_total_followers" in day:
            day["daily_total_followers"] += 7
        if "follower_total_moves_by_net" in rules and "followers_count" in day and int(day["date"][-2:]) % 2:
            day["followers_count"] += 5000
