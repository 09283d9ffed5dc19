"""The team's configuration files under $TIKTOK_DATA_DIR, which teams edit without touching the repository.

- `accounts.csv`: `business_id,time_zone,business_category`, one account a line: its IANA time zone and its TikTok
  business category (contract.BUSINESS_CATEGORIES); an empty value is "not configured".
- `labels.csv`: `match,label`, one label a line. `match` is a post id, a TikTok post URL, a `#hashtag` or a caption
  pattern (CAPTION_PATTERN_RULE); every post it matches carries the label.

Both are optional and read line by line: a line that cannot be read is reported (file, line, reason, the line
itself) and skipped, and every other line still loads. A first line that is the header is skipped. Pure functions,
no Dagster: the asset tiktok_team_config (assets/team_config.py) writes the rows into the warehouse's
tiktok_config.account_settings and tiktok_config.post_labels, and reports the bad lines as a WARN check.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tiktok_api import contract
from tiktok_api.ingestion import parse_video_url

ACCOUNTS_FILE = "accounts.csv"
LABELS_FILE = "labels.csv"
ACCOUNT_COLUMNS = ("business_id", "time_zone", "business_category")
LABEL_COLUMNS = ("match", "label")

# How a label line matches posts (post_labels.match_kind)
POST_ID, URL, HASHTAG, CAPTION = "post_id", "url", "hashtag", "caption"
MATCH_KINDS = (POST_ID, URL, HASHTAG, CAPTION)

CAPTION_PATTERN_RULE = (
    "a caption pattern matches a caption that contains it, ignoring case; '*' stands for any run of characters "
    "(none included), every other character is itself ('%' and '_' too)"
)
LIKE_ESCAPE = "\\"
"""The escape character of the LIKE patterns made here: the SQL that uses them says `escape '\\'` (no default escape
character is common to DuckDB and PostgreSQL)."""


@dataclass(frozen=True)
class BadLine:
    """A line that was not loaded, and why."""

    file: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class AccountSetting:
    business_id: str
    time_zone: str | None  # an IANA name, as zoneinfo spells it; None: not configured
    business_category: str | None  # one of contract.BUSINESS_CATEGORIES; None: not configured
    line: int


@dataclass(frozen=True)
class LabelRule:
    """One line of labels.csv: which posts carry `label`. Exactly one of item_id, hashtag, caption_like is set."""

    line: int
    match_kind: str  # one of MATCH_KINDS
    match_value: str  # the first column as written
    item_id: str | None  # post_id and url: the post's id
    hashtag: str | None  # hashtag: lower case, without '#', as dim_tiktok_videos.hashtags holds tags
    caption_like: str | None  # caption: the ILIKE pattern (escape '\')
    label: str


@dataclass
class Parsed:
    """The lines of one file that load (AccountSetting or LabelRule) and those that do not."""

    rows: list = field(default_factory=list)
    problems: list[BadLine] = field(default_factory=list)


class _LineError(ValueError):
    """What is wrong with one line (the caller adds the file and line)."""


def _lines(data: bytes | str) -> list[tuple[int, str, bool]]:
    """(line number, text, whether it is UTF-8) of every line; a byte-order mark is dropped. A line that is not
    UTF-8 is shown with replacement characters."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # spreadsheets write one
    lines: list[tuple[int, str, bool]] = []
    for number, chunk in enumerate(raw.splitlines(), start=1):
        try:
            lines.append((number, chunk.decode("utf-8"), True))
        except UnicodeDecodeError:
            lines.append((number, chunk.decode("utf-8", errors="replace"), False))
    return lines


def _fields(text: str, columns: tuple[str, ...]) -> list[str]:
    """The CSV fields of one line, stripped; exactly len(columns) of them."""
    try:
        [values] = list(csv.reader([text], strict=True))
    except csv.Error as error:
        raise _LineError(f"not a CSV line ({error}); a value with a comma or quote goes in double quotes") from None
    if len(values) != len(columns):
        raise _LineError(
            f"expected {len(columns)} columns ({','.join(columns)}), found {len(values)}; "
            "a value with a comma goes in double quotes"
        )
    return [value.strip() for value in values]


def _parse(
    data: bytes | str, source: str, columns: tuple[str, ...], parse_line: Callable[[int, list[str], list], object]
) -> Parsed:
    parsed = Parsed()
    first = True
    for number, text, is_utf8 in _lines(data):
        if not is_utf8:
            parsed.problems.append(BadLine(source, number, text, "not UTF-8 text: save the file as UTF-8"))
            first = False
            continue
        if not text.strip():
            continue
        try:
            values = _fields(text, columns)
            if first and [v.lower() for v in values] == list(columns):
                first = False
                continue  # the header
            first = False
            parsed.rows.append(parse_line(number, values, parsed.rows))
        except _LineError as error:
            first = False
            parsed.problems.append(BadLine(source, number, text, str(error)))
    return parsed


# ---------------------------------------------------------------- accounts.csv


@cache
def _time_zones() -> dict[str, str]:
    """Every IANA time zone name zoneinfo knows, by its lower case."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def time_zone(value: str) -> str:
    """The IANA name of `value` as zoneinfo spells it (case aside); ValueError naming it when unknown."""
    name = _time_zones().get(value.strip().lower())
    if name is None:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as America/New_York or Europe/Berlin")
    zoneinfo.ZoneInfo(name)  # loads: the name is a real zone, not only a listed one
    return name


def business_category(value: str) -> str:
    """The category of contract.BUSINESS_CATEGORIES that `value` names ("Food & Beverage" = food_and_beverage);
    ValueError naming it when unknown."""
    key = re.sub(r"[\s\-]+", "_", value.strip().lower().replace("&", " and "))
    if key not in contract.BUSINESS_CATEGORIES:
        raise ValueError(
            f"unknown business category {value!r}: use one of {', '.join(contract.BUSINESS_CATEGORIES)} "
            "(tiktok_api/contract.py, BUSINESS_CATEGORIES)"
        )
    return key


def _account_line(number: int, values: list[str], before: list[AccountSetting]) -> AccountSetting:
    business_id, zone, category = values
    if not business_id or any(ch.isspace() for ch in business_id):
        raise _LineError("the business_id is empty or holds spaces")
    earlier = next((row.line for row in before if row.business_id == business_id), None)
    if earlier is not None:
        raise _LineError(f"business_id {business_id} is configured on line {earlier} already (that line is used)")
    try:
        return AccountSetting(
            business_id=business_id,
            time_zone=time_zone(zone) if zone else None,
            business_category=business_category(category) if category else None,
            line=number,
        )
    except ValueError as error:
        raise _LineError(str(error)) from None


def parse_accounts(data: bytes | str, source: str = ACCOUNTS_FILE) -> Parsed:
    """The account settings of an accounts.csv (rows: AccountSetting) and its bad lines."""
    return _parse(data, source, ACCOUNT_COLUMNS, _account_line)


# ---------------------------------------------------------------- labels.csv


def _is_tag_character(character: str) -> bool:
    # as dbt's caption_hashtags macro reads tags: letters of any script, marks, digits, '_'
    return character == "_" or unicodedata.category(character)[0] in "LMN"


def caption_like(pattern: str) -> str:
    """The ILIKE pattern (escape '\\') of a caption pattern (CAPTION_PATTERN_RULE); ValueError when it is malformed."""
    text = pattern.strip()
    if not any(ch.isalnum() for ch in text):
        raise ValueError(
            f"malformed caption pattern {pattern!r}: it needs a letter or digit ('*' alone would label every post)"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError(f"malformed caption pattern {pattern!r}: it holds a control character")
    # contains: a '%' at each end; a run of '*' is one '%'; '%', '_' and the escape character are escaped
    parts = [part for part in re.split(r"\*+", text) if part]
    escaped = ["".join(LIKE_ESCAPE + ch if ch in "%_" + LIKE_ESCAPE else ch for ch in part) for part in parts]
    return "%" + "%".join(escaped) + "%"


def label_match(value: str) -> tuple[str, str | None, str | None, str | None]:
    """(match kind, item_id, hashtag, caption_like) of a label line's first column; ValueError when malformed.

    Digits alone are a post id, a value with "tiktok.com" or "://" a post URL (both read by ingestion's
    parse_video_url, as the tracked-posts file is), '#' then a word a hashtag, anything else a caption pattern.
    """
    if re.fullmatch(r"\d+", value) or "tiktok.com" in value.lower() or "://" in value:
        item_id = parse_video_url(value)[1]
        return (POST_ID if value.isdigit() else URL), item_id, None, None
    if value.startswith("#"):
        tag = value[1:]
        if not tag or not all(_is_tag_character(ch) for ch in tag):
            raise ValueError(
                f"malformed hashtag {value!r}: '#' then letters, digits or '_' only, one hashtag a line "
                "(for a caption pattern that starts with '#', begin it with '*')"
            )
        return HASHTAG, None, tag.lower(), None
    return CAPTION, None, None, caption_like(value)


def _label_line(number: int, values: list[str], before: list[LabelRule]) -> LabelRule:
    match, label = values
    if not match:
        raise _LineError("the match (a post id or URL, a #hashtag or a caption pattern) is empty")
    if not label:
        raise _LineError("the label is empty")
    try:
        kind, item_id, hashtag, like = label_match(match)
    except ValueError as error:
        raise _LineError(str(error)) from None
    return LabelRule(number, kind, match, item_id, hashtag, like, label)


def parse_labels(data: bytes | str, source: str = LABELS_FILE) -> Parsed:
    """The label rules of a labels.csv (rows: LabelRule) and its bad lines."""
    return _parse(data, source, LABEL_COLUMNS, _label_line)


# ---------------------------------------------------------------- both files


@dataclass(frozen=True)
class TeamConfig:
    accounts: list[AccountSetting]
    labels: list[LabelRule]
    problems: list[BadLine]
    files: dict[str, bool]  # file name -> whether it exists


def read_team_config(folder: Path) -> TeamConfig:
    """Both files of `folder` ($TIKTOK_DATA_DIR); a missing file configures nothing."""
    accounts_path, labels_path = folder / ACCOUNTS_FILE, folder / LABELS_FILE
    accounts = parse_accounts(accounts_path.read_bytes()) if accounts_path.exists() else Parsed()
    labels = parse_labels(labels_path.read_bytes()) if labels_path.exists() else Parsed()
    return TeamConfig(
        accounts=accounts.rows,
        labels=labels.rows,
        problems=[*accounts.problems, *labels.problems],
        files={ACCOUNTS_FILE: accounts_path.exists(), LABELS_FILE: labels_path.exists()},
    )


# ---------------------------------------------------------------- the benchmark fetch's categories


@dataclass(frozen=True)
class ConfiguredCategory:
    """An account's business category as accounts.csv configures it, for the benchmark fetch (raw_tiktok_benchmarks):
    the category and the line that sets it, or None and why there is none."""

    business_category: str | None
    line: str | None  # "accounts.csv line 3": the line that configures the account, when one does
    missing_reason: str | None = None  # why no category is configured; None when one is


def _first_field(text: str) -> str | None:
    try:
        return next(csv.reader([text]), [None])[0]
    except csv.Error:
        return None


def configured_category(config: TeamConfig, business_id: str) -> ConfiguredCategory:
    """The business category accounts.csv configures for `business_id`, or the reason it configures none: no file, no
    line for the account, an empty category, or a line that was skipped (its reason, as config_lines_valid names it)."""
    setting = next((row for row in config.accounts if row.business_id == business_id), None)
    if setting is not None:
        where = f"{ACCOUNTS_FILE} line {setting.line}"
        if setting.business_category is None:
            return ConfiguredCategory(None, where, f"{where} leaves business_category empty")
        return ConfiguredCategory(setting.business_category, where)
    bad = next(
        (p for p in config.problems if p.file == ACCOUNTS_FILE and (_first_field(p.text) or "").strip() == business_id),
        None,
    )
    if bad is not None:
        return ConfiguredCategory(None, f"{ACCOUNTS_FILE} line {bad.line}", f"{bad} (the line was skipped)")
    if not config.files.get(ACCOUNTS_FILE):
        return ConfiguredCategory(None, None, f"there is no {ACCOUNTS_FILE} under $TIKTOK_DATA_DIR")
    return ConfiguredCategory(None, None, f"{ACCOUNTS_FILE} has no line for this account")
