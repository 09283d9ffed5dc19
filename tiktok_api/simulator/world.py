"""The simulator's world: deterministic accounts, posts, comments and metrics as functions of time.

Nothing here is stored per day: every number is a pure function of (seed, account, post, time), so the
world is the same for a given seed whatever order it is asked in, and any simulated "now" can be served.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from tiktok_api import contract

DAY = 86_400.0
CDN = "https://p16-sign.tiktokcdn.com"  # media URLs are temporary: they carry x-expires
HORIZON_END = datetime(2031, 1, 1, tzinfo=UTC).timestamp()  # posts are generated up to here

COUNTRIES = ("US", "GB", "DE", "FR", "CA", "AU", "BR", "MX", "IN", "ES", "IT", "NL", "JP", "PL", "SE")
CITIES = (
    "New York", "London", "Los Angeles", "Berlin", "Paris", "Toronto", "Sydney", "Sao Paulo",
    "Mexico City", "Madrid", "Chicago", "Manchester", "Hamburg", "Lyon", "Melbourne",
)  # fmt: skip
WORDS = (
    "coffee", "morning", "recipe", "behind", "the", "scenes", "new", "drop", "tutorial", "quick",
    "tips", "studio", "launch", "day", "in", "life", "try", "this", "love", "team", "wow", "best",
)  # fmt: skip
HASHTAGS = ("fyp", "foryou", "smallbusiness", "tutorial", "behindthescenes", "coffee", "diy", "viral")


def unit(seed: int, *key: object) -> float:
    """A deterministic number in [0, 1) for a key: the world's only source of randomness."""
    digest = hashlib.blake2b(repr((seed, *key)).encode(), digest_size=8).digest()
    return struct.unpack(">Q", digest)[0] / 2**64


def rng(seed: int, *key: object) -> random.Random:
    return random.Random(int(unit(seed, *key) * 2**53))


def digits19(seed: int, *key: object) -> str:
    """A 19-digit id starting with 7, like TikTok's: above 2**53, so a float would corrupt it."""
    return "7" + str(int(unit(seed, "id", *key) * 10**18)).zfill(18)


def hex_id(seed: int, *key: object, length: int = 32) -> str:
    return hashlib.blake2b(repr((seed, "hex", *key)).encode(), digest_size=length // 2).hexdigest()


def day_start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def _publication_lag(fraction: float) -> float:
    """Seconds between the contract's minimum and maximum publication lag, `fraction` of the way."""
    low, high = contract.PUBLICATION_LAG_MIN_HOURS * 3600, contract.PUBLICATION_LAG_MAX_HOURS * 3600
    return low + (high - low) * fraction


def utc_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def gender_shares(r: random.Random) -> list[dict[str, object]]:
    """Female, Male, Other: Other is a small share; the three sum to 1."""
    other = round(r.uniform(0.005, 0.05), 4)
    female, male = fractions(r, 2, round(1 - other, 4), 6.0)
    return [{"gender": g, "percentage": s} for g, s in zip(contract.GENDERS, (female, male, other), strict=True)]


def fractions(r: random.Random, n: int, total: float = 1.0, concentration: float = 1.0) -> list[float]:
    """n shares rounded to 4 decimals that add up to `total` exactly (up to float rounding)."""
    raw = [r.gammavariate(concentration, 1.0) + 1e-6 for _ in range(n)]
    s = sum(raw)
    shares = [round(x / s * total, 4) for x in raw]
    biggest = max(range(n), key=lambda i: shares[i])
    shares[biggest] = round(shares[biggest] + round(total - sum(shares), 4), 4)
    return shares


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountSpec:
    index: int
    business_id: str
    username: str
    display_name: str
    is_business: bool
    created_at: float
    base_followers: int
    new_per_day: float
    lost_per_day: float
    posts_per_day: float
    viral_every: int  # every n-th post gathers hundreds of comments (0: never)
    views_scale: float


def demo_accounts(seed: int, count: int) -> list[AccountSpec]:
    """The demo accounts differ the way real ones do; accounts past the fourth are random."""
    ts = lambda y, m, d: datetime(y, m, d, tzinfo=UTC).timestamp()  # noqa: E731
    fixed = [
        # username, display, business, created, followers, new/day, lost/day, posts/day, viral, views
        (
            "acme_coffee",
            "ACME Coffee Roasters",
            True,
            ts(2024, 3, 1),
            20_000,
            120.0,
            40.0,
            0.36,
            60,
            40_000.0,
        ),
        ("jules.makes", "Jules Makes Things", False, ts(2025, 1, 10), 2_000, 25.0, 10.0, 0.1, 0, 4_000.0),
        ("tiny_bakery", "Tiny Bakery", True, ts(2026, 5, 1), 20, 0.12, 0.04, 0.05, 0, 150.0),
        ("new_studio", "New Studio", True, ts(2026, 9, 1), 5, 0.05, 0.02, 0.0, 0, 100.0),
    ]
    accounts = []
    for i in range(count):
        if i < len(fixed):
            username, display, business, created, followers, new, lost, ppd, viral, views = fixed[i]
        else:
            r = rng(seed, "account", i)
            username, display = f"brand_{i:03d}", f"Brand {i:03d}"
            business = r.random() < 0.7
            created = ts(2023, 1, 1) + r.random() * 2 * 365 * DAY
            followers = int(math.exp(r.uniform(math.log(500), math.log(100_000))))
            new, lost = followers * r.uniform(0.002, 0.01), followers * r.uniform(0.0005, 0.003)
            ppd, viral, views = r.uniform(0.15, 0.5), r.choice([0, 0, 80]), followers * r.uniform(0.5, 3)
        accounts.append(
            AccountSpec(
                index=i,
                business_id=f"{hex_id(seed, 'open_id', i, length=8)}-{hex_id(seed, 'open_id2', i, length=24)}",
                username=username,
                display_name=display,
                is_business=business,
                created_at=created,
                base_followers=followers,
                new_per_day=new,
                lost_per_day=lost,
                posts_per_day=ppd,
                viral_every=viral,
                views_scale=views,
            )
        )
    return accounts


# ---------------------------------------------------------------- posts


@dataclass
class Post:
    account: AccountSpec
    ordinal: int  # 0 = the account's first post
    item_id: str
    create_time: int  # epoch seconds
    media_type: str
    is_ad: bool
    caption: str
    duration: float
    final_views: int
    active_days: float  # views and comments accrue over this span, then stop
    rates: dict[str, float]
    comment_count_final: int
    seed: int

    @property
    def tau(self) -> float:
        return max(self.active_days / 3.0, 0.25)

    def progress(self, ts: float) -> float:
        """Share of the post's lifetime totals reached at ts: saturating, 1 after the active span."""
        age = (ts - self.create_time) / DAY
        if age <= 0:
            return 0.0
        if age >= self.active_days:
            return 1.0
        return (1 - math.exp(-age / self.tau)) / (1 - math.exp(-self.active_days / self.tau))

    def time_at_progress(self, p: float) -> float:
        """Inverse of progress: when the post reached share p (0 < p <= 1)."""
        k = 1 - math.exp(-self.active_days / self.tau)
        age = -self.tau * math.log(1 - p * k) if p < 1 else self.active_days
        return self.create_time + age * DAY

    def is_inactive(self, ts: float) -> bool:
        return (ts - self.create_time) / DAY > self.active_days + contract.VIDEO_INACTIVE_DAYS

    @cached_property
    def comments(self) -> list[Comment]:
        return build_comments(self)

    @cached_property
    def comment_times(self) -> list[int]:
        """Creation times of every comment and reply: the post's `comments` metric counts both."""
        times = []
        for c in self.comments:
            times.append(c.create_time)
            times.extend(reply.create_time for reply in c.replies)
        return sorted(times)

    def comment_count(self, ts: float) -> int:
        return bisect.bisect_right(self.comment_times, ts)

    def views(self, ts: float) -> int:
        return int(self.final_views * self.progress(ts))

    def likes(self, ts: float) -> int:
        """Lifetime likes without building the comments (profile totals need only this)."""
        ts = min(ts, self.create_time + contract.VIDEO_METRICS_FREEZE_DAYS * DAY)
        return int(self.views(ts) * self.rates["likes"])

    def metrics(self, ts: float) -> dict[str, float | int]:
        """Lifetime metrics as of ts; frozen once the post is 365 days old."""
        ts = min(ts, self.create_time + contract.VIDEO_METRICS_FREEZE_DAYS * DAY)
        v = self.views(ts)
        r = self.rates
        avg = round(self.duration * r["watch"], 2)
        out: dict[str, float | int] = {
            "video_duration": self.duration,
            "video_views": v,
            "reach": int(v * r["reach"]),
            "likes": int(v * r["likes"]),
            "comments": self.comment_count(ts),
            "shares": int(v * r["shares"]),
            "favorites": int(v * r["favorites"]),
            "total_time_watched": round(v * avg, 2),
            "average_time_watched": avg if v else 0.0,
            "full_video_watched_rate": r["completion"] if v else 0.0,
            "new_followers": int(v * r["follows"]),
            "profile_views": int(v * r["profile"]),
        }
        if self.account.is_business:
            out |= {
                "website_clicks": int(v * r["clicks"]),
                "phone_number_clicks": int(v * r["clicks"] / 8),
                "lead_submissions": int(v * r["clicks"] / 12),
                "app_download_clicks": int(v * r["clicks"] / 5),
                "email_clicks": int(v * r["clicks"] / 10),
                "address_clicks": int(v * r["clicks"] / 15),
            }
        return out

    @cached_property
    def breakdowns(self) -> dict[str, list[dict]]:
        r = rng(self.seed, "breakdowns", self.item_id)
        countries = r.sample(COUNTRIES, 10)
        cities = r.sample(CITIES, 10)
        new_viewer = round(r.uniform(0.3, 0.9), 4)
        follower = round(r.uniform(0.05, 0.6), 4)
        seconds = max(1, min(int(self.duration), 60))
        retention, level = [], 1.0
        for s in range(seconds + 1):
            retention.append({"second": str(s), "percentage": round(level, 4)})
            level *= r.uniform(0.88, 0.995)
        return {
            "impression_sources": [
                {"impression_source": name, "percentage": share}
                for name, share in zip(
                    contract.IMPRESSION_SOURCES, fractions(r, len(contract.IMPRESSION_SOURCES)), strict=True
                )
            ],
            "audience_countries": [
                {"country": c, "percentage": s}
                for c, s in zip(countries, fractions(r, 10, r.uniform(0.85, 0.99), 0.7), strict=True)
            ],
            "audience_cities": [
                {"city_name": c, "percentage": s}
                for c, s in zip(cities, fractions(r, 10, r.uniform(0.3, 0.6), 0.7), strict=True)
            ],
            "audience_genders": gender_shares(r),
            "audience_types": [
                {"type": "NEW_VIEWER", "percentage": new_viewer},
                {"type": "RETURN_VIEWER", "percentage": round(1 - new_viewer, 4)},
                {"type": "FOLLOWER_PERCENT", "percentage": follower},
                {"type": "NON_FOLLOWER_PERCENT", "percentage": round(1 - follower, 4)},
            ],
            "video_view_retention": retention,
            "engagement_likes": [
                {"second": str(s), "percentage": p} for s, p in enumerate(fractions(r, seconds + 1, 1.0, 0.8))
            ],
        }

    def attributes(self, now: float) -> dict[str, object]:
        handle = self.account.username
        return {
            "item_id": self.item_id,
            "create_time": str(self.create_time),  # the API sends epoch seconds as a string
            "caption": self.caption,
            "media_type": self.media_type,
            "is_ad": self.is_ad,
            # temporary URL, like the real CDN links
            "thumbnail_url": f"{CDN}/obj/{self.item_id}.jpeg?x-expires={int(now) + 3 * 86400}",
            "share_url": f"https://www.tiktok.com/@{handle}/video/{self.item_id}",
            "embed_url": f"https://www.tiktok.com/embed/v2/{self.item_id}",
        }

    def to_api(self, fields: list[str], now: float, as_of: float) -> dict[str, object]:
        """The post as /business/video/list/ sends it: only the requested fields, perishables dropped."""
        values: dict[str, object] = self.attributes(now) | self.metrics(as_of) | self.breakdowns
        inactive = self.is_inactive(as_of)
        out: dict[str, object] = {}
        for name in fields:
            if name not in values or (inactive and name in contract.VIDEO_PERISHABLE_FIELDS):
                continue  # absent, not zero
            out[name] = values[name]
        return out


def build_posts(seed: int, account: AccountSpec) -> list[Post]:
    if account.posts_per_day <= 0:
        return []
    r = rng(seed, "posts", account.index)
    posts: list[Post] = []
    t = account.created_at + r.uniform(0.2, 3) * DAY
    ordinal = 0
    while t < HORIZON_END:
        pr = rng(seed, "post", account.index, ordinal)
        viral = account.viral_every > 0 and ordinal % account.viral_every == account.viral_every // 2
        media = "PHOTO" if pr.random() < 0.15 else "VIDEO"
        duration = round(pr.uniform(6, 20), 1) if media == "PHOTO" else round(pr.uniform(7, 180), 3)
        final_views = int(account.views_scale * math.exp(pr.gauss(0, 0.9)) * (20 if viral else 1)) + 1
        active_days = pr.choice([3, 5, 10, 20, 45, 90, 180, 365]) * pr.uniform(0.7, 1.0)
        comment_rate = pr.uniform(0.0002, 0.0012)
        comments_final = pr.randint(800, 1100) if viral else int(final_views * comment_rate)
        if viral:
            active_days = max(active_days, 60)
        tags = " ".join("#" + h for h in pr.sample(HASHTAGS, pr.randint(0, 3)))
        caption = " ".join(pr.choice(WORDS) for _ in range(pr.randint(3, 9)))
        posts.append(
            Post(
                account=account,
                ordinal=ordinal,
                item_id=digits19(seed, "post", account.index, ordinal),
                create_time=int(t),
                media_type=media,
                is_ad=pr.random() < 0.05,
                caption=f"{caption} {tags}".strip(),
                duration=duration,
                final_views=final_views,
                active_days=active_days,
                rates={
                    "reach": pr.uniform(0.55, 0.9),
                    "likes": pr.uniform(0.02, 0.12),
                    "shares": pr.uniform(0.001, 0.01),
                    "favorites": pr.uniform(0.002, 0.02),
                    "watch": pr.uniform(0.25, 0.85),
                    "completion": round(pr.uniform(0.05, 0.5), 4),
                    "follows": pr.uniform(0.0005, 0.004),
                    "profile": pr.uniform(0.005, 0.03),
                    "clicks": pr.uniform(0.0005, 0.003),
                },
                comment_count_final=comments_final,
                seed=seed,
            )
        )
        ordinal += 1
        # distinct whole seconds, so the millisecond cursor never splits a tie
        t = int(t) + max(60, int(r.expovariate(account.posts_per_day) * DAY))
    return posts


# ---------------------------------------------------------------- comments


@dataclass
class Comment:
    comment_id: str
    video_id: str
    parent_comment_id: str | None
    user_id: str
    username: str
    display_name: str
    text: str
    image_url: str | None
    create_time: int
    likes: int
    owner: bool
    liked: bool
    pinned: bool
    hidden: bool
    replies: list[Comment] = field(default_factory=list)

    def to_api(self, now: float, include_replies: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "comment_id": self.comment_id,
            "video_id": self.video_id,
            "user_id": self.user_id,
            "unique_identifier": self.username,
            "username": self.username,
            "display_name": self.display_name,
            "profile_image": f"{CDN}/avatar/{self.user_id}.jpeg?x-expires={int(now) + 86400}",
            "text": self.text,
            "create_time": str(self.create_time),
            "likes": self.likes,
            "replies": sum(1 for r in self.replies if r.create_time <= now),
            "owner": self.owner,
            "liked": self.liked,
            "pinned": self.pinned,
            "status": "HIDDEN" if self.hidden else "PUBLIC",
        }
        if self.image_url:
            out["image_url"] = self.image_url
        if self.parent_comment_id:
            out["parent_comment_id"] = self.parent_comment_id
        if include_replies:
            visible = [r for r in self.replies if r.create_time <= now]
            out["reply_list"] = [r.to_api(now) for r in visible[: contract.COMMENT_INLINE_REPLIES]]
        return out


# What commenters write (issue 17): English praise, complaints and questions, other languages, emoji alone,
# nothing (an image), with the emoji TikTok comments carry. Drawn from their own key, so that every other draw of
# a comment (its author, likes, thread) is the same as before the texts were varied.
COMMENT_TEXTS = {
    "en_positive": (
        "love this so much", "best coffee in town", "this is amazing, thank you", "great tips, thanks!",
        "obsessed with this", "you made my day", "so good", "need this in my life", "wow, beautiful work",
    ),
    "en_negative": (
        "this is terrible", "worst order ever, never again", "I hate the new version", "so disappointed",
        "my package arrived broken and nobody answers", "this looks awful", "waste of money",
    ),
    "en_neutral": (
        "where did you buy that mug?", "what time do you open tomorrow?", "is this available in Canada?",
        "which grinder is that", "first time seeing this", "how long does shipping take",
    ),
    "other": (
        "me encanta este video", "qué rico se ve, ¿dónde queda la tienda?", "no me gustó nada, muy caro",
        "das sieht richtig lecker aus", "wo kann man das kaufen?", "leider total enttäuschend",
        "c'est magnifique, merci beaucoup", "trop bien, je veux essayer", "adorei esse vídeo, muito bom",
        "quanto custa isso?",
    ),
}  # fmt: skip
COMMENT_EMOJI = ("😍", "🔥", "👏", "😂", "❤️", "🙌", "😡", "😢", "👍", "✨")
COMMENT_KINDS = (  # (kind, cumulative probability)
    ("en_positive", 0.30), ("en_negative", 0.42), ("en_neutral", 0.60), ("other", 0.78), ("emoji", 0.90),
    ("words", 0.96), ("empty", 1.0),
)  # fmt: skip


def comment_text(seed: int, item_id: str, index: int, words: str) -> str:
    """The text of a post's `index`-th comment; `words` is the word list drawn before texts varied ("words")."""
    r = rng(seed, "comment_text", item_id, index)
    draw = r.random()
    kind = next(kind for kind, upto in COMMENT_KINDS if draw < upto)
    if kind == "empty":
        return ""
    if kind == "words":
        return words
    if kind == "emoji":
        return "".join(r.choice(COMMENT_EMOJI) for _ in range(r.randint(1, 4)))
    text = r.choice(COMMENT_TEXTS[kind])
    return text + " " + r.choice(COMMENT_EMOJI) if r.random() < 0.3 else text


def build_comments(post: Post) -> list[Comment]:
    """Top-level comments (oldest first), each with its replies; arrival follows the post's views."""
    n = post.comment_count_final
    r = rng(post.seed, "comments", post.item_id)
    top: list[Comment] = []
    for i in range(n):
        created = int(post.time_at_progress((i + 1) / (n + 1)))
        is_reply = bool(top) and r.random() < 0.25
        owner = r.random() < (0.3 if is_reply else 0.02)
        user = post.account.username if owner else f"user{int(r.random() * 10**8):08d}"
        comment = Comment(
            comment_id=digits19(post.seed, "comment", post.item_id, i),
            video_id=post.item_id,
            parent_comment_id=None,
            user_id=hex_id(post.seed, "user", user, length=16),
            username=user,
            display_name=post.account.display_name if owner else user.title(),
            text=comment_text(post.seed, post.item_id, i, " ".join(r.choice(WORDS) for _ in range(r.randint(1, 12)))),
            image_url=f"{CDN}/img/{i}.jpeg" if r.random() < 0.03 else None,
            create_time=created,
            likes=int(r.expovariate(0.2)),
            owner=owner,
            liked=r.random() < 0.1,
            pinned=False,
            hidden=r.random() < 0.02,
        )
        if is_reply:
            parent = top[int(r.random() * len(top))]
            comment.parent_comment_id = parent.comment_id
            parent.replies.append(comment)
        else:
            top.append(comment)
    if top:
        top[int(r.random() * len(top))].pinned = True
    return top


# ---------------------------------------------------------------- the world


class World:
    def __init__(self, seed: int = 42, accounts: int = 4, posts_per_day: float | None = None):
        self.seed = seed
        self.accounts = demo_accounts(seed, accounts)
        if posts_per_day is not None:  # the benchmark's scale knob
            self.accounts = [
                AccountSpec(**{**a.__dict__, "posts_per_day": posts_per_day}) if a.posts_per_day > 0 else a
                for a in self.accounts
            ]
        self.by_id = {a.business_id: a for a in self.accounts}
        self._posts: dict[int, list[Post]] = {}
        self._daily_cache: dict[tuple[int, date], dict[str, int]] = {}
        self._follower_totals: dict[int, list[int]] = {}  # end-of-day totals from the creation day on

    def posts(self, account: AccountSpec) -> list[Post]:
        if account.index not in self._posts:
            self._posts[account.index] = build_posts(self.seed, account)
        return self._posts[account.index]

    def visible_posts(self, account: AccountSpec, now: float) -> list[Post]:
        posts = self.posts(account)
        return posts[: bisect.bisect_right([p.create_time for p in posts], now)]

    def find_post(self, account: AccountSpec, item_id: str, now: float) -> Post | None:
        return next((p for p in self.visible_posts(account, now) if p.item_id == item_id), None)

    # --- followers
    def follower_day(self, account: AccountSpec, d: date) -> tuple[int, int]:
        """(new, lost) followers on day d."""
        r = rng(self.seed, "followers", account.index, d.toordinal())
        new = _count(r, account.new_per_day)
        lost = _count(r, account.lost_per_day)
        return new, lost

    def followers_at_end_of(self, account: AccountSpec, d: date) -> int:
        start = utc_date(account.created_at)
        if d < start:
            return 0
        totals = self._follower_totals.setdefault(account.index, [])
        while len(totals) <= (d - start).days:  # extend the prefix sums as far as asked
            new, lost = self.follower_day(account, start + timedelta(days=len(totals)))
            totals.append(max(0, (totals[-1] if totals else account.base_followers) + new - lost))
        return totals[(d - start).days]

    def followers_now(self, account: AccountSpec, now: float) -> int:
        today = utc_date(now)
        before = self.followers_at_end_of(account, today - timedelta(days=1))
        new, lost = self.follower_day(account, today)
        share = (now - day_start(today)) / DAY
        return max(0, before + int((new - lost) * share))

    # --- account daily metrics
    def metrics_lag(self, account: AccountSpec, d: date) -> float:
        """Seconds after the end of day d at which its metrics appear: within the contract's publication lag."""
        return _publication_lag(unit(self.seed, "lag", account.index, d.toordinal()))

    def post_metrics_lag(self, account: AccountSpec) -> float:
        """How far post metrics lag the clock: within the publication lag, fixed per account so totals never
        step back."""
        return _publication_lag(unit(self.seed, "post-lag", account.index))

    def metrics_available(self, account: AccountSpec, d: date, now: float) -> bool:
        return now >= day_start(d) + DAY + self.metrics_lag(account, d)

    def daily_metrics(self, account: AccountSpec, d: date, now: float) -> dict[str, object]:
        key = (account.index, d)
        if key not in self._daily_cache:
            self._daily_cache[key] = self._daily_totals(account, d)
        base = self._daily_cache[key]
        # Fresh days are provisional and revised later: why a fetch re-reads a look-back window.
        revise = 0.97 if now < day_start(d) + 4 * DAY else 1.0
        views = int(base["video_views"] * revise)
        new, lost = self.follower_day(account, d)
        r = rng(self.seed, "daily", account.index, d.toordinal())
        engaged = int(views * 0.08 * r.uniform(0.5, 1.5))
        out: dict[str, object] = {
            "date": d.isoformat(),
            "video_views": views,
            "unique_video_views": int(views * r.uniform(0.55, 0.85)),
            "profile_views": int(views * r.uniform(0.005, 0.03)),
            "likes": int(base["likes"] * revise),
            "comments": base["comments"],
            "shares": int(base["shares"] * revise),
            "followers_count": self.followers_at_end_of(account, d),
            "daily_new_followers": new,
            "daily_lost_followers": lost,
            "daily_total_followers": new - lost,
            "engaged_audience": engaged,
            "audience_activity": self._activity(account, d, engaged),
        }
        if account.is_business:
            out |= {
                "bio_link_clicks": int(views * r.uniform(0.0005, 0.004)),
                "email_clicks": int(views * r.uniform(0, 0.0005)),
                "address_clicks": int(views * r.uniform(0, 0.0003)),
                "phone_number_clicks": int(views * r.uniform(0, 0.0003)),
                "app_download_clicks": int(views * r.uniform(0, 0.0008)),
                "lead_submissions": int(views * r.uniform(0, 0.0002)),
            }
        return out

    def _daily_totals(self, account: AccountSpec, d: date) -> dict[str, int]:
        start, end = day_start(d), day_start(d) + DAY
        totals = {"video_views": 0, "likes": 0, "comments": 0, "shares": 0}
        for p in self.visible_posts(account, end):
            if p.progress(start) >= 1.0:
                continue
            m_end, m_start = p.metrics(end), p.metrics(start)
            for k in totals:
                totals[k] += int(m_end[k]) - int(m_start[k])
        return totals

    def _activity(self, account: AccountSpec, d: date, engaged: int) -> list[dict[str, object]]:
        peak = 14 + account.index % 8  # each account's audience peaks at its own UTC hour
        weights = [math.exp(-(((h - peak + 12) % 24 - 12) ** 2) / 18) for h in range(24)]
        s = sum(weights)
        r = rng(self.seed, "activity", account.index, d.toordinal())
        return [{"hour": str(h), "count": int(engaged * w / s * r.uniform(0.8, 1.2))} for h, w in enumerate(weights)]

    # --- profile and audience
    def profile(self, account: AccountSpec, now: float) -> dict[str, object]:
        posts = self.visible_posts(account, now)
        return {
            "username": account.username,
            "display_name": account.display_name,
            "profile_image": f"{CDN}/avatar/{account.business_id}.jpeg?x-expires={int(now) + 3 * 86400}",
            "bio_description": f"{account.display_name} on TikTok",
            "is_verified": account.index == 0,
            "is_business_account": account.is_business,
            "profile_deep_link": f"https://www.tiktok.com/@{account.username}",
            "followers_count": self.followers_now(account, now),
            "following_count": 10 + account.index * 7,
            "total_likes": sum(p.likes(now) for p in posts),
            "videos_count": len(posts),
        }

    def audience(self, account: AccountSpec) -> dict[str, list[dict]]:
        r = rng(self.seed, "audience", account.index)
        countries, cities = r.sample(COUNTRIES, 8), r.sample(CITIES, 8)
        return {
            "audience_ages": [
                {"age": a, "percentage": s}
                for a, s in zip(contract.AGE_BUCKETS, fractions(r, 5, 1.0, 3.0), strict=True)
            ],
            "audience_genders": gender_shares(r),
            "audience_countries": [
                {"country": c, "percentage": s}
                for c, s in zip(countries, fractions(r, 8, r.uniform(0.9, 1.0), 0.8), strict=True)
            ],
            "audience_cities": [
                {"city_name": c, "percentage": s}
                for c, s in zip(cities, fractions(r, 8, r.uniform(0.3, 0.7), 0.8), strict=True)
            ],
        }


def _count(r: random.Random, mean: float) -> int:
    """A non-negative daily count around mean; small means give mostly 0 or 1."""
    if mean < 1:
        return 1 if r.random() < mean else 0
    return max(0, int(r.gauss(mean, mean**0.5)))


# ---------------------------------------------------------------- brand mentions
# Posts by other creators that mention an account's brand. Drawn from their own keys ("mention..."), never from
# the accounts' posts, comments or metrics: a world serves the same accounts, posts and comments with or without
# them.

MENTION_LISTED_SHARE = 0.9  # the share of a window's posts the daily ranking lists: a post can leave and re-enter


def mentions_per_day(account: AccountSpec) -> float:
    """How often the brand is mentioned: popular brands more (about once a day per 1,000 followers, at most 20)."""
    return min(20.0, account.base_followers / 1000)


@dataclass
class MentionPost:
    """A post by an anonymous creator that mentions the brand: its lifetime totals follow a saturating curve."""

    item_id: str
    create_time: int
    caption: str
    final_views: int
    active_days: float
    rates: dict[str, float]

    def views(self, ts: float) -> int:
        age = (ts - self.create_time) / DAY
        if age <= 0:
            return 0
        tau = max(self.active_days / 3.0, 0.25)
        share = min(1.0, (1 - math.exp(-age / tau)) / (1 - math.exp(-self.active_days / tau)))
        return int(self.final_views * share)

    def to_api(self, now: float, as_of: float) -> dict[str, object]:
        views = self.views(as_of)
        return {
            "item_id": self.item_id,
            "create_time": str(self.create_time),  # epoch seconds as a string, like the other endpoints
            # the creator is not identified: a link by id, no handle
            "video_link": f"https://www.tiktok.com/video/{self.item_id}",
            "caption": self.caption,
            "likes": int(views * self.rates["likes"]),
            "comments": int(views * self.rates["comments"]),
            "shares": int(views * self.rates["shares"]),
            "views": views,
            "reach": int(views * self.rates["reach"]),
            "thumbnail_url": f"{CDN}/obj/{self.item_id}.jpeg?x-expires={int(now) + 3 * 86400}",
        }


def build_mention_day(seed: int, account: AccountSpec, d: date) -> list[MentionPost]:
    """The posts mentioning the brand published on day d, in publishing order."""
    r = rng(seed, "mentions", account.index, d.toordinal())
    start = day_start(d)
    times = sorted(int(start + r.random() * DAY) for _ in range(_count(r, mentions_per_day(account))))
    posts = []
    for k, created in enumerate(times):
        pr = rng(seed, "mention", account.index, d.toordinal(), k)
        words = " ".join(pr.choice(WORDS) for _ in range(pr.randint(2, 8)))
        tags = " ".join("#" + h for h in pr.sample(HASHTAGS, pr.randint(0, 3)))
        posts.append(
            MentionPost(
                item_id=digits19(seed, "mention", account.index, d.toordinal(), k),
                create_time=created,
                caption=f"{words} @{account.username} {tags}".strip(),
                final_views=int(account.views_scale * 0.5 * math.exp(pr.gauss(0, 1.1))) + 1,
                active_days=pr.choice([2, 5, 10, 30]) * pr.uniform(0.7, 1.0),
                rates={
                    "likes": pr.uniform(0.02, 0.12),
                    "comments": pr.uniform(0.0005, 0.004),
                    "shares": pr.uniform(0.001, 0.01),
                    "reach": pr.uniform(0.55, 0.9),
                },
            )
        )
    return posts


class Mentions:
    """The brand-mention lists of a world: per account and window, the top posts of the window as ranked on the
    window's last day. Computed on demand and cached; nothing here touches the World's own caches."""

    def __init__(self, seed: int):
        self.seed = seed
        self._days: dict[tuple[int, date], list[MentionPost]] = {}
        self._ranked: dict[tuple[int, date, date], list[MentionPost]] = {}

    def lag(self, account: AccountSpec) -> float:
        """Seconds mention data lags the clock: within the publication lag, fixed per account."""
        return _publication_lag(unit(self.seed, "mention-lag", account.index))

    def published_until(self, account: AccountSpec, now: float) -> date:
        """The newest day whose mentions are published at `now` (the day ended at least the lag ago)."""
        return utc_date(now - self.lag(account)) - timedelta(days=1)

    def day(self, account: AccountSpec, d: date) -> list[MentionPost]:
        key = (account.index, d)
        if key not in self._days:
            self._days[key] = build_mention_day(self.seed, account, d)
        return self._days[key]

    def ranked(self, account: AccountSpec, start: date, end: date, now: float) -> list[MentionPost]:
        """Every post of the window the ranking of its last day lists, best first (uncapped): days not published
        yet at `now` are not in it. The ranking is the window's own: a post's score and whether it is listed are
        drawn afresh for each last day, so the list changes day to day."""
        last = min(end, self.published_until(account, now))
        key = (account.index, start, last)
        if key not in self._ranked:
            ranking_day = last.toordinal()
            end_ts = day_start(last) + DAY
            scored = []
            d = start
            while d <= last:
                for post in self.day(account, d):
                    if unit(self.seed, "mention-listed", post.item_id, ranking_day) >= MENTION_LISTED_SHARE:
                        continue
                    boost = math.exp(rng(self.seed, "mention-rank", post.item_id, ranking_day).gauss(0, 0.35))
                    scored.append((-(post.views(end_ts) + 1) * boost, post.item_id, post))
                d += timedelta(days=1)
            self._ranked[key] = [post for _, _, post in sorted(scored, key=lambda s: (s[0], s[1]))]
        return self._ranked[key]


# ---------------------------------------------------------------- brand-mention terms
# /business/mention/top_hashtag/list/ and /business/mention/top_word/list/: counted over the posts the mention list
# of the same window holds, so that the terms and the list agree. No draws of their own: they change nothing else.

MENTION_STOP_WORDS = frozenset(
    ("a", "an", "and", "at", "for", "i", "in", "is", "it", "my", "of", "on", "or", "the", "this", "to", "with", "you")
)
_TAG = re.compile(r"#(\w+)")
_TAG_OR_HANDLE = re.compile(r"[#@][\w.]+")
_WORD = re.compile(r"\w+")


def caption_hashtags(caption: str) -> list[str]:
    """A caption's hashtags, lower case and without the '#', each once, in order of first use."""
    return list(dict.fromkeys(tag.lower() for tag in _TAG.findall(caption)))


def caption_words(caption: str) -> list[str]:
    """A caption's words, lower case, each once: no hashtag, no @handle, no stop word."""
    text = _TAG_OR_HANDLE.sub(" ", caption).lower()
    return list(dict.fromkeys(word for word in _WORD.findall(text) if word not in MENTION_STOP_WORDS))


def top_mention_terms(posts: list[MentionPost], list_key: str, as_of: float) -> list[dict[str, object]]:
    """The top terms of `list_key` ("hashtags" or "words") over these posts, as the API sends them: the term, how
    many of the posts use it and their views (as of `as_of`) summed; by post count, then views, then the term; at
    most contract.MENTION_TERM_MAX_RECORDS."""
    term_key = dict(contract.MENTION_TERM_LISTS.values())[list_key]
    terms_of = caption_hashtags if list_key == "hashtags" else caption_words
    totals: dict[str, list[int]] = {}
    for post in posts:
        views = post.views(as_of)
        for term in terms_of(post.caption):
            total = totals.setdefault(term, [0, 0])
            total[0] += 1
            total[1] += views
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [
        {term_key: term, "post_count": posts_using, "views": views}
        for term, (posts_using, views) in ranked[: contract.MENTION_TERM_MAX_RECORDS]
    ]


# ---------------------------------------------------------------- industry benchmarks
# /business/benchmark/: per business category, the averages of the category's accounts over the 30 days ending on a
# day. Drawn from their own keys ("benchmark..."), never from the accounts: a world serves the same accounts, posts,
# comments and mentions with or without them.

BENCHMARK_DRIFT_WAVES = 2  # slow waves per metric: the averages drift by well under 1% a day, a few % over weeks


@dataclass(frozen=True)
class CategoryBase:
    """A category's typical account, before the day's drift."""

    followers: float
    views_per_video: float
    videos_posted: float
    likes_rate: float  # per view
    comments_rate: float
    shares_rate: float
    growth_rate: float  # net followers over 30 days / followers before them
    older_views: float  # the window's views / the views of the window's own videos (old videos keep earning views)


class Benchmarks:
    """The category averages of a world, as functions of (category, day); nothing is stored per day."""

    def __init__(self, seed: int):
        self.seed = seed

    def lag(self, category: str) -> float:
        """Seconds a category's averages lag the clock: within the publication lag, fixed per category."""
        return _publication_lag(unit(self.seed, "benchmark-lag", category))

    def published_until(self, category: str, now: float) -> date:
        """The newest day whose averages are published at `now` (the day ended at least the lag ago)."""
        return utc_date(now - self.lag(category)) - timedelta(days=1)

    def base(self, category: str) -> CategoryBase:
        r = rng(self.seed, "benchmark", category)
        followers = math.exp(r.uniform(math.log(5_000), math.log(250_000)))
        return CategoryBase(
            followers=followers,
            views_per_video=followers * r.uniform(0.3, 1.5),
            videos_posted=r.uniform(8, 36),
            likes_rate=r.uniform(0.03, 0.09),
            comments_rate=r.uniform(0.001, 0.005),
            shares_rate=r.uniform(0.002, 0.012),
            growth_rate=r.uniform(0.005, 0.06),
            older_views=r.uniform(1.1, 1.8),
        )

    def drift(self, category: str, metric: str, d: date) -> float:
        """A factor near 1 that moves slowly with the day: a sum of slow waves (periods of 60 to 150 days, 1 to 2.5%
        each), so that neighbouring days differ by well under 1%."""
        level = 0.0
        for wave in range(BENCHMARK_DRIFT_WAVES):
            r = rng(self.seed, "benchmark-drift", category, metric, wave)
            period, amplitude, phase = r.uniform(60, 150), r.uniform(0.01, 0.025), r.uniform(0, 2 * math.pi)
            level += amplitude * math.sin(2 * math.pi * d.toordinal() / period + phase)
        return math.exp(level)

    def averages(self, category: str, d: date) -> dict[str, object]:
        """The answer of /business/benchmark/ for the 30 days ending on d (contract.BENCHMARK_FIELDS): the category's
        typical account, each metric moved by its own slow drift."""
        base = self.base(category)
        views = base.views_per_video
        typical = {
            "average_likes_per_video": (views * base.likes_rate, 2),
            "average_comments_per_video": (views * base.comments_rate, 2),
            "average_shares_per_video": (views * base.shares_rate, 2),
            "average_videos_posted_30d": (base.videos_posted, 2),
            "average_followers": (base.followers, 2),
            "average_follower_growth_rate_30d": (base.growth_rate, 6),
            # the marts' engagement rate: engagements over views
            "average_engagement_rate": (base.likes_rate + base.comments_rate + base.shares_rate, 6),
            "average_video_views_30d": (views * base.videos_posted * base.older_views, 2),
        }
        return {
            "business_category": category,
            "date": d.isoformat(),
            **{
                metric: round(value * self.drift(category, metric, d), digits)
                for metric, (value, digits) in typical.items()
            },
        }
