"""The public contract of the TikTok Accounts API v1.3, as constants shared by client and simulator.

Source: ../shared/TIKTOK_API.md. Changing a value here changes both sides, so the tests of one
cannot drift from the other.
"""

from __future__ import annotations

API_PREFIX = "/open_api/v1.3"
REAL_BASE_URL = "https://business-api.tiktok.com" + API_PREFIX

# Endpoint paths (relative to the API prefix); every path ends with a slash.
BUSINESS_GET = "/business/get/"
VIDEO_LIST = "/business/video/list/"
COMMENT_LIST = "/business/comment/list/"
COMMENT_REPLY_LIST = "/business/comment/reply/list/"
MENTION_PREFIX = "/business/mention/"  # brand mentions: a separately approved product
MENTION_VIDEO_LIST = MENTION_PREFIX + "video/list/"
MENTION_TOP_HASHTAG_LIST = MENTION_PREFIX + "top_hashtag/list/"
MENTION_TOP_WORD_LIST = MENTION_PREFIX + "top_word/list/"
BENCHMARK = "/business/benchmark/"  # industry benchmarks: a business category's averages
TOKEN = "/tt_user/oauth2/token/"
REFRESH_TOKEN = "/tt_user/oauth2/refresh_token/"
DATA_ENDPOINTS = (
    BUSINESS_GET,
    VIDEO_LIST,
    COMMENT_LIST,
    COMMENT_REPLY_LIST,
    MENTION_VIDEO_LIST,
    MENTION_TOP_HASHTAG_LIST,
    MENTION_TOP_WORD_LIST,
    BENCHMARK,
)
TOKEN_ENDPOINTS = (TOKEN, REFRESH_TOKEN)

# Envelope codes.
OK = 0
NO_PERMISSION = 40001
BAD_PARAMETER = 40002
UNKNOWN_PATH = 40006
RATE_LIMITED = 40100
INVALID_TOKEN = 40105
AUTH_CODE_EXPIRED = 40131
INTERNAL_ERROR = 50000
INTERNAL_ERROR_2 = 50002
RETRYABLE_CODES = frozenset({RATE_LIMITED, INTERNAL_ERROR, INTERNAL_ERROR_2})

# Rate limits.
PER_ACCOUNT_ENDPOINT_PER_MINUTE = 40
APP_PER_MINUTE = 600
APP_PER_SECOND = 10
APP_PER_DAY = 864_000
RATE_LIMIT_PENALTY_SECONDS = 300  # a per-minute breach clears after about 5 minutes

# Tokens.
ACCESS_TOKEN_LIFETIME = 86_400
REFRESH_TOKEN_LIFETIME = 365 * 86_400
AUTH_CODE_LIFETIME = 600
ALL_SCOPES = (
    "user.info.basic",
    "user.info.username",
    "user.info.profile",
    "user.info.stats",
    "user.account.type",
    "user.insights",
    "video.list",
    "video.insights",
    "comment.list",
)

# Publication: a day's data (account metrics, and post metrics behind the clock) appears 24-48 h after it ends.
PUBLICATION_LAG_MIN_HOURS = 24
PUBLICATION_LAG_MAX_HOURS = 48
PUBLICATION_LAG = f"{PUBLICATION_LAG_MIN_HOURS}-{PUBLICATION_LAG_MAX_HOURS} h"  # for messages and descriptions

# /business/get/
ACCOUNT_MAX_LOOKBACK_DAYS = 60  # older start_date is a 40002
ACCOUNT_SAFE_LOOKBACK_DAYS = 58  # what a commercial connector documents as safe
AUDIENCE_MIN_FOLLOWERS = 100
ACCOUNT_DEFAULT_FIELDS = ("display_name", "profile_image")
ACCOUNT_PROFILE_FIELDS = (
    "username",
    "display_name",
    "profile_image",
    "bio_description",
    "is_verified",
    "is_business_account",
    "profile_deep_link",
    "followers_count",
    "following_count",
    "total_likes",
    "videos_count",
)
ACCOUNT_AUDIENCE_FIELDS = ("audience_ages", "audience_genders", "audience_countries", "audience_cities")
ACCOUNT_METRICS = (
    "video_views",
    "unique_video_views",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "followers_count",
    "daily_new_followers",
    "daily_lost_followers",
    "daily_total_followers",
    "engaged_audience",
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
    "phone_number_clicks",
    "app_download_clicks",
    "lead_submissions",
    "audience_activity",
)
# Missing for Personal accounts: absent, which is not zero.
ACCOUNT_BUSINESS_ONLY_METRICS = (
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
    "phone_number_clicks",
    "app_download_clicks",
    "lead_submissions",
)
ACCOUNT_FIELDS = tuple(dict.fromkeys(ACCOUNT_PROFILE_FIELDS + ACCOUNT_AUDIENCE_FIELDS + ACCOUNT_METRICS))

# /business/video/list/
VIDEO_MAX_COUNT = 20
VIDEO_DEFAULT_COUNT = 10
VIDEO_METRICS_FREEZE_DAYS = 365
VIDEO_INACTIVE_DAYS = 7
VIDEO_ATTRIBUTE_FIELDS = (
    "item_id",
    "create_time",
    "caption",
    "media_type",
    "is_ad",
    "thumbnail_url",
    "share_url",
    "embed_url",
)
VIDEO_METRIC_FIELDS = (
    "video_duration",
    "video_views",
    "reach",
    "likes",
    "comments",
    "shares",
    "favorites",
    "total_time_watched",
    "average_time_watched",
    "full_video_watched_rate",
    "new_followers",
    "profile_views",
    "website_clicks",
    "phone_number_clicks",
    "lead_submissions",
    "app_download_clicks",
    "email_clicks",
    "address_clicks",
)
VIDEO_BREAKDOWN_FIELDS = (
    "impression_sources",
    "audience_countries",
    "audience_cities",
    "audience_genders",
    "audience_types",
    "video_view_retention",
    "engagement_likes",
)
VIDEO_FIELDS = VIDEO_ATTRIBUTE_FIELDS + VIDEO_METRIC_FIELDS + VIDEO_BREAKDOWN_FIELDS
VIDEO_BUSINESS_ONLY_FIELDS = (
    "website_clicks",
    "phone_number_clicks",
    "lead_submissions",
    "app_download_clicks",
    "email_clicks",
    "address_clicks",
)
# Absent (not zero) once a post has been inactive for more than VIDEO_INACTIVE_DAYS.
VIDEO_PERISHABLE_FIELDS = (
    "reach",
    "total_time_watched",
    "average_time_watched",
    "full_video_watched_rate",
    "audience_countries",
    "audience_cities",
    "audience_genders",
    "audience_types",
)
IMPRESSION_SOURCES = (
    "For You",
    "Follow",
    "Search",
    "Sound",
    "Personal Profile",
    "Direct Message",
    "Others",
)
AUDIENCE_TYPES = ("NEW_VIEWER", "RETURN_VIEWER", "FOLLOWER_PERCENT", "NON_FOLLOWER_PERCENT")
GENDERS = ("Female", "Male", "Other")
AGE_BUCKETS = ("18-24", "25-34", "35-44", "45-54", "55+")

# /business/comment/list/ and /business/comment/reply/list/
COMMENT_MAX_COUNT = 30
COMMENT_DEFAULT_COUNT = 20
COMMENT_IDS_MAX = 30
COMMENT_INLINE_REPLIES = 3
COMMENT_DUPLICATES_AFTER = 500
COMMENT_SORT_FIELDS = ("likes", "replies", "create_time")
COMMENT_SORT_ORDERS = ("asc", "desc", "smart")
COMMENT_STATUSES = ("ALL", "PUBLIC")
COMMENT_FIELDS = (
    "comment_id",
    "video_id",
    "parent_comment_id",
    "user_id",
    "unique_identifier",
    "username",
    "display_name",
    "profile_image",
    "text",
    "image_url",
    "create_time",
    "likes",
    "replies",
    "owner",
    "liked",
    "pinned",
    "status",
    "reply_list",
)

# /business/mention/video/list/ (brand mentions). Parameter names are unconfirmed: the adversarial reading is a
# business_id, a start_date/end_date window of at most 90 days (else 40002), and the offset cursor and max_count
# of the comment endpoints. The list holds the top posts mentioning the brand, at most 1,000 whatever the window,
# re-ranked every day; creators are not identified.
MENTION_MAX_WINDOW_DAYS = 90  # end_date - start_date + 1
MENTION_MAX_RECORDS = 1_000
MENTION_MAX_COUNT = COMMENT_MAX_COUNT
MENTION_DEFAULT_COUNT = COMMENT_DEFAULT_COUNT
MENTION_FIELDS = (
    "item_id",
    "create_time",
    "video_link",
    "caption",
    "likes",
    "comments",
    "shares",
    "views",
    "reach",
    "thumbnail_url",
)
# An app or account without the mentions approval gets an error envelope: 40001 (or 40006) whose message is about
# permission or approval. Matched on these words, lower case (the exact wording is unconfirmed).
MENTION_NOT_APPROVED_CODES = (NO_PERMISSION, UNKNOWN_PATH)
MENTION_NOT_APPROVED_WORDS = ("permission", "approv")

# /business/mention/top_hashtag/list/ and /business/mention/top_word/list/: the top hashtags and words of the posts
# the mention list holds for the same window, best first. Parameters as the mention list (business_id, the
# start_date/end_date window of at most 90 days, offset cursor, max_count 1-30), and the same approval. Record
# fields are unconfirmed; this project's reading, kept small: the term, post_count (the window's listed posts that
# use it, each post once) and views (those posts' lifetime views, summed). A hashtag is sent without its '#', lower
# case; a word is a lower-case caption word that is no hashtag, no @handle and no stop word. The list is the top
# MENTION_TERM_MAX_RECORDS of each kind (unconfirmed too; TikTok's mention insights show short top lists).
MENTION_TERM_MAX_RECORDS = 10
MENTION_HASHTAG_FIELDS = ("hashtag_name", "post_count", "views")
MENTION_WORD_FIELDS = ("word", "post_count", "views")
# endpoint -> (the list's key in `data`, the field that names the term)
MENTION_TERM_LISTS = {
    MENTION_TOP_HASHTAG_LIST: ("hashtags", "hashtag_name"),
    MENTION_TOP_WORD_LIST: ("words", "word"),
}

# Paging bounds. TikTok documents no total for a listing (only max_count per page and has_more/cursor), so the
# bound is the tolerant reading: a ceiling far above any real account or post, divided by the page size sent, plus
# a margin for the short pages the API is allowed to send. A server that keeps answering has_more=true can then
# never keep a fetch (and the account's rate-limit budget) going for ever.
VIDEO_LIST_MAX_RECORDS = 10_000  # posts of one account
COMMENT_LIST_MAX_RECORDS = 100_000  # top-level comments of one post
COMMENT_REPLY_LIST_MAX_RECORDS = 10_000  # replies to one comment
LIST_MAX_RECORDS = {
    VIDEO_LIST: VIDEO_LIST_MAX_RECORDS,
    COMMENT_LIST: COMMENT_LIST_MAX_RECORDS,
    COMMENT_REPLY_LIST: COMMENT_REPLY_LIST_MAX_RECORDS,
    MENTION_VIDEO_LIST: MENTION_MAX_RECORDS,
    MENTION_TOP_HASHTAG_LIST: MENTION_TERM_MAX_RECORDS,
    MENTION_TOP_WORD_LIST: MENTION_TERM_MAX_RECORDS,
}
PAGING_MARGIN_PAGES = 10  # pages on top of max_records / max_count
PAGING_MAX_IDLE_PAGES = 3  # pages in a row with has_more=true that bring no new record (empty, or only repeats)
# Id fields: 19-digit ids that must stay decimal text (a JSON number is turned into its exact digits).
ID_FIELDS = ("item_id", "comment_id", "video_id", "parent_comment_id", "business_id", "open_id")

# Business categories (an account's category in accounts.csv, tiktok_api/team_config.py; the benchmark endpoint's
# business_category). TikTok publishes about 25 categories; their exact API names are unconfirmed, so this is this
# project's documented working list (snake_case), to be corrected against the real answers. "other" is the catch-all.
BUSINESS_CATEGORIES = (
    "apparel",
    "art_and_crafts",
    "automotive",
    "baby_and_kids",
    "beauty",
    "business_services",
    "education",
    "electronics",
    "entertainment",
    "finance",
    "food_and_beverage",
    "gaming",
    "health_and_wellness",
    "home_and_garden",
    "news_and_media",
    "nonprofit",
    "personal_blog",
    "pets",
    "real_estate",
    "restaurants",
    "retail",
    "software_and_apps",
    "sports_and_fitness",
    "travel",
    "other",
)

# /business/benchmark/ (industry benchmarks): the averages of TikTok Business accounts in one business category.
# The path and parameter names are unconfirmed; the working assumption is `business_id` (the token's account, as on
# every data call) and `business_category` (one of BUSINESS_CATEGORIES; a category TikTok does not know is a 40002
# whose message names the parameter). Reading the scope user.insights (unconfirmed: an analytics product). The
# answer is one object, no paging: the averages of the BENCHMARK_WINDOW_DAYS days ending on `date`, the newest day
# TikTok has published (24-48 h after it ends, like account metrics); there is no parameter to ask for another day,
# so a past day's averages cannot be fetched later. The field names are this project's plain reading:
BENCHMARK_WINDOW_DAYS = 30
BENCHMARK_SCOPE = "user.insights"
BENCHMARK_METRICS = (
    "average_likes_per_video",  # lifetime likes of a video posted in the window, averaged over those videos
    "average_comments_per_video",
    "average_shares_per_video",
    "average_videos_posted_30d",  # videos an account posted in the window
    "average_followers",  # an account's followers at the end of `date`
    "average_follower_growth_rate_30d",  # an account's net follower change over the window / its followers before
    "average_engagement_rate",  # (likes + comments + shares) / video views over the window, 0-1
    "average_video_views_30d",  # an account's video views over the window
)
BENCHMARK_FIELDS = ("business_category", "date", *BENCHMARK_METRICS)
# A 40002 about business_category: the category is unknown to TikTok (matched on this word in the message).
BENCHMARK_CATEGORY_PARAMETER = "business_category"
