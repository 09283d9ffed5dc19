"""The benchmark's pure parts (no timings asserted: the numbers come from `make bench`)."""

from __future__ import annotations

from datetime import date

from benchmarks import economy
from benchmarks.report import Figure, format_table, ratio
from benchmarks.simulator import benchmark_simulator
from benchmarks.workload import HISTORY_POSTS, HORIZON_DAYS, POSTS_PER_ACCOUNT, fetch_time, workloads


def test_page_counts_follow_the_contract() -> None:
    assert economy.video_calls(0) == 1  # an account without posts still asks once
    assert [economy.video_pages(n) for n in (1, 20, 21, 200)] == [1, 1, 2, 10]
    assert [economy.comment_pages(n) for n in (0, 30, 31, 500)] == [1, 1, 2, 17]
    # past 500 comments each page repeats one comment, so pages hold 29 new ones
    assert economy.comment_pages(510) == 17 and economy.comment_pages(511) == 18 and economy.comment_pages(539) == 18
    assert [economy.reply_pages(n) for n in (0, 3, 4, 33, 34)] == [0, 0, 1, 1, 2]


def test_minimum_fetches_only_changed_comments_and_naive_fetches_all() -> None:
    posts = [
        economy.PostDay(True, 5, 5, 5, (0,) * 5),  # unchanged: no comment call
        economy.PostDay(True, 40, 35, 35, (5,) + (0,) * 34),  # changed: 2 pages + 1 reply page
        economy.PostDay(False, 0, None, 0, ()),  # frozen, past the horizon: not paged after the first day
    ]
    assert economy.minimum_calls(posts, first_day=False) == 1 + 1 + 3
    assert economy.minimum_calls(posts, first_day=True) == 1 + 1 + 3
    assert economy.naive_calls(posts) == 1 + 1 + 1 + 3 + 1


def test_minimum_on_a_tiny_world_is_below_naive() -> None:
    first = date(2026, 10, 1)
    simulator = benchmark_simulator(2, 20 / HORIZON_DAYS, fetch_time(first) - 400 * 86_400, fetch_time(first), 1.0)
    world = simulator.world
    times = [fetch_time(date(2026, 10, d)) for d in (1, 2, 3)]
    for account in world.accounts:
        days = economy.account_days(world, account, times)
        assert len(days) == 3 and all(len(posts) >= 15 for posts in days)
        minimum = [economy.minimum_calls(posts, first_day=i == 0) for i, posts in enumerate(days)]
        naive = [economy.naive_calls(posts) for posts in days]
        assert all(1 < m <= n for m, n in zip(minimum, naive, strict=True))
        assert minimum[1] < minimum[0]  # after the first day only changed posts' comments are fetched


def test_workloads_scale_accounts() -> None:
    assert workloads(1.0)["W"].accounts == 20 and workloads(1.0)["memory"].accounts == 200
    assert workloads(0.2)["W"].accounts == 4 and workloads(0.01)["W"].accounts == 2
    w = workloads(1.0)["W"]
    assert len(w.dates) == 30 and round(w.posts_per_day * HORIZON_DAYS) == 200


def test_the_history_has_ws_accounts_over_a_year_and_its_posts_are_a_knob() -> None:
    loads = workloads(1.0)
    assert loads["history"].accounts == loads["W"].accounts == 20 and loads["history"].days == 366
    assert loads["history"].posts == HISTORY_POSTS < POSTS_PER_ACCOUNT
    assert workloads(0.1, history_posts=200)["history"].posts == 200 and workloads(0.1)["history"].accounts == 2


def test_table_says_met_or_missed() -> None:
    table = format_table([Figure(2, "b", 1.5, 1.2, detail="d"), Figure(5, "mem", 900.0, 1024.0, unit="MB")])
    lines = table.splitlines()
    assert lines[2].startswith("| 2 | b | 1.50x | <= 1.20x | MISSED | d |")
    assert "900 MB" in lines[3] and "| met |" in lines[3]
    assert ratio(3.0, 0.0) == float("inf") and ratio(3.0, 2.0) == 1.5
