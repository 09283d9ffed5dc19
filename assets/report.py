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
}
QUEUE_AGES = ("< 1 day", "1-3 days", "3-7 days", "> 7 days")


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
        for column in ("username", "caption", "country"):
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
    return charts


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
    sections = "\n".join(
        f"<section><h2>{html.escape(title)}</h2>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{png}"></section>'
        for title, png in charts.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TikTok organic report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}}
img{{max-width:100%}}section{{margin-bottom:2em}}</style></head>
<body><h1>TikTok organic report</h1>
<p>Generated {generated_at:%Y-%m-%d %H:%M} UTC from the published marts. {html.escape(activity)}</p>
{sections}
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
        "sentiment by day, the reply queue by age) in one self-contained HTML "
        "file under $TIKTOK_DATA_DIR/reports/ (images embedded, no scripts: it works offline)."
    ),
)
def tiktok_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    report = render_report(warehouse.read_published_marts(QUERIES), datetime.now(UTC))
    target = atomic_write_text(data_dir() / "reports" / "tiktok_report.html", report)
    context.log.info(f"Report written to {target}")
    return dg.MaterializeResult(metadata={"report": file_link(target), "bytes": len(report.encode())})
