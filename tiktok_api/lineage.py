"""Column lineage: which TikTok API field each mart column carries, and the page docs/lineage.md made from it.

Every column of every mart (the models of dbt_project/models/marts, described in its `_*.yml` files) says in its
`meta` where its value comes from, with one key or both:

- `api_field`: the API field its value is, as "<endpoint> <path>": "/business/get/ display_name",
  "/business/get/ metrics[].video_views", "/business/video/list/ videos[].likes",
  "/business/video/list/ videos[].audience_countries[].percentage". A list when the value is made of several fields.
  The endpoint and the field (the first name after the endpoint's record list) must be ones tiktok_api/contract.py
  lists (RECORD_FIELDS below says where each endpoint's fields are).
- `derived`: how the value is made, when it is not an API field as sent: a computation over other columns, a
  constant, the landing's metadata. A column computed from API fields carries both.

Regenerate the page after changing a mart's columns:  .venv/bin/python -m tiktok_api.lineage
(`--check` only reports; tests/tiktok_api/test_lineage.py fails while a column declares neither key, names a field
the contract does not know, or the page is stale).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from tiktok_api import contract
from tiktok_api.settings import REPO_ROOT

MARTS_DIR = REPO_ROOT / "dbt_project" / "models" / "marts"
PAGE = REPO_ROOT / "docs" / "lineage.md"
COMMAND = ".venv/bin/python -m tiktok_api.lineage"

# endpoint -> {the path of its record list in `data` ("" for fields at the top of `data`): the fields a record has}
RECORD_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    contract.BUSINESS_GET: {
        "": contract.ACCOUNT_PROFILE_FIELDS + contract.ACCOUNT_AUDIENCE_FIELDS,
        "metrics[]": ("date", *contract.ACCOUNT_METRICS),
    },
    contract.VIDEO_LIST: {"videos[]": contract.VIDEO_FIELDS},
    contract.COMMENT_LIST: {"comments[]": contract.COMMENT_FIELDS},
    contract.COMMENT_REPLY_LIST: {"comments[]": contract.COMMENT_FIELDS},
    contract.MENTION_VIDEO_LIST: {"videos[]": contract.MENTION_FIELDS},
    contract.MENTION_TOP_HASHTAG_LIST: {"hashtags[]": contract.MENTION_HASHTAG_FIELDS},
    contract.MENTION_TOP_WORD_LIST: {"words[]": contract.MENTION_WORD_FIELDS},
    contract.BENCHMARK: {"": contract.BENCHMARK_FIELDS},
}
_API_FIELD = re.compile(r"(?P<endpoint>/\S+/) (?P<path>[a-z_][a-z0-9_]*(\[\])?(\.[a-z_][a-z0-9_]*(\[\])?)*)")


@dataclass(frozen=True)
class MartColumn:
    yml: Path
    model: str
    column: str
    api_fields: tuple[str, ...]
    derived: str | None
    problem: str | None = None  # a meta the page cannot use, said in words

    @property
    def name(self) -> str:
        return f"{self.model}.{self.column}"


def _where(yml: Path) -> str:
    return str(yml.relative_to(REPO_ROOT)) if yml.is_relative_to(REPO_ROOT) else str(yml)


def read_columns(marts_dir: Path = MARTS_DIR) -> tuple[list[MartColumn], list[str]]:
    """Every mart column with its lineage meta, in the ymls' order; and the problems of the ymls themselves (a mart
    model without a yml entry)."""
    columns: list[MartColumn] = []
    described: set[str] = set()
    for yml in sorted(marts_dir.rglob("*.yml")):
        for model in (yaml.safe_load(yml.read_text(encoding="utf-8")) or {}).get("models") or []:
            described.add(model["name"])
            for column in model.get("columns") or []:
                columns.append(_column(yml, model["name"], column))
    problems = [
        f"{_where(sql)}: the mart {sql.stem} has no entry in a yml file of {_where(marts_dir)}"
        for sql in sorted(marts_dir.rglob("*.sql"))
        if sql.stem not in described
    ]
    return columns, problems


def _column(yml: Path, model: str, column: dict) -> MartColumn:
    meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
    api_field, derived = meta.get("api_field"), meta.get("derived")
    fields = (api_field,) if isinstance(api_field, str) else api_field
    problem = None
    if api_field is None and derived is None:
        problem = "declares neither meta.api_field (the API field it carries) nor meta.derived (how it is made)"
    elif fields is not None and not (
        isinstance(fields, list | tuple) and fields and all(isinstance(f, str) for f in fields)
    ):
        problem = f"meta.api_field must be a string or a list of strings, not {api_field!r}"
    elif derived is not None and not (isinstance(derived, str) and derived.strip()):
        problem = f"meta.derived must say in words how the value is made, not {derived!r}"
    else:
        problem = next((p for p in map(field_problem, fields or ()) if p), None)
    return MartColumn(yml, model, column["name"], tuple(fields or ()) if not problem else (), derived, problem)


def _locate(endpoint: str, path: str) -> tuple[str, str] | None:
    """(record list, field) that `path` of `endpoint` names, or None when the contract has no such field."""
    for prefix, fields in RECORD_FIELDS.get(endpoint, {}).items():
        rest = path if not prefix else path.removeprefix(prefix + ".") if path.startswith(prefix + ".") else None
        if rest is not None and (field := re.match(r"[a-z_][a-z0-9_]*", rest)[0]) in fields:
            return prefix, field
    return None


def field_problem(api_field: str) -> str | None:
    """Why `api_field` names no field of the contract, or None when it does."""
    match = _API_FIELD.fullmatch(api_field)
    if not match:
        return f"meta.api_field {api_field!r} is not '<endpoint> <path>', e.g. '/business/get/ metrics[].video_views'"
    endpoint, path = match["endpoint"], match["path"]
    if endpoint not in RECORD_FIELDS:
        return f"meta.api_field {api_field!r}: {endpoint} is no endpoint of RECORD_FIELDS in tiktok_api/lineage.py"
    if _locate(endpoint, path) is None:
        lists = ", ".join(f"'{p}.'" if p else "the top of data" for p in RECORD_FIELDS[endpoint])
        return f"meta.api_field {api_field!r}: no such field of {endpoint} in tiktok_api/contract.py (records: {lists})"
    return None


def problems(columns: Iterable[MartColumn]) -> list[str]:
    """One line per column whose lineage is missing or wrong: its yml, mart and column, and what to write."""
    return [f"{_where(c.yml)}: {c.name} {c.problem}" for c in columns if c.problem]


def _field_key(endpoint: str, path: str) -> tuple[int, int, str]:
    """Contract order: the endpoint's record lists in RECORD_FIELDS order, then its fields in the contract's order."""
    prefix, field = _locate(endpoint, path)  # type: ignore[misc]  # read_columns let only known fields through
    prefixes = list(RECORD_FIELDS[endpoint])
    return prefixes.index(prefix), RECORD_FIELDS[endpoint][prefix].index(field), path


def _cell(items: Sequence[str]) -> str:
    return ", ".join(items)


def render(columns: Sequence[MartColumn]) -> str:
    """The page: per endpoint, each API field and the mart columns that carry it; the fields no mart carries; and
    the columns that are no API field, with how they are made."""
    models = sorted({c.model for c in columns})
    carried = [c for c in columns if c.api_fields]
    lines = [
        "# Column lineage: TikTok API fields and the mart columns that carry them",
        "",
        f"Generated by `{COMMAND}` from the `meta` of every mart column (`dbt_project/models/marts/*/_*.yml`): do "
        "not edit it by hand. Each column names the API field it carries (`api_field`), says how it is made "
        "(`derived`), or both; `tests/tiktok_api/test_lineage.py` fails while a mart column does neither, names a "
        "field `tiktok_api/contract.py` does not know, or this page is stale. The rules: `tiktok_api/lineage.py`.",
        "",
        f"{len(models)} marts, {len(columns)} columns: {len(carried)} carry an API field "
        f"({sum(1 for c in carried if c.derived)} of them computed from it, marked *computed*), "
        f"{len(columns) - len(carried)} are made otherwise (last section).",
    ]
    by_field: dict[tuple[str, str], list[str]] = {}
    for c in carried:
        for api_field in c.api_fields:
            endpoint, path = api_field.split(" ", 1)
            by_field.setdefault((endpoint, path), []).append(f"`{c.name}`" + (" *computed*" if c.derived else ""))
    for endpoint in RECORD_FIELDS:
        paths = sorted((p for e, p in by_field if e == endpoint), key=lambda p: _field_key(endpoint, p))
        lines += ["", f"## `{endpoint}`", ""]
        if paths:
            lines += ["| API field | mart columns |", "|---|---|"]
            lines += [f"| `{path}` | {_cell(by_field[(endpoint, path)])} |" for path in paths]
        used = {_locate(endpoint, p) for p in paths}
        unused = [
            f"`{prefix + '.' if prefix else ''}{field}`"
            for prefix, fields in RECORD_FIELDS[endpoint].items()
            for field in fields
            if (prefix, field) not in used
        ]
        if unused:
            lines += [""] * bool(paths) + [f"In no mart: {_cell(unused)}."]
    lines += ["", "## Columns that are no API field", "", "| mart column | how it is made |", "|---|---|"]
    lines += [f"| `{c.name}` | {c.derived.strip()} |" for c in columns if not c.api_fields and c.derived]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, marts_dir: Path = MARTS_DIR, page: Path = PAGE) -> int:
    parser = argparse.ArgumentParser(description=f"Write {_where(page)} from the marts' column meta.")
    parser.add_argument("--check", action="store_true", help="report problems and a stale page; write nothing")
    args = parser.parse_args(argv)
    columns, found = read_columns(marts_dir)
    found += problems(columns)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    text = render(columns)
    if args.check:
        if (page.read_text(encoding="utf-8") if page.exists() else "") != text:
            print(f"{_where(page)} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    page.write_text(text, encoding="utf-8")
    print(f"wrote {_where(page)}: {len(columns)} columns of {len({c.model for c in columns})} marts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
