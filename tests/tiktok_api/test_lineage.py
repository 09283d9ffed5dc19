"""Column lineage (tiktok_api/lineage.py): every mart column says which API field it carries or how it is made, the
fields it names are the contract's, and docs/lineage.md is the page made from the marts' yml as they are now."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tiktok_api import lineage
from tiktok_api.lineage import COMMAND, PAGE, field_problem, main, problems, read_columns, render


def test_every_mart_column_names_its_api_field_or_how_it_is_made():
    columns, found = read_columns()
    assert len({c.model for c in columns}) >= 17 and len(columns) > 250, "the marts' ymls are read"
    found += problems(columns)
    assert found == [], "\n".join(found)


def test_the_lineage_page_is_the_one_the_marts_make():
    columns, _ = read_columns()
    assert PAGE.read_text(encoding="utf-8") == render(columns), f"docs/lineage.md is stale: run {COMMAND}"


def test_the_page_maps_api_fields_to_the_columns_that_carry_them():
    page = PAGE.read_text(encoding="utf-8")
    assert "| `metrics[].video_views` | `fct_tiktok_account_daily.video_views`" in page
    assert "`fct_tiktok_social_media_rollup.impressions`" in page.split("| `videos[].video_views` |")[1].split("\n")[0]
    assert "| `fct_tiktok_account_profile_daily.snapshot_date` | the partition day of the fetch |" in page


@pytest.mark.parametrize(
    ("api_field", "problem"),
    [
        ("/business/get/ display_name", None),
        ("/business/get/ metrics[].video_views", None),
        ("/business/get/ audience_ages[].percentage", None),
        ("/business/video/list/ videos[].audience_countries[].country", None),
        ("/business/comment/reply/list/ comments[].text", None),
        ("/business/mention/top_word/list/ words[].word", None),
        ("/business/benchmark/ average_video_views_30d", None),  # a field at the top of data, digits in its name
        ("/business/get/ video_views", "no such field of /business/get/"),  # a metric is per day, in metrics[]
        ("/business/get/ metrics[].display_name", "no such field of /business/get/"),
        ("/business/video/list/ videos[].view_count", "no such field of /business/video/list/"),
        ("/business/video/list/ likes", "no such field of /business/video/list/"),
        ("/business/playlist/list/ playlists[].likes", "no endpoint of RECORD_FIELDS"),
        ("video_views", "is not '<endpoint> <path>'"),
        ("/business/get/metrics[].video_views", "is not '<endpoint> <path>'"),
    ],
)
def test_an_api_field_must_be_one_the_contract_lists(api_field: str, problem: str | None):
    found = field_problem(api_field)
    assert (found is None) if problem is None else (problem in found and repr(api_field) in found)


def _marts(tmp_path: Path, columns: str, sql: tuple[str, ...] = ("fct_x",)) -> Path:
    marts = tmp_path / "marts" / "account"
    marts.mkdir(parents=True)
    for name in sql:
        (marts / f"{name}.sql").write_text("select 1 as a")
    (marts / "_account__x.yml").write_text(
        "version: 2\nmodels:\n  - name: fct_x\n    columns:\n" + textwrap.indent(textwrap.dedent(columns), " " * 6)
    )
    return tmp_path / "marts"


def test_a_column_without_lineage_or_with_a_wrong_meta_is_named_with_its_file(tmp_path: Path):
    marts = _marts(
        tmp_path,
        """\
        - name: ok
          meta: {api_field: "/business/get/ username"}
        - name: silent
          description: says nothing of where it comes from
        - name: empty_note
          meta: {derived: " "}
        - name: not_text
          meta: {api_field: 3}
        - name: unknown_field
          meta: {api_field: ["/business/get/ username", "/business/get/ nickname"], derived: "a mix"}
        - name: in_config
          config: {meta: {derived: "dbt 1.10's place for meta"}}
        """,
        sql=("fct_x", "fct_y"),
    )
    columns, found = read_columns(marts)
    found += problems(columns)
    where = str(marts / "account" / "_account__x.yml")
    assert found == [
        f"{marts / 'account' / 'fct_y.sql'}: the mart fct_y has no entry in a yml file of {marts}",
        f"{where}: fct_x.silent declares neither meta.api_field (the API field it carries) nor meta.derived (how it is "
        "made)",
        f"{where}: fct_x.empty_note meta.derived must say in words how the value is made, not ' '",
        f"{where}: fct_x.not_text meta.api_field must be a string or a list of strings, not 3",
        f"{where}: fct_x.unknown_field meta.api_field '/business/get/ nickname': no such field of /business/get/ in "
        "tiktok_api/contract.py (records: the top of data, 'metrics[].')",
    ]


def test_the_page_lists_fields_columns_and_what_no_mart_carries(tmp_path: Path):
    marts = _marts(
        tmp_path,
        """\
        - name: business_id
          meta: {derived: "the call's business_id"}
        - name: handle
          meta: {api_field: "/business/get/ username"}
        - name: views
          meta: {api_field: "/business/get/ metrics[].video_views"}
        - name: rate
          meta:
            api_field: ["/business/get/ metrics[].likes", "/business/get/ metrics[].video_views"]
            derived: "likes / views"
        """,
    )
    columns, found = read_columns(marts)
    assert found == [] and problems(columns) == []
    page = render(columns)
    assert (
        "1 marts, 4 columns: 3 carry an API field (1 of them computed from it, marked *computed*), 1 are made" in page
    )
    get = page.split("## `/business/get/`")[1].split("\n## ")[0]
    assert get.index("| `username` | `fct_x.handle` |") < get.index("| `metrics[].likes` | `fct_x.rate` *computed* |")
    assert "| `metrics[].video_views` | `fct_x.views`, `fct_x.rate` *computed* |" in get
    assert "In no mart: `display_name`," in get and "`metrics[].date`" in get and "`username`," not in get
    assert "| `fct_x.business_id` | the call's business_id |" in page
    assert "## `/business/video/list/`\n\nIn no mart: `videos[].item_id`," in page


def test_the_command_writes_the_page_and_check_reports_a_stale_one(tmp_path: Path, capsys: pytest.CaptureFixture):
    marts = _marts(tmp_path, '- name: handle\n  meta: {api_field: "/business/get/ username"}\n')
    page = tmp_path / "lineage.md"
    assert main(["--check"], marts, page) == 1 and "is stale" in capsys.readouterr().err
    assert main([], marts, page) == 0 and main(["--check"], marts, page) == 0
    assert page.read_text() == render(read_columns(marts)[0])
    (marts / "account" / "_account__x.yml").write_text(
        "version: 2\nmodels:\n  - name: fct_x\n    columns:\n      - name: handle\n"
    )
    assert main([], marts, page) == 1, "a column without lineage: nothing is written"
    assert "fct_x.handle declares neither" in capsys.readouterr().err
    assert "fct_x.handle" in page.read_text(), "the page written before is left as it was"
    assert lineage.MARTS_DIR.is_dir() and lineage.PAGE.parent.is_dir()
