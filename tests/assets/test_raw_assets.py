"""The raw assets, materialised with Dagster against the simulator over loopback HTTP."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.raw import raw_assets, raw_tiktok_account, raw_tiktok_comments, raw_tiktok_videos
from assets.resources import TikTokSource
from tiktok_api import contract, landing
from tiktok_api.team_config import ACCOUNTS_FILE

PARTITION = date(2026, 11, 17)
FAST = 600.0  # simulated seconds per real second: rate-limit pacing takes milliseconds


def at(d: date, hours: float = 0) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() + hours * 3600


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    return tmp_path


def materialize(
    server,
    assets,
    partition: date = PARTITION,
    instance: dg.DagsterInstance | None = None,
    run_config: dict | None = None,
    **resource_config,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        partition_key=partition.isoformat(),
        resources={"tiktok": TikTokSource(simulator_url=server.url, **resource_config)},
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
    )


def tracking(*urls: str) -> dict:
    """The run config that tracks `urls` for one run (raw_tiktok_videos' config; comments follow its snapshot)."""
    return {"ops": {"raw_tiktok_videos": {"config": {"track_video_urls": list(urls)}}}}


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    assert events, f"{asset} was not materialised"
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def files(root: Path, stream: str, partition: date, business_id: str) -> list[Path]:
    return landing.list_fetches(root, stream, partition, business_id)


def test_each_stream_lands_one_file_per_account_with_the_payload_as_sent(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, now=at(PARTITION, 24 * 3 + 1))
    accounts = [a.business_id for a in server.simulator.world.accounts]
    # industry benchmarks are fetched for an account's configured category only
    lines = "".join(f"{business_id},,{contract.BUSINESS_CATEGORIES[0]}\n" for business_id in accounts)
    (data_dir / ACCOUNTS_FILE).write_text("business_id,time_zone,business_category\n" + lines)
    result = materialize(server, raw_assets)
    assert result.success
    for stream in landing.STREAMS:
        for business_id in accounts:
            [path] = files(data_dir, stream, PARTITION, business_id)
            fetch = landing.read_fetch(path)
            assert fetch["source"] == "simulator" and fetch["complete"] is True
            assert fetch["stream"] == stream and fetch["business_id"] == business_id
            assert fetch["partition_date"] == PARTITION.isoformat()
            assert len(fetch["request_ids"]) == len(fetch["pages"]) == len(fetch["log_ids"])
            assert set(fetch["stats"]) == {"records", "api_calls", "retries", "refreshes", "bytes"}
            text = path.read_text()
            for page in fetch["pages"]:
                assert page["response"]["code"] == 0
                assert page["request_id"] == page["response"]["request_id"]
                # the body is spliced in verbatim: its exact text is in the file
                assert json.dumps(page["response"], separators=(",", ":"))[:40] in text
    for asset in ("raw_tiktok_account", "raw_tiktok_videos", "raw_tiktok_comments"):
        meta = metadata(result, asset)
        assert meta["source"] == "simulator"
        assert meta["records"] > 0 and meta["api_calls"] >= len(accounts) and meta["bytes"] > 0
        assert "| account | records | API calls | retries | bytes |" in meta["accounts"]
    # the account stream carries the whole look-back window and every documented metric
    big = server.simulator.world.accounts[0]
    fetch = landing.read_fetch(files(data_dir, "account", PARTITION, big.business_id)[0])
    data = fetch["pages"][0]["response"]["data"]
    dates = [m["date"] for m in data["metrics"]]
    assert dates == [(PARTITION - timedelta(days=3 - i)).isoformat() for i in range(4)]
    assert set(data["metrics"][-1]) == {"date", *contract.ACCOUNT_METRICS}
    assert "audience_countries" in data and "username" in data
    # post ids stay 19-digit strings in the landed file
    videos = landing.read_fetch(files(data_dir, "videos", PARTITION, big.business_id)[0])
    ids = [v["item_id"] for p in videos["pages"] for v in p["response"]["data"]["videos"]]
    assert ids and all(isinstance(i, str) and len(i) == 19 for i in ids)


def test_rerunning_a_partition_keeps_both_fetches_and_edits_nothing(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, now=at(PARTITION, 24 * 3 + 1))
    assert materialize(server, [raw_tiktok_account]).success
    business_id = server.simulator.world.accounts[0].business_id
    [first] = files(data_dir, "account", PARTITION, business_id)
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert materialize(server, [raw_tiktok_account]).success
    both = files(data_dir, "account", PARTITION, business_id)
    assert len(both) == 2 and both[0] == first
    assert hashlib.sha256(first.read_bytes()).hexdigest() == digest
    assert not list(data_dir.rglob(".tmp-*")), "a temporary file was left behind"


def _comment_videos(path: Path) -> set[str]:
    fetch = landing.read_fetch(path)
    return {p["params"]["video_id"] for p in fetch["pages"] if p["endpoint"] == contract.COMMENT_LIST}


def _snapshot_counts(path: Path) -> dict[str, int]:
    fetch = landing.read_fetch(path)
    return {v["item_id"]: v["comments"] for p in fetch["pages"] for v in p["response"]["data"]["videos"]}


def test_comments_are_fetched_only_for_posts_whose_count_changed(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=2, now=at(PARTITION, 24 * 3 + 1))
    account = server.simulator.world.accounts[1].business_id  # the Personal account: ~50 posts
    assert materialize(server, [raw_tiktok_videos, raw_tiktok_comments], accounts=account).success
    day1 = _snapshot_counts(files(data_dir, "videos", PARTITION, account)[0])
    fetched1 = _comment_videos(files(data_dir, "comments", PARTITION, account)[0])
    assert fetched1 == {vid for vid, n in day1.items() if n > 0}, "first run: every post with comments"

    nxt = PARTITION + timedelta(days=1)
    server.simulator.clock.set(now=at(nxt, 24 * 3 + 1))
    server.simulator.calls.clear()
    assert materialize(server, [raw_tiktok_videos, raw_tiktok_comments], nxt, accounts=account).success
    day2 = _snapshot_counts(files(data_dir, "videos", nxt, account)[0])
    [comments2] = files(data_dir, "comments", nxt, account)
    changed = {vid for vid, n in day2.items() if n != day1.get(vid, 0)}
    assert _comment_videos(comments2) == changed
    assert len(changed) < len([n for n in day1.values() if n > 0]), "the second day must be cheaper"
    # every comment call the server saw is in the landed file: none is hidden or lost
    pages = landing.read_fetch(comments2)["pages"]
    for path in (contract.COMMENT_LIST, contract.COMMENT_REPLY_LIST):
        assert server.simulator.calls[(path, account)] == sum(p["endpoint"] == path for p in pages)


def test_video_paging_stops_at_the_365_day_horizon_once_final_snapshots_are_stored(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=1, now=at(PARTITION, 24 * 3 + 1))
    account = server.simulator.world.accounts[0]
    assert materialize(server, [raw_tiktok_videos]).success
    first = _snapshot_counts(files(data_dir, "videos", PARTITION, account.business_id)[0])
    assert len(first) == len(server.simulator.world.visible_posts(account, server.simulator.clock.now()))
    nxt = PARTITION + timedelta(days=1)
    server.simulator.clock.set(now=at(nxt, 24 * 3 + 1))
    assert materialize(server, [raw_tiktok_videos], nxt).success
    second = _snapshot_counts(files(data_dir, "videos", nxt, account.business_id)[0])
    horizon = server.simulator.clock.now() - 367 * 86400
    recent = {p.item_id for p in server.simulator.world.visible_posts(account, server.simulator.clock.now())
              if p.create_time > horizon}  # fmt: skip
    assert recent <= set(second), "every post younger than the horizon is in the snapshot"
    assert len(second) < len(first), "frozen posts are not paged through again"


def test_a_post_tracked_by_url_gets_its_comments_fetched_whatever_its_count(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=2, now=at(PARTITION, 24 * 3 + 1))
    account = server.simulator.world.accounts[1]
    assert materialize(server, [raw_tiktok_videos, raw_tiktok_comments], accounts=account.business_id).success
    # an old post whose comments no longer change, so it would not be fetched again
    old = next(p for p in server.simulator.world.visible_posts(account, server.simulator.clock.now())
               if p.is_inactive(server.simulator.clock.now()) and p.comment_count_final > 0)  # fmt: skip
    (data_dir / "tracked_videos.txt").write_text(
        f"# tracked\nhttps://www.tiktok.com/@{account.username}/video/{old.item_id}\n"
    )
    nxt = PARTITION + timedelta(days=1)
    server.simulator.clock.set(now=at(nxt, 24 * 3 + 1))
    result = materialize(server, [raw_tiktok_videos, raw_tiktok_comments], nxt, accounts=account.business_id)
    assert result.success
    [path] = files(data_dir, "comments", nxt, account.business_id)
    assert old.item_id in _comment_videos(path)
    assert landing.read_fetch(path)["tracked_video_ids"] == [old.item_id]


def test_a_post_older_than_a_year_given_in_the_run_config_lands_its_snapshot_and_comments(simulator_factory, data_dir):
    """Past the 365-day horizon a post is no longer paged; tracked for one run, it is fetched by id and its comments
    follow in the same run, from the videos asset's config alone."""
    server = simulator_factory(speed=FAST, accounts=1, now=at(PARTITION, 24 * 3 + 1))
    account = server.simulator.world.accounts[0]
    assert materialize(server, [raw_tiktok_videos, raw_tiktok_comments]).success
    now = server.simulator.clock.now()
    old = next(p for p in server.simulator.world.visible_posts(account, now)
               if p.create_time < now - 400 * 86400 and p.comment_count_final > 0)  # fmt: skip
    nxt = PARTITION + timedelta(days=1)
    server.simulator.clock.set(now=at(nxt, 24 * 3 + 1))
    url = f"https://www.tiktok.com/@{account.username}/video/{old.item_id}"
    result = materialize(server, [raw_tiktok_videos, raw_tiktok_comments], nxt, run_config=tracking(url))
    assert result.success
    [videos] = files(data_dir, "videos", nxt, account.business_id)
    assert old.item_id in _snapshot_counts(videos), "fetched by id past the horizon"
    assert landing.read_fetch(videos)["tracked_video_ids"] == [old.item_id]
    [comments] = files(data_dir, "comments", nxt, account.business_id)
    assert old.item_id in _comment_videos(comments), "its comments, though only the videos asset was told"
    assert "tracked_not_found" not in metadata(result, "raw_tiktok_videos")


def test_a_tracked_url_that_is_no_post_url_fails_the_run_naming_it_before_any_call(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=1, now=at(PARTITION, 24 * 3 + 1))
    result = materialize(server, [raw_tiktok_videos], run_config=tracking("https://vm.tiktok.com/ZMabc123/"))
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("the run config's track_video_urls: cannot read a TikTok post id from 'https://vm.")
    assert not server.simulator.calls, "nothing was fetched"
    (data_dir / "tracked_videos.txt").write_text("# ok\nnot a url\n")
    result = materialize(server, [raw_tiktok_videos])
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "tracked_videos.txt line 2: cannot read a TikTok post id from 'not a url'" in (
        failure.step_failure_data.user_failure_data.description
    )


def test_a_tracked_post_that_no_account_holds_is_named(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=1, now=at(PARTITION, 24 * 3 + 1))
    result = materialize(server, [raw_tiktok_videos], run_config=tracking("7000000000000000001"))
    assert result.success
    assert metadata(result, "raw_tiktok_videos")["tracked_not_found"] == ["7000000000000000001"]


def test_a_revoked_account_fails_alone_and_the_others_land(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, now=at(PARTITION, 24 * 3 + 1))
    revoked = server.simulator.world.accounts[1].business_id
    server.simulator.revoke(revoked)
    result = materialize(server, [raw_tiktok_account])
    assert result.success, "one account failing must not fail the others"
    meta = metadata(result, "raw_tiktok_account")
    assert set(meta["failed_accounts"]) == {revoked}
    assert "re-authorise" in meta["failed_accounts"][revoked]
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert revoked in (check.description or "")
    for account in server.simulator.world.accounts:
        landed = files(data_dir, "account", PARTITION, account.business_id)
        assert (len(landed) == 0) == (account.business_id == revoked)


def test_half_the_accounts_failing_is_an_error_and_comments_name_the_failed_videos_fetch(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, now=at(PARTITION, 24 * 3 + 1))
    accounts = [account.business_id for account in server.simulator.world.accounts]
    revoked = accounts[: len(accounts) // 2]
    for business_id in revoked:
        server.simulator.revoke(business_id)
    result = materialize(server, [raw_tiktok_videos, raw_tiktok_comments])
    assert result.success, "failed accounts never fail the step: the others land"
    checks = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    for asset in ("raw_tiktok_videos", "raw_tiktok_comments"):
        check = checks[asset]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR, asset
        meta = {k: v.value for k, v in check.metadata.items()}
        assert (meta["rule_id"], meta["severity"], meta["offending_count"]) == ("all_accounts_fetched", "ERROR", 2)
    comments = metadata(result, "raw_tiktok_comments")["failed_accounts"]
    assert set(comments) == set(revoked)
    assert all("raw_tiktok_videos fetch failed" in reason for reason in comments.values())


def test_a_partition_past_the_58_day_look_back_is_skipped_and_says_why(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=2)
    old = date(2026, 9, 1)  # 80 days before the simulated now
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(server, [raw_tiktok_account, raw_tiktok_videos], old, instance)
    assert result.success, "an old partition must not crash"
    for asset in ("raw_tiktok_account", "raw_tiktok_videos"):
        meta = metadata(result, asset)
        assert meta["records"] == 0 and meta["api_calls"] == 0
        assert len(meta["skipped"]) == 2
        reason = next(iter(meta["skipped"].values()))
        assert str(old) in reason and ("58 days" in reason or "snapshot" in reason)
    assert not list((data_dir / "raw").rglob("*.json")) if (data_dir / "raw").exists() else True
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("Skipped for account" in m and "58 days" in m for m in logs), "the run log says why"


def test_a_day_that_cannot_be_published_yet_fails_retryably_and_plainly(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=1)  # simulated now: 2026-11-20 12:00 UTC
    result = materialize(server, [raw_tiktok_account], date(2026, 11, 20))
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert "has not published 2026-11-20 yet" in failure.error.message
    assert failure.user_failure_data.metadata["retryable"].value is True
    assert server.simulator.calls.total() == 0, "no API call is spent on a day that cannot exist"


def test_a_day_still_inside_the_lag_lands_what_arrived_and_asks_for_a_retry(simulator_factory, data_dir):
    server = simulator_factory(speed=0, accounts=1, now=at(PARTITION, 24 + 24.5))  # 24.5 h after the day
    account = server.simulator.world.accounts[0]
    if server.simulator.world.metrics_available(account, PARTITION, server.simulator.clock.now()):
        server.simulator.clock.set(now=at(PARTITION, 24 + 24.01))
    assert not server.simulator.world.metrics_available(account, PARTITION, server.simulator.clock.now())
    result = materialize(server, [raw_tiktok_account])
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert "not published metrics for 2026-11-17 yet" in failure.error.message
    assert failure.user_failure_data.metadata["retryable"].value is True
    assert len(files(data_dir, "account", PARTITION, account.business_id)) == 1, "what arrived has landed"


def test_accounts_are_named_beside_their_ids_and_logged_one_line_each_as_they_land(simulator_factory, data_dir):
    server = simulator_factory(speed=FAST, accounts=2, now=at(PARTITION, 24 * 3 + 1))
    first, second = server.simulator.world.accounts
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(server, [raw_tiktok_account], instance=instance)
    assert result.success
    meta = metadata(result, "raw_tiktok_account")
    assert meta["usernames"] == {a.business_id: a.username for a in (first, second)}
    assert f"| @{first.username} ({first.business_id}) |" in meta["accounts"]
    assert "| bytes | seconds | result |" in meta["accounts"]
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    lines = [m for m in logs if m.startswith(f"account {PARTITION} account ")]
    assert len(lines) == 2 and {m.split(",")[0][-3:] for m in lines} == {"1/2", "2/2"}
    assert all(" records, " in m and " API calls, " in m and m.endswith(" s") for m in lines), lines
    # the videos stream knows only ids: the names come from the landed account answers, a failed account's too
    server.simulator.revoke(second.business_id)
    result = materialize(server, [raw_tiktok_videos], instance=instance)
    [check] = result.get_asset_check_evaluations()
    assert f"@{second.username} ({second.business_id}): " in (check.description or "")
    assert set(check.metadata["failed_accounts"].value) == {second.business_id}, "keys stay business ids"
    assert check.metadata["usernames"].value == {second.business_id: second.username}
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(m.startswith(f"videos {PARTITION} account ") and f"@{second.username}" in m and " failed " in m
               for m in logs)  # fmt: skip
