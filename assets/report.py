"""The headline report: the marts' key KPIs as charts in one self-contained HTML file (works offline)."""

import base64
import html
import io
from datetime import UTC, datetime

import dagster as dg
import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from assets.partitions import daily_partitions  # noqa: E402
from assets.publish import tiktok_marts_for_bi  # noqa: E402
from assets.warehouse import Warehouse  # noqa: E402
from tiktok_api.files import atomic_write_text  # noqa: E402
from tiktok_api.settings import data_dir  # noqa: E402

QUERIES = {
    "daily": """
        select a.username, d.metric_date, d.followers_total, d.net_followers, d.video_views, d.engagement_rate
        from marts.fct_tiktok_account_daily as d join marts.dim_tiktok_accounts as a using (business_id)
        order by a.username, d.metric_date
    """,
    "top_posts": """
        select a.username, v.caption, v.video_views, v.engagement_rate
        from marts.dim_tiktok_videos as v join marts.dim_tiktok_accounts as a using (business_id)
        order by v.video_views desc limit 10
    """,
    "countries": """
        select dimension_value as country, avg(share) as share
        from marts.fct_tiktok_account_audience
        where dimension = 'country'
          and snapshot_date = (select max(snapshot_date) from marts.fct_tiktok_account_audience)
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
}


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def render_charts(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Chart title -> base64 PNG."""
    charts = {}
    daily = data["daily"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for username, rows in daily.groupby("username"):
        top.plot(rows["metric_date"], rows["followers_total"], label=f"@{username}")
        bottom.bar(rows["metric_date"], rows["net_followers"], alpha=0.6, label=f"@{username}")
    top.set_ylabel("followers")
    top.legend(fontsize=8)
    bottom.set_ylabel("net followers per day")
    charts["Followers and net growth"] = _png(fig)

    fig, left = plt.subplots(figsize=(9, 4))
    per_day = daily.groupby("metric_date").agg(video_views=("video_views", "sum")).reset_index()
    left.bar(per_day["metric_date"], per_day["video_views"], color="#7aa6c2")
    left.set_ylabel("video views (all accounts)")
    right = left.twinx()
    for username, rows in daily.groupby("username"):
        right.plot(rows["metric_date"], rows["engagement_rate"], marker=".", label=f"@{username}")
    right.set_ylabel("engagement rate")
    right.legend(fontsize=8)
    fig.autofmt_xdate()
    charts["Views and engagement rate by day"] = _png(fig)

    top_posts = data["top_posts"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 4))
    labels = [f"@{u}: {str(c)[:40]}" for u, c in zip(top_posts["username"], top_posts["caption"], strict=True)]
    ax.barh(labels, top_posts["video_views"], color="#c27a9e")
    ax.set_xlabel("lifetime video views")
    charts["Top posts"] = _png(fig)

    countries = data["countries"]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar(countries["country"], countries["share"], color="#8fc27a")
    ax.set_ylabel("average share of followers")
    charts["Audience by country"] = _png(fig)

    hours = data["hours"]
    fig, left = plt.subplots(figsize=(9, 4))
    left.bar(hours["hour_utc"], hours["active_followers"], color="#c2b07a", label="active followers")
    left.set_xlabel("hour (UTC)")
    left.set_ylabel("active followers (sum)")
    right = left.twinx()
    right.plot(hours["hour_utc"], hours["engagement_rate"], color="#333", marker="o", label="engagement rate of posts")
    right.set_ylabel("engagement rate of posts published then")
    fig.legend(loc="upper left", fontsize=8)
    charts["Best posting hours against audience activity"] = _png(fig)
    return charts


def render_report(data: dict[str, pd.DataFrame], generated_at: datetime) -> str:
    charts = render_charts(data)
    best = data["hours"].sort_values("active_followers", ascending=False).head(3)["hour_utc"].tolist()
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
<p>Generated {generated_at:%Y-%m-%d %H:%M} UTC from the published marts. Audience is most active at
{", ".join(f"{h:02d}:00" for h in best)} UTC.</p>
{sections}
</body></html>
"""


@dg.asset(
    group_name="tiktok_bi",
    kinds={"html", "python"},
    deps=[tiktok_marts_for_bi],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "The headline KPIs as charts (followers and net growth, views and engagement rate by day, top posts, "
        "audience by country, the best posting hours against audience activity) in one self-contained HTML "
        "file under $TIKTOK_DATA_DIR/reports/ (images embedded, no scripts: it works offline)."
    ),
)
def tiktok_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    report = render_report(warehouse.read_published_marts(QUERIES), datetime.now(UTC))
    target = atomic_write_text(data_dir() / "reports" / "tiktok_report.html", report)
    context.log.info(f"Report written to {target}")
    return dg.MaterializeResult(metadata={"report": dg.MetadataValue.path(str(target)), "bytes": len(report.encode())})
