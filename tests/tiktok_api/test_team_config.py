"""The team's configuration files read line by line (tiktok_api/team_config.py): every kind of line that loads, and
every way a line is skipped, with a message that names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiktok_api import contract
from tiktok_api.team_config import (
    CAPTION,
    HASHTAG,
    POST_ID,
    URL,
    AccountSetting,
    LabelRule,
    caption_like,
    parse_accounts,
    parse_labels,
    read_team_config,
)

POST = "7300000000000000001"


def test_accounts_load_with_canonical_time_zones_and_categories():
    parsed = parse_accounts(
        "business_id,time_zone,business_category\n"
        "b1,America/New_York,food_and_beverage\n"
        "\n"
        "b2,europe/berlin,Food & Beverage\n"
        "b3, , \n"
        " b4 ,UTC,Sports and fitness\n"
    )
    assert parsed.problems == []
    assert parsed.rows == [
        AccountSetting("b1", "America/New_York", "food_and_beverage", 2),
        AccountSetting("b2", "Europe/Berlin", "food_and_beverage", 4),
        AccountSetting("b3", None, None, 5),  # empty values: not configured
        AccountSetting("b4", "UTC", "sports_and_fitness", 6),
    ]


def test_the_header_is_optional_and_a_byte_order_mark_is_dropped():
    with_header = parse_accounts("\ufeffBusiness_ID,Time_Zone,Business_Category\r\nb1,UTC,gaming\r\n".encode())
    without = parse_accounts("b1,UTC,gaming\n")
    assert [(r.business_id, r.line) for r in with_header.rows] == [("b1", 2)]
    assert [(r.business_id, r.line) for r in without.rows] == [("b1", 1)]
    assert with_header.problems == without.problems == []


def test_the_categories_are_the_documented_working_list():
    assert len(contract.BUSINESS_CATEGORIES) == len(set(contract.BUSINESS_CATEGORIES)) == 25
    for category in ("food_and_beverage", "beauty", "apparel", "travel", "education", "gaming", "other"):
        assert category in contract.BUSINESS_CATEGORIES


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("b1,UTC", "expected 3 columns (business_id,time_zone,business_category), found 2"),
        ("b1,UTC,gaming,extra", "expected 3 columns"),
        ('b1,"UTC,gaming', "not a CSV line"),
        (",UTC,gaming", "the business_id is empty or holds spaces"),
        ("b 1,UTC,gaming", "the business_id is empty or holds spaces"),
        ("b1,Mars/Olympus_Mons,gaming", "unknown time zone 'Mars/Olympus_Mons': use an IANA name"),
        ("b1,Eastern,gaming", "unknown time zone 'Eastern'"),
        ("b1,../../etc/passwd,gaming", "unknown time zone '../../etc/passwd'"),
        ("b1,UTC,food", "unknown business category 'food': use one of apparel,"),
    ],
)
def test_a_bad_account_line_is_skipped_and_named(line: str, reason: str):
    parsed = parse_accounts(f"business_id,time_zone,business_category\nb0,UTC,gaming\n{line}\nb9,UTC,beauty\n")
    assert [row.business_id for row in parsed.rows] == ["b0", "b9"], "the good lines around it still load"
    [problem] = parsed.problems
    assert (problem.file, problem.line, problem.text) == ("accounts.csv", 3, line)
    assert reason in problem.reason
    assert str(problem).startswith(f"accounts.csv line 3: {reason}")


def test_an_account_configured_twice_keeps_its_first_line():
    parsed = parse_accounts("b1,UTC,gaming\nb1,Europe/Paris,beauty\n")
    assert parsed.rows == [AccountSetting("b1", "UTC", "gaming", 1)]
    [problem] = parsed.problems
    assert problem.line == 2 and "business_id b1 is configured on line 1 already" in problem.reason


def test_a_line_that_is_not_utf8_is_named_and_the_others_load():
    parsed = parse_accounts(b"b1,UTC,gaming\nb2,Europe/Z\xfcrich,gaming\nb3,UTC,beauty\n")
    assert [row.business_id for row in parsed.rows] == ["b1", "b3"]
    [problem] = parsed.problems
    assert problem.line == 2 and "not UTF-8 text" in problem.reason and "b2,Europe/Z" in problem.text


def test_labels_of_every_kind_load():
    parsed = parse_labels(
        "match,label\n"
        f"{POST},Launch\n"
        f"https://www.tiktok.com/@acme_coffee/video/{POST}?is_from_webapp=1,Launch\n"
        "#Coffee,Coffee\n"
        "behind the *scenes,Behind the scenes\n"
        '"sale, 50%_off",Sale\n'
        "#café_au_lait,Coffee\n"
    )
    assert parsed.problems == []
    assert parsed.rows == [
        LabelRule(2, POST_ID, POST, POST, None, None, "Launch"),
        LabelRule(
            3, URL, f"https://www.tiktok.com/@acme_coffee/video/{POST}?is_from_webapp=1", POST, None, None, "Launch"
        ),
        LabelRule(4, HASHTAG, "#Coffee", None, "coffee", None, "Coffee"),
        LabelRule(5, CAPTION, "behind the *scenes", None, None, "%behind the %scenes%", "Behind the scenes"),
        LabelRule(6, CAPTION, "sale, 50%_off", None, None, "%sale, 50\\%\\_off%", "Sale"),
        LabelRule(7, HASHTAG, "#café_au_lait", None, "café_au_lait", None, "Coffee"),
    ]


@pytest.mark.parametrize(
    ("pattern", "like"),
    [
        ("coffee", "%coffee%"),
        ("*new*drop*", "%new%drop%"),  # leading and trailing stars add nothing to "contains"
        ("new ** drop", "%new % drop%"),
        ("100%", "%100\\%%"),  # SQL's wildcards are literal characters
        ("a_b", "%a\\_b%"),
        ("back\\slash", "%back\\\\slash%"),  # and so is the escape character
        ("*#summer sale", "%#summer sale%"),  # a pattern that starts with '#' begins with '*'
    ],
)
def test_a_caption_pattern_becomes_an_escaped_ilike_pattern(pattern: str, like: str):
    assert caption_like(pattern) == like


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("#coffee", "expected 2 columns (match,label), found 1"),
        ("#coffee,Coffee,extra", "expected 2 columns"),
        ('"#coffee,Coffee', "not a CSV line"),
        (",Coffee", "the match (a post id or URL, a #hashtag or a caption pattern) is empty"),
        ("#coffee,", "the label is empty"),
        ("#coffee, ", "the label is empty"),
        ("12345,Launch", "cannot read a TikTok post id from '12345'"),
        ("https://vm.tiktok.com/ZMabc123/,Launch", "cannot read a TikTok post id"),
        ("https://www.tiktok.com/@acme_coffee,Launch", "cannot read a TikTok post id"),
        ("#,Coffee", "malformed hashtag '#'"),
        ("#summer sale,Summer", "malformed hashtag '#summer sale': '#' then letters, digits or '_' only"),
        ("#coffee #tea,Drinks", "malformed hashtag"),
        ("#coffee!,Coffee", "malformed hashtag"),
        ("*,Everything", "malformed caption pattern '*': it needs a letter or digit"),
        ("** - **,Everything", "malformed caption pattern"),
        ("%_,Everything", "malformed caption pattern"),
        ("tab\tinside,Tabs", "malformed caption pattern 'tab\\tinside': it holds a control character"),
    ],
)
def test_a_bad_label_line_is_skipped_and_named(line: str, reason: str):
    parsed = parse_labels(f"match,label\n#coffee,Coffee\n{line}\n#tea,Tea\n")
    assert [row.label for row in parsed.rows] == ["Coffee", "Tea"], "the good lines around it still load"
    [problem] = parsed.problems
    assert (problem.file, problem.line, problem.text) == ("labels.csv", 3, line)
    assert reason in problem.reason, problem.reason
    assert str(problem).startswith(f"labels.csv line 3: {reason}")


def test_both_files_are_optional(tmp_path: Path):
    nothing = read_team_config(tmp_path)
    assert (nothing.accounts, nothing.labels, nothing.problems) == ([], [], [])
    assert nothing.files == {"accounts.csv": False, "labels.csv": False}
    (tmp_path / "labels.csv").write_text("#coffee,Coffee\n*,x\n")
    (tmp_path / "accounts.csv").write_text("b1,Nowhere/Town,\n")
    config = read_team_config(tmp_path)
    assert [row.hashtag for row in config.labels] == ["coffee"] and config.accounts == []
    assert [str(problem).split(":")[0] for problem in config.problems] == ["accounts.csv line 1", "labels.csv line 2"]
    assert config.files == {"accounts.csv": True, "labels.csv": True}
