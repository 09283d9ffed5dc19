"""Language and sentiment of comment texts, offline: lingua for the language, VADER for English sentiment.

A text is scored once, keyed by the SHA-256 of its text (`text_hash`): a comment fetched again with the same
text, or the same text under another post, reuses its score. What a text gets (docs/decisions.md, "Comment
sentiment and language"):

- `language`: lingua's ISO 639-1 code (lower case) among `LANGUAGES`, or null when lingua cannot tell.
- English: VADER's compound score in [-1, 1] and its label by VADER's documented thresholds (>= 0.05 positive,
  <= -0.05 negative, else neutral).
- Everything else: null sentiment and `sentiment_null_reason` saying why, never a guessed score: 'no text'
  (empty), 'no words' (only emoji, digits or punctuation: VADER reads 🔥 as negative and 😡 as neutral),
  'language undetected', 'not English'.

No Dagster here: the asset `tiktok_comment_scores` (assets/enrichment.py) is the glue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from tiktok_api import landing, raw_schema

if TYPE_CHECKING:
    from lingua import LanguageDetector
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# The languages lingua chooses among: those of TikTok's large markets and the simulator's countries. A fixed set,
# in high-accuracy mode (comments are short; low-accuracy mode read "me encanta este video" as Esperanto), costs
# about 0.3 GB once its models are loaded; every language of lingua costs 0.9 GB (docs/decisions.md).
LANGUAGES = (
    "ENGLISH", "SPANISH", "PORTUGUESE", "FRENCH", "GERMAN", "ITALIAN", "DUTCH", "POLISH", "SWEDISH", "TURKISH",
    "RUSSIAN", "UKRAINIAN", "ARABIC", "HINDI", "INDONESIAN", "MALAY", "VIETNAMESE", "THAI", "TAGALOG",
    "JAPANESE", "KOREAN", "CHINESE",
)  # fmt: skip

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
NO_TEXT, NO_WORDS, UNDETECTED, NOT_ENGLISH = "no text", "no words", "language undetected", "not English"
NULL_REASONS = (NO_TEXT, NO_WORDS, UNDETECTED, NOT_ENGLISH)
# VADER's documented thresholds on the compound score
POSITIVE_FROM, NEGATIVE_TO = 0.05, -0.05
# VADER reads an emoji by its CLDR name; "fire" is a negative word in its lexicon, while 🔥 is praise in comments
# ("so good 🔥🔥" scored -0.28). Left out of VADER's emoji map, it counts for nothing rather than against.
MISREAD_EMOJI = ("🔥",)

SCORER = (
    f"lingua-language-detector {version('lingua-language-detector')} ({len(LANGUAGES)} languages, high accuracy); "
    f"vaderSentiment {version('vaderSentiment')}"
)
"""Names the models and their configuration; a score made by another scorer is scored again."""


@dataclass(frozen=True)
class TextScore:
    text_hash: str
    language: str | None
    sentiment_label: str | None
    sentiment_compound: float | None
    sentiment_null_reason: str | None


def text_hash(text: str | None) -> str:
    """The key of a text's score: SHA-256 of its UTF-8 bytes, hex (a null text is the empty text). dbt computes the
    same (macros/comment_scores.sql)."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def sentiment_label(compound: float) -> str:
    if compound >= POSITIVE_FROM:
        return POSITIVE
    if compound <= NEGATIVE_TO:
        return NEGATIVE
    return NEUTRAL


@cache
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder  # loads its models lazily, per language, on first use

    return LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in LANGUAGES)).build()


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for emoji in MISREAD_EMOJI:
        analyzer.emojis.pop(emoji, None)
    return analyzer


def score_text(text: str | None) -> TextScore:
    """The language and sentiment of one text (see the module's docstring)."""
    key = text_hash(text)
    if not text or not text.strip():
        return TextScore(key, None, None, None, NO_TEXT)
    if not any(character.isalpha() for character in text):
        return TextScore(key, None, None, None, NO_WORDS)
    detected = _detector().detect_language_of(text)
    if detected is None:
        return TextScore(key, None, None, None, UNDETECTED)
    language = detected.iso_code_639_1.name.lower()
    if language != "en":
        return TextScore(key, language, None, None, NOT_ENGLISH)
    compound = float(_analyzer().polarity_scores(text)["compound"])
    return TextScore(key, language, sentiment_label(compound), compound, None)


@dataclass(frozen=True)
class ScoringPlan:
    """What a batch of texts needs: the distinct texts seen, and those not scored before (by hash)."""

    seen: int
    to_score: dict[str, str | None]  # text_hash -> text

    @property
    def reused(self) -> int:
        return self.seen - len(self.to_score)


def plan_scoring(texts: Iterable[str | None], scored: set[str]) -> ScoringPlan:
    """The distinct texts of `texts` and, among them, those whose hash is not in `scored`."""
    distinct = {text_hash(text): text for text in texts}
    return ScoringPlan(seen=len(distinct), to_score={h: t for h, t in distinct.items() if h not in scored})


def landed_comment_texts(root: Path, day: date) -> list[str | None]:
    """The distinct texts of every comment and reply in the complete fetches landed for `day` (comment list pages,
    their inline replies, reply list pages), read by DuckDB from the landing files."""
    files = landing.partition_files(root, "comments", day)
    if not files:
        return []
    paths = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    pages = raw_schema.duckdb_pages_type("comments", scalars_as_text=True)
    query = f"""
        with fetches as (
            select unnest(pages) as page
            from read_json([{paths}], columns = {{complete: 'BOOLEAN', pages: '{pages}'}}, format = 'auto')
            where complete
        ),
        comments as (
            select unnest(page.response.data.comments) as comment from fetches
        ),
        replies as (
            select unnest(comment.reply_list) as reply from comments
        )
        select comment.text as text from comments
        union
        select reply.text from replies
    """
    with duckdb.connect() as con:
        con.execute("set memory_limit = '500MB'")
        return [row[0] for row in con.execute(query).fetchall()]
