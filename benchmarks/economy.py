"""The API economy: calls a day's fetch needs at the least, and calls a naive fetch makes (pure functions).

The contract's minimum for one account and day (../shared/TIKTOK_API.md, tiktok_api/contract.py):
- one /business/get/ call (profile, audience and the metrics window come in one answer);
- ceil(posts / 20) /business/video/list/ pages, `posts` being those whose metrics can still change (published
  within the 365-day horizon) or, on an account's first day, every post (each needs one stored snapshot);
- comment pages only for posts whose comment count changed since their comments were last fetched: the
  top-level comments in pages of 30 (past 500 comments the API repeats one comment a page, so 29 new), and the
  replies past the 3 sent inline, in pages of 30, for comments with more than 3.
A naive fetch pages every post and fetches every post's comments every day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tiktok_api import contract


def video_pages(posts: int) -> int:
    return math.ceil(posts / contract.VIDEO_MAX_COUNT)


def comment_pages(total: int, page_size: int = contract.COMMENT_MAX_COUNT) -> int:
    """Pages to read `total` comments from offset 0; one call even for a post without comments."""
    offset = pages = 0
    while True:
        pages += 1
        repeats = total > contract.COMMENT_DUPLICATES_AFTER and offset >= contract.COMMENT_DUPLICATES_AFTER
        offset += page_size - 1 if repeats else page_size
        if offset >= total:
            return pages


def reply_pages(replies: int) -> int:
    """Reply pages for one comment: none while the inline reply_list holds them all."""
    beyond = replies - contract.COMMENT_INLINE_REPLIES
    return 0 if beyond <= 0 else math.ceil(beyond / contract.COMMENT_MAX_COUNT)


@dataclass(frozen=True)
class PostDay:
    """What one post looks like to one day's fetch."""

    in_horizon: bool
    comment_count: int  # the count in the day's snapshot
    previous_count: int | None  # the count when its comments were last fetched (None: never)
    top_level: int  # top-level comments visible at the fetch
    replies: tuple[int, ...]  # visible replies per top-level comment


def post_comment_calls(post: PostDay) -> int:
    return comment_pages(post.top_level) + sum(reply_pages(n) for n in post.replies)


def minimum_calls(posts: Iterable[PostDay], first_day: bool) -> int:
    """The contract's minimum for one account and day."""
    posts = list(posts)
    paged = len(posts) if first_day else sum(p.in_horizon for p in posts)
    changed = [p for p in posts if p.comment_count != (p.previous_count or 0)]
    return 1 + video_calls(paged) + sum(post_comment_calls(p) for p in changed)


def naive_calls(posts: Iterable[PostDay]) -> int:
    """Every post paged and every post's comments fetched, every day."""
    posts = list(posts)
    return 1 + video_calls(len(posts)) + sum(post_comment_calls(p) for p in posts)


def video_calls(posts: int) -> int:
    """Video list calls: one even for an account without posts (the answer says so)."""
    return max(1, video_pages(posts))


def account_days(world, account, fetch_times: list[float]) -> list[list[PostDay]]:  # noqa: ANN001 - simulator types
    """Every post of `account` as each day's fetch (at `fetch_times`, in order) sees it, from the world's truth."""
    from tiktok_api.simulator.world import DAY

    days: list[list[PostDay]] = []
    fetched: dict[str, int] = {}  # count at the last comment fetch, as the fetcher remembers it
    lag = world.post_metrics_lag(account)
    freeze = contract.VIDEO_METRICS_FREEZE_DAYS * DAY
    for now in fetch_times:
        as_of = now - lag
        posts = []
        for post in world.visible_posts(account, now):
            count = post.comment_count(min(as_of, post.create_time + freeze))
            previous = fetched.get(post.item_id)
            visible = [c for c in post.comments if c.create_time <= now]
            posts.append(
                PostDay(
                    in_horizon=post.create_time > as_of - freeze,
                    comment_count=count,
                    previous_count=previous,
                    top_level=len(visible),
                    replies=tuple(sum(r.create_time <= now for r in c.replies) for c in visible),
                )
            )
            if count != (previous or 0):
                fetched[post.item_id] = count
        days.append(posts)
    return days
