"""The simulator's viral days, over loopback HTTP: `spike=<business_id>@<day>` multiplies one account-day's activity
and nothing else, and `break=metrics_within_usual_range` gives every answer a usual level that varies and a spike on
its newest day, so that the anomaly score fires in any world (tiktok_api/simulator/faults.py, breakage.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from tiktok_api import contract
from tiktok_api.simulator import FaultConfig, SimulatorServer
from tiktok_api.simulator.breakage import SPIKE_FACTOR, SPIKED_METRICS, USUAL_VIEWS

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAYS = [date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 17)]
FOLLOWERS = ("followers_count", "daily_new_followers", "daily_lost_followers", "daily_total_followers")


def _metrics(server: SimulatorServer, account_index: int = 0) -> dict[str, dict[str, Any]]:
    """The account's daily metrics of DAYS, every field, by day."""
    business_id = server.simulator.world.accounts[account_index].business_id
    access, _ = server.simulator.current_tokens[business_id]
    response = httpx.get(
        server.base_url + contract.BUSINESS_GET,
        params={
            "business_id": business_id,
            "fields": json.dumps(list(contract.ACCOUNT_METRICS)),
            "start_date": DAYS[0].isoformat(),
            "end_date": DAYS[-1].isoformat(),
        },
        headers={"Access-Token": access},
    )
    body = response.json()
    assert body["code"] == contract.OK, body
    return {day["date"]: day for day in body["data"]["metrics"]}


@pytest.mark.parametrize(
    "spec",
    ["spike=abc", "spike=@2026-11-17", "spike=abc@2026-13-01", "spike=abc@17.11.2026", "spikes=1"],
)
def test_a_malformed_spike_is_refused_naming_it(spec: str):
    with pytest.raises(ValueError, match="spike"):
        FaultConfig.parse(spec)


def test_spike_names_account_days_and_star_is_the_first_account():
    config = FaultConfig.parse("spike=*@2026-11-17|acct_2@2026-11-10, rate_limited=0.1")
    assert config.spikes == {("*", date(2026, 11, 17)), ("acct_2", date(2026, 11, 10))}
    assert config.is_spiked("acct_1", 0, date(2026, 11, 17)), "* is the first account"
    assert not config.is_spiked("acct_2", 1, date(2026, 11, 17)) and config.is_spiked("acct_2", 1, date(2026, 11, 10))
    assert not config.is_spiked("acct_1", 0, date(2026, 11, 16))


def test_a_spiked_account_day_is_served_tenfold_and_nothing_else_changes(
    simulator_factory: Callable[..., SimulatorServer],
):
    clean = simulator_factory(accounts=2, now=NOW.timestamp(), speed=0)
    first, second = (clean.simulator.world.accounts[i].business_id for i in range(2))
    spiked = simulator_factory(accounts=2, now=NOW.timestamp(), speed=0, faults=f"spike={first}@{DAYS[1]}")
    before, after = _metrics(clean), _metrics(spiked)
    day = DAYS[1].isoformat()
    assert {d: after[d] for d in after if d != day} == {d: before[d] for d in before if d != day}
    assert _metrics(spiked, 1) == _metrics(clean, 1), "the other account is served as usual"
    for name in SPIKED_METRICS:
        if name in before[day]:
            assert after[day][name] == before[day][name] * SPIKE_FACTOR, name
    assert [h["count"] for h in after[day]["audience_activity"]] == [
        h["count"] * SPIKE_FACTOR for h in before[day]["audience_activity"]
    ]
    assert {name: after[day][name] for name in FOLLOWERS} == {name: before[day][name] for name in FOLLOWERS}
    assert before[day]["video_views"] > 0, "the account had views to multiply"
    # the same day of the second account by its id, fetched by the first account's id: not spiked
    assert _metrics(simulator_factory(accounts=2, now=NOW.timestamp(), speed=0, faults=f"spike={second}@{day}")) == (
        before
    )


def test_the_break_gives_a_usual_level_that_varies_and_spikes_the_newest_day(
    simulator_factory: Callable[..., SimulatorServer],
):
    clean = _metrics(simulator_factory(accounts=1, now=NOW.timestamp(), speed=0))
    broken = _metrics(
        simulator_factory(accounts=1, now=NOW.timestamp(), speed=0, faults="break=metrics_within_usual_range")
    )
    newest = DAYS[-1].isoformat()
    usual = {d: broken[d]["video_views"] - clean[d]["video_views"] for d in clean if d != newest}
    assert all(USUAL_VIEWS <= gain <= USUAL_VIEWS + 300 for gain in usual.values())
    assert len(set(usual.values())) == len(usual), "the usual level varies from day to day"
    for d in usual:
        assert {k: v for k, v in broken[d].items() if k != "video_views"} == {
            k: v for k, v in clean[d].items() if k != "video_views"
        }
    gained = USUAL_VIEWS + 100 * (DAYS[-1].toordinal() % 4)
    assert broken[newest]["video_views"] == (clean[newest]["video_views"] + gained) * SPIKE_FACTOR
    assert broken[newest]["profile_views"] == clean[newest]["profile_views"] * SPIKE_FACTOR
    assert broken[newest]["unique_video_views"] <= broken[newest]["video_views"]
    assert {name: broken[newest][name] for name in FOLLOWERS} == {name: clean[newest][name] for name in FOLLOWERS}
