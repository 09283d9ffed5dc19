"""The headline report: the marts' key KPIs as charts in one self-contained HTML file (works offline)."""

import base64
import html
import io
import math
from datetime import UTC, datetime

import dagster as dg
import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.patheffects as patheffects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from assets.catalog import ASSET_OWNERS, file_link
from assets.partitions import daily_partitions  # noqa: E402
from assets.publish import tiktok_marts_for_bi  # noqa: E402
from assets.warehouse import Warehouse  # noqa: E402
from tiktok_api.files import atomic_write_text  # noqa: E402
from tiktok_api.settings import data_dir  # noqa: E402

# Days are read as text (`cast(... as varchar)`) and parsed here: an impossible day in the marts (a comment
# "written" in the year 56147, which times_are_possible reports) would crash PostgreSQL's driver, which has no such
# date; parsed here it is left out of the charts.
QUERIES = {
    "daily": """
        select
            a.username, cast(d.metric_date as varchar) as metric_date, d.followers_total, d.net_followers,
            d.video_views, d.engagement_rate
        from marts.fct_tiktok_account_daily as d join marts.dim_tiktok_accounts as a using (business_id)
        order by a.username, d.metric_date
    """,
    "top_posts": """
        select a.username, v.caption, v.video_views, v.engagement_rate
        from marts.dim_tiktok_videos as v join marts.dim_tiktok_accounts as a using (business_id)
        order by v.video_views desc limit 10
    """,
    # averaged over every account with audience data that day: an account without a country counts as 0 there
    # (an average over only the accounts that have the country made the bars add up to far more than 1)
    "countries": """
        with latest as (
            select * from marts.fct_tiktok_account_audience
            where snapshot_date = (select max(snapshot_date) from marts.fct_tiktok_account_audience)
        )
        select
            dimension_value as country,
            sum(share) / (select count(distinct business_id) from latest) as share
        from latest
        where dimension = 'country'
        group by 1 order by 2 desc limit 10
    """,
    "hours": """
        with activity as (
            select hour_utc, sum(active_followers) as active_followers
            from marts.fct_tiktok_audience_activity_hourly group by 1
        ),
        posts as (
            select
                cast(extract(hour from published_at at time zone 'UTC') as integer) as hour_utc,
                avg(engagement_rate) as engagement_rate,
                count(*) as posts
            from marts.dim_tiktok_videos where video_views > 0 group by 1
        )
        select activity.hour_utc, activity.active_followers, posts.engagement_rate, coalesce(posts.posts, 0) as posts
        from activity left join posts using (hour_utc) order by 1
    """,
    # the posts that mentioned the brand on each day's list, and their views (an account without the mentions
    # approval has no rows: no line, not a line at 0)
    "mentions": """
        select a.username, cast(m.snapshot_date as varchar) as snapshot_date, count(*) as mentioned_posts,
            sum(m.views) as views
        from marts.fct_tiktok_mention_daily as m join marts.dim_tiktok_accounts as a using (business_id)
        group by 1, 2 order by 1, 2
    """,
    "sentiment": """
        select
            a.username, cast(s.comment_date as varchar) as comment_date, s.share_positive, s.share_negative,
            s.comments_scored
        from marts.fct_tiktok_account_sentiment_daily as s join marts.dim_tiktok_accounts as a using (business_id)
        order by 1, 2
    """,
    # the comments waiting for the account's reply, by how long they have waited
    "reply_queue": """
        select
            username,
            case
                when age_hours < 24 then '< 1 day'
                when age_hours < 72 then '1-3 days'
                when age_hours < 168 then '3-7 days'
                else '> 7 days'
            end as waiting,
            count(*) as comments,
            max(age_hours) as oldest_hours
        from marts.fct_tiktok_reply_queue
        group by 1, 2 order by 1, 2
    """,
    # each post's day-7 views by its UTC publishing slot: fct_tiktok_posting_performance holds medians per format,
    # which do not add up, so the slot's median over every format is taken here from the posts (timing_grid)
    "slot_posts": """
        select business_id, weekday_utc, hour_utc, day_7_video_views
        from marts.fct_tiktok_post_timing
        where published_at is not null
    """,
    # the followers active in each UTC weekday and hour: each account's average over its stored days of that
    # weekday (as fct_tiktok_posting_performance.average_active_followers), summed over the accounts
    "slot_audience": """
        with per_account as (
            select
                business_id,
                cast(extract(isodow from activity_date) as integer) as weekday_utc,
                hour_utc,
                avg(active_followers) as active_followers
            from marts.fct_tiktok_audience_activity_hourly
            group by 1, 2, 3
        )
        select weekday_utc, hour_utc, sum(active_followers) as active_followers
        from per_account group by 1, 2 order by 1, 2
    """,
    # the views and engagements each label's posts gained per day, over every account (a label is the team's)
    "labels": """
        select label, cast(snapshot_date as varchar) as snapshot_date, video_views_gained, engagements_gained
        from marts.fct_tiktok_label_daily
        order by 1, 2
    """,
    # each account's newest day: its trailing-30-day figures beside its category's averages, or why there are none
    "benchmarks": """
        with newest as (
            select business_id, max(metric_date) as metric_date
            from marts.fct_tiktok_account_benchmarks group by 1
        )
        select
            a.username, cast(b.metric_date as varchar) as metric_date, b.metric_days, b.business_category,
            b.engagement_rate_30d, b.category_average_engagement_rate,
            b.video_views_30d, b.category_average_video_views_30d,
            b.videos_posted_30d, b.category_average_videos_posted_30d,
            b.likes_per_video_30d, b.category_average_likes_per_video,
            b.no_benchmark_reason
        from marts.fct_tiktok_account_benchmarks as b
        join newest using (business_id, metric_date)
        join marts.dim_tiktok_accounts as a using (business_id)
        order by 1
    """,
    # the anomalies of the newest 14 days of the mart (the days up to 13 before its newest, which is the data's
    # newest day, not today: a report of old data still shows its last two weeks)
    "anomalies": """
        select
            a.username, cast(m.metric_date as varchar) as metric_date, m.metric, m.metric_value, m.history_median,
            m.robust_score, m.direction
        from marts.fct_tiktok_account_metric_anomalies as m join marts.dim_tiktok_accounts as a using (business_id)
        where m.is_anomaly
            and m.metric_date > (select max(metric_date) - 14 from marts.fct_tiktok_account_metric_anomalies)
        order by m.metric_date desc, a.username, m.metric
    """,
}
QUEUE_AGES = ("< 1 day", "1-3 days", "3-7 days", "> 7 days")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ANOMALY_DAYS = 14
TOP_LABELS = 8  # the labels with the most views gained get a line each; more would not be readable
# (title, the account's column, the category's column): the figures the benchmark chart compares
BENCHMARK_FIGURES = (
    ("engagement rate", "engagement_rate_30d", "category_average_engagement_rate"),
    ("video views", "video_views_30d", "category_average_video_views_30d"),
    ("videos posted", "videos_posted_30d", "category_average_videos_posted_30d"),
    ("likes per video", "likes_per_video_30d", "category_average_likes_per_video"),
)


NO_DATA = "no data"
"""What the report shows wherever a value is NULL (missing is not zero, and never a crash)."""

NUMERIC_COLUMNS = {
    "daily": ("followers_total", "net_followers", "video_views", "engagement_rate"),
    "top_posts": ("video_views", "engagement_rate"),
    "countries": ("share",),
    "hours": ("hour_utc", "active_followers", "engagement_rate", "posts"),
    "mentions": ("mentioned_posts", "views"),
    "sentiment": ("share_positive", "share_negative", "comments_scored"),
    "reply_queue": ("comments", "oldest_hours"),
    "slot_posts": ("weekday_utc", "hour_utc", "day_7_video_views"),
    "slot_audience": ("weekday_utc", "hour_utc", "active_followers"),
    "labels": ("video_views_gained", "engagements_gained"),
    "benchmarks": ("metric_days", *(column for _, *columns in BENCHMARK_FIGURES for column in columns)),
    "anomalies": ("metric_value", "history_median", "robust_score"),
}
"""The numeric columns of each query: a NULL becomes NaN, which charts leave out (a gap, no bar)."""


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _label(value: object) -> str:
    """Text for a label: NULL (None, NaN, NaT) reads "no data"."""
    return NO_DATA if value is None or bool(pd.isna(value)) else str(value)


def _no_data(ax: plt.Axes, values: pd.Series) -> bool:
    """Write "no data" across an empty chart; True when there is nothing to draw."""
    if values.notna().any():
        return False
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", transform=ax.transAxes, color="#777", fontsize=14)
    return True


def _by_day(fig: plt.Figure) -> None:
    """Date axes ticked by whole days ("Nov 10"; at most about 8 ticks), never by hours, slanted so that they do
    not overlap."""
    for ax in fig.axes:
        low, high = ax.get_xlim()  # in days
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, math.ceil((high - low) / 8))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    fig.autofmt_xdate()


def clean(data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The query results with every NULL made explicit: numbers as floats (NULL -> NaN), labels as text."""
    cleaned = {}
    for name, frame in data.items():
        frame = frame.copy()
        for column in NUMERIC_COLUMNS.get(name, ()):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        for column in ("username", "caption", "country", "label", "metric", "direction"):
            if column in frame:
                frame[column] = frame[column].map(_label)
        for column in ("metric_date", "snapshot_date", "comment_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
                frame = frame[frame[column].notna()]
        cleaned[name] = frame
    return cleaned


def render_charts(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Chart title -> base64 PNG. A NULL is left out of its chart; a chart without any value says "no data"."""
    data = clean(data)
    charts = {}
    daily = data["daily"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for username, rows in daily.groupby("username"):
        top.plot(rows["metric_date"], rows["followers_total"], marker=".", label=f"@{username}")
        known = rows[rows["net_followers"].notna()]
        bottom.bar(known["metric_date"], known["net_followers"], alpha=0.6, label=f"@{username}")
    if not _no_data(top, daily["followers_total"]):
        top.legend(fontsize=8)
        top.set_yscale(follower_scale(daily["followers_total"]))
    if not _no_data(bottom, daily["net_followers"]):
        bottom.legend(fontsize=8)
    top.set_ylabel("followers (log scale)" if top.get_yscale() == "log" else "followers")
    bottom.set_ylabel("net followers per day")
    bottom.axhline(0, color="#999", linewidth=0.8)
    _by_day(fig)
    charts["Followers and net growth"] = _png(fig)

    fig, left = plt.subplots(figsize=(9, 4))
    # min_count=1: a day whose views are all NULL stays NULL (no bar), not 0
    per_day = daily.groupby("metric_date")["video_views"].sum(min_count=1).dropna().reset_index()
    left.bar(per_day["metric_date"], per_day["video_views"], color="#7aa6c2")
    _no_data(left, daily["video_views"])
    left.set_ylabel("video views (all accounts)")
    right = left.twinx()
    for username, rows in daily.groupby("username"):
        right.plot(rows["metric_date"], rows["engagement_rate"], marker=".", label=f"@{username}")
    if daily["engagement_rate"].notna().any():
        right.legend(fontsize=8)
    right.set_ylabel("engagement rate")
    _by_day(fig)
    charts["Views and engagement rate by day"] = _png(fig)

    top_posts = data["top_posts"].iloc[::-1]
    top_posts = top_posts[top_posts["video_views"].notna()]
    fig, ax = plt.subplots(figsize=(9, 4))
    labels = [f"@{u}: {c[:40]}" for u, c in zip(top_posts["username"], top_posts["caption"], strict=True)]
    ax.barh(labels, top_posts["video_views"], color="#c27a9e")
    _no_data(ax, top_posts["video_views"])
    ax.set_xlabel("lifetime video views")
    charts["Top posts"] = _png(fig)

    countries = data["countries"]
    countries = countries[countries["share"].notna()]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar(countries["country"], countries["share"], color="#8fc27a")
    _no_data(ax, countries["share"])
    ax.set_ylabel("share of followers (mean over accounts)")
    charts["Audience by country"] = _png(fig)

    hours = data["hours"]
    hours = hours[hours["hour_utc"].notna()]
    fig, left = plt.subplots(figsize=(9, 4))
    active = hours[hours["active_followers"].notna()]
    left.bar(active["hour_utc"], active["active_followers"], color="#c2b07a", label="active followers")
    _no_data(left, hours["active_followers"])
    left.set_xlabel("hour (UTC)")
    left.set_ylabel("active followers (sum)")
    right = left.twinx()
    right.plot(hours["hour_utc"], hours["engagement_rate"], color="#333", marker="o", label="engagement rate of posts")
    right.set_ylabel("engagement rate of posts published then")
    fig.legend(loc="upper left", fontsize=8)
    charts["Best posting hours against audience activity"] = _png(fig)

    mentions = data["mentions"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    for username, rows in mentions.groupby("username"):
        top.plot(rows["snapshot_date"], rows["mentioned_posts"], marker=".", label=f"@{username}")
        bottom.plot(rows["snapshot_date"], rows["views"], marker=".", label=f"@{username}")
    for ax, values in ((top, mentions["mentioned_posts"]), (bottom, mentions["views"])):
        if not _no_data(ax, values):
            ax.legend(fontsize=8)
    top.set_ylabel("posts mentioning the brand")
    bottom.set_ylabel("their views")
    _by_day(fig)
    charts["Brand mentions"] = _png(fig)

    sentiment = data["sentiment"]
    fig, ax = plt.subplots(figsize=(9, 4))
    for username, rows in sentiment.groupby("username"):
        line = ax.plot(rows["comment_date"], rows["share_negative"], marker=".", label=f"@{username} negative")
        ax.plot(rows["comment_date"], rows["share_positive"], linestyle="--", color=line[0].get_color(),
                label=f"@{username} positive")  # fmt: skip
    if not _no_data(ax, pd.concat([sentiment["share_negative"], sentiment["share_positive"]])):
        ax.legend(fontsize=8, ncol=2)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of scored comments")
    _by_day(fig)
    charts["Comment sentiment by day"] = _png(fig)

    queue = data["reply_queue"]
    queue = queue[queue["comments"].notna()]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    waiting = queue.pivot_table(index="username", columns="waiting", values="comments", aggfunc="sum")
    waiting = waiting.reindex(columns=[age for age in QUEUE_AGES if age in waiting.columns])
    left = pd.Series(0.0, index=waiting.index)
    for age in waiting.columns:
        counts = waiting[age].fillna(0)
        ax.barh([f"@{u}" for u in waiting.index], counts, left=left, label=f"waiting {age}")
        left += counts
    if not _no_data(ax, queue["comments"]):
        ax.legend(fontsize=8)
    ax.set_xlabel("comments waiting for the account's reply")
    charts["Reply queue"] = _png(fig)

    charts[TIMING_TITLE] = _timing_chart(data["slot_posts"], data["slot_audience"])
    charts["Label performance by day"] = _label_chart(data["labels"])
    charts[BENCHMARK_TITLE] = _benchmark_chart(data["benchmarks"])
    return charts


TIMING_TITLE = "Day-7 views by weekday and hour published (UTC) against audience activity"
BENCHMARK_TITLE = "Trailing 30 days against the category's average"


def timing_grid(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekday (rows, 1 = Monday) x UTC hour (columns 0-23): the median day-7 views of the posts published in the
    slot, each post's views as a multiple of its own account's median post (accounts of 20 and of 98,000 followers
    share the grid, and raw views would only show which account posted when), and how many posts that median is
    over. A post without day-7 views (younger than 7 days, a missing snapshot) or of an account whose median post
    has no views is left out; a slot without posts is NaN."""
    posts = posts[posts["day_7_video_views"].notna() & posts["weekday_utc"].notna() & posts["hour_utc"].notna()]
    account_median = posts.groupby("business_id")["day_7_video_views"].transform("median")
    posts = posts.assign(relative=posts["day_7_video_views"] / account_median.where(account_median > 0))
    posts = posts[posts["relative"].notna()]
    slots = posts.groupby(["weekday_utc", "hour_utc"])["relative"]
    full = {"index": range(1, 8), "columns": range(24)}
    median = slots.median().unstack().reindex(**full)
    counts = slots.count().unstack().reindex(**full)
    return median, counts


def _heatmap(ax: plt.Axes, grid: pd.DataFrame, cmap: str, label: str) -> None:
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    if _no_data(ax, pd.Series(grid.to_numpy().ravel())):
        return
    image = ax.imshow(grid.to_numpy(dtype="float64"), cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label=label, fraction=0.04, pad=0.01)


def _timing_chart(posts: pd.DataFrame, audience: pd.DataFrame) -> str:
    median, counts = timing_grid(posts)
    audience = audience[audience["weekday_utc"].notna() & audience["hour_utc"].notna()]
    active = audience.pivot_table(index="weekday_utc", columns="hour_utc", values="active_followers", aggfunc="sum")
    active = active.reindex(index=range(1, 8), columns=range(24))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    _heatmap(top, median, "viridis", "x the account's median post")
    for (weekday, hour), posts_in_slot in counts.stack().items():
        if posts_in_slot > 0:  # thin slots read as such: the number of posts the median is over
            top.text(hour, weekday - 1, f"{posts_in_slot:.0f}", ha="center", va="center", fontsize=6, color="#fff",
                     path_effects=[patheffects.withStroke(linewidth=1.5, foreground="#000")])  # fmt: skip
    top.set_title("median day-7 views of the posts published then (number of posts in the cell)", fontsize=9)
    _heatmap(bottom, active, "YlOrBr", "active followers")
    bottom.set_title("the audience: followers active then (each account's average day, summed)", fontsize=9)
    bottom.set_xlabel("hour published (UTC)")
    return _png(fig)


def _label_chart(labels: pd.DataFrame) -> str:
    """Per label and day (over every account): the views its posts gained, and their engagement rate (engagements
    gained / views gained, over the rows that know both)."""
    known = labels[labels["video_views_gained"].notna()]
    top_labels = known.groupby("label")["video_views_gained"].sum().nlargest(TOP_LABELS).index
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    for label in top_labels:
        rows = labels[labels["label"] == label]
        views = rows.groupby("snapshot_date")["video_views_gained"].sum(min_count=1)
        top.plot(views.index, views, marker=".", label=label)
        both = rows[rows["video_views_gained"].notna() & rows["engagements_gained"].notna()]
        sums = both.groupby("snapshot_date")[["engagements_gained", "video_views_gained"]].sum()
        rate = sums["engagements_gained"] / sums["video_views_gained"].where(sums["video_views_gained"] > 0)
        bottom.plot(rate.index, rate, marker=".", label=label)
    if not _no_data(top, labels["video_views_gained"]):
        top.legend(fontsize=8, ncol=2)
    rates_known = labels["engagements_gained"].where(labels["video_views_gained"] > 0)
    if not _no_data(bottom, rates_known):
        bottom.legend(fontsize=8, ncol=2)
    top.set_ylabel("views gained per day")
    bottom.set_ylabel("engagement rate")
    _by_day(fig)
    return _png(fig)


def benchmark_ratios(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Account (rows, by username) x figure: the account's trailing-30-day figure over its category's average
    (1 = the average). NaN where either is unknown or the average is 0 (no ratio to draw)."""
    ratios = pd.DataFrame(index=benchmarks["username"].to_numpy())
    for title, account, category in BENCHMARK_FIGURES:
        average = benchmarks[category].where(benchmarks[category] > 0)
        ratios[title] = (benchmarks[account] / average).to_numpy()
    return ratios


def _benchmark_chart(benchmarks: pd.DataFrame) -> str:
    ratios = benchmark_ratios(benchmarks)
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.9 * max(1, len(ratios))))
    height = 0.8 / len(BENCHMARK_FIGURES)
    for number, title in enumerate(ratios.columns):
        positions = [row + (number - (len(BENCHMARK_FIGURES) - 1) / 2) * height for row in range(len(ratios))]
        bars = ax.barh(positions, ratios[title].fillna(0), height=height, label=title)
        for bar, ratio in zip(bars, ratios[title], strict=True):
            if pd.notna(ratio):
                ax.text(bar.get_width(), bar.get_y() + height / 2, f" {ratio:.2f}x", va="center", fontsize=7)
    for row, known in enumerate(ratios.notna().any(axis=1)):
        if not known:  # the account's reason is in the table under the chart
            ax.text(0.01, row, "no benchmark (why: see below)", transform=ax.get_yaxis_transform(), va="center",
                    fontsize=8, color="#777")  # fmt: skip
    ax.set_yticks(range(len(ratios)), [f"@{username}" for username in ratios.index])
    ax.invert_yaxis()
    if not _no_data(ax, pd.Series(ratios.to_numpy().ravel())):
        ax.axvline(1, color="#333", linewidth=1, linestyle="--")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("the account's figure over its category's average (1 = the average)")
    return _png(fig)


def _number(value: object, rate: bool = False) -> str:
    """A figure for the tables: a rate as a percentage, a count with thousands separators, NULL as "no data"."""
    if value is None or pd.isna(value):
        return NO_DATA
    return f"{float(value):.2%}" if rate else f"{float(value):,.0f}" if abs(float(value)) >= 100 else f"{value:.3g}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def benchmark_table(benchmarks: pd.DataFrame) -> str:
    """Each account's newest day in figures, the account's beside its category's; an account without a benchmark
    says why (the mart's no_benchmark_reason) instead of a category."""
    benchmarks = clean({"benchmarks": benchmarks})["benchmarks"]
    if benchmarks.empty:
        return f"<p>Benchmarks: {NO_DATA}.</p>"
    rows = []
    for row in benchmarks.itertuples(index=False):
        reason = row.no_benchmark_reason
        category = f"no benchmark: {reason}" if isinstance(reason, str) and reason else _label(row.business_category)
        figures = tuple(
            f"{_number(getattr(row, account), 'rate' in title)} vs {_number(getattr(row, average), 'rate' in title)}"
            for title, account, average in BENCHMARK_FIGURES
        )
        days = NO_DATA if pd.isna(row.metric_days) else f"{row.metric_days:.0f}"
        rows.append((f"@{row.username}", category, f"{row.metric_date:%Y-%m-%d} ({days} of 30 days)", *figures))
    header = (
        "account",
        "category",
        "30 days to",
        *(f"{title}: account vs category" for title, *_ in BENCHMARK_FIGURES),
    )
    return _table(header, rows)


def anomaly_table(anomalies: pd.DataFrame) -> str:
    """The anomalies the query found in the newest 14 days, newest first, or a sentence saying there is none."""
    anomalies = clean({"anomalies": anomalies})["anomalies"]
    if anomalies.empty:
        return f"<p>No anomaly in the last {ANOMALY_DAYS} days.</p>"
    rows = [
        (
            f"{row.metric_date:%Y-%m-%d}",
            f"@{row.username}",
            row.metric,
            row.direction,
            _number(row.metric_value, row.metric == "engagement_rate"),
            _number(row.history_median, row.metric == "engagement_rate"),
            _number(row.robust_score),
        )
        for row in anomalies.itertuples(index=False)
    ]
    return _table(("day", "account", "metric", "direction", "value", "usual (28-day median)", "robust score"), rows)


def oldest_waiting(queue: pd.DataFrame) -> str:
    """The reply queue in words: how many comments wait, and for how long the oldest has (an empty queue is
    good news, not missing data: the mart holds every comment still waiting)."""
    queue = clean({"reply_queue": queue})["reply_queue"]
    known = queue[queue["comments"].notna()]
    if known.empty:
        return "No comment waits for a reply."
    return (
        f"{int(known['comments'].sum())} comments wait for a reply; the oldest for "
        f"{known['oldest_hours'].max() / 24:.1f} days."
    )


def follower_scale(totals: pd.Series) -> str:
    """A log scale when the accounts' sizes differ by more than 10x (a linear axis flattens the small ones to a
    line at 0) and every total is positive; else linear."""
    known = totals.dropna()
    if known.empty or (known <= 0).any():
        return "linear"
    return "log" if known.max() / known.min() > 10 else "linear"


def best_hours(hours: pd.DataFrame) -> str:
    """The three UTC hours with the most active followers, or "no data"."""
    hours = clean({"hours": hours})["hours"]
    known = hours[hours["hour_utc"].notna() & hours["active_followers"].notna()]
    best = known.sort_values("active_followers", ascending=False).head(3)["hour_utc"].tolist()
    return ", ".join(f"{int(h):02d}:00" for h in best) + " UTC" if best else NO_DATA


def render_report(data: dict[str, pd.DataFrame], generated_at: datetime) -> str:
    charts = render_charts(data)
    hours = best_hours(data["hours"])
    activity = f"Audience activity: {NO_DATA}." if hours == NO_DATA else f"Audience is most active at {hours}."
    activity += " " + oldest_waiting(data["reply_queue"])
    # what a chart needs beside it in words: the figures behind the benchmark ratios, and why an account has none
    notes = {BENCHMARK_TITLE: benchmark_table(data["benchmarks"])}
    sections = "\n".join(
        f"<section><h2>{html.escape(title)}</h2>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{png}">{notes.get(title, "")}</section>'
        for title, png in charts.items()
    )
    anomalies = (
        f"<section><h2>Anomalies of the last {ANOMALY_DAYS} days</h2>"
        "<p>Account metrics whose robust score against the 28 days before is beyond 3.5 either way "
        f"(docs/decisions.md, Metric anomalies).</p>{anomaly_table(data['anomalies'])}</section>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TikTok organic report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}}
img{{max-width:100%}}section{{margin-bottom:2em}}table{{border-collapse:collapse;font-size:0.85em}}
th,td{{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left}}</style></head>
<body><h1>TikTok organic report</h1>
<p>Generated {generated_at:%Y-%m-%d %H:%M} UTC from the published marts. {html.escape(activity)}</p>
{sections}
{anomalies}
</body></html>
"""


@dg.asset(
    group_name="tiktok_bi",
    kinds={"html", "python"},
    owners=ASSET_OWNERS,
    deps=[tiktok_marts_for_bi],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "The headline KPIs as charts (followers and net growth, views and engagement rate by day, top posts, "
        "audience by country, the best posting hours against audience activity, brand mentions, comment "
        "sentiment by day, the reply queue by age, day-7 views by weekday and hour published against audience "
        "activity, label performance by day, each account's trailing 30 days against its category's benchmark) "
        "and the metric anomalies of the last 14 days in one self-contained HTML "
        "file under $TIKTOK_DATA_DIR/reports/ (images embedded, no scripts: it works offline)."
    ),
)
def tiktok_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    report = render_report(warehouse.read_published_marts(QUERIES), datetime.now(UTC))
    target = atomic_write_text(data_dir() / "reports" / "tiktok_report.html", report)
    context.log.info(f"Report written to {target}")
    return dg.MaterializeResult(metadata={"report": file_link(target), "bytes": len(report.encode())})
