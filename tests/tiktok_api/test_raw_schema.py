"""The raw record schema is declared once: dbt's macros are generated from it and every reader types with it."""

from __future__ import annotations

import duckdb
import pytest

from tiktok_api import contract, landing, raw_schema


def test_the_dbt_macros_are_generated_from_the_schema_and_the_landing_layout():
    committed = raw_schema.DBT_MACROS_PATH.read_text(encoding="utf-8")
    assert committed == raw_schema.dbt_macros(), (
        "dbt_project/macros/raw_schema.sql is stale: run `.venv/bin/python -m tiktok_api.raw_schema`"
    )
    assert f"/{landing.RAW_PATH}/" in committed and landing.FILE_GLOB in committed


def test_the_schema_declares_every_field_the_contract_requests():
    names = {record: [name for name, _ in fields] for record, fields in raw_schema.RECORDS.items()}
    assert names["video"] == list(contract.VIDEO_FIELDS)
    assert names["account"] == [*contract.ACCOUNT_PROFILE_FIELDS, *contract.ACCOUNT_AUDIENCE_FIELDS, "metrics"]
    assert names["account_metric"] == ["date", *contract.ACCOUNT_METRICS]
    assert names["comment"] == list(contract.COMMENT_FIELDS)
    assert names["reply"] == [field for field in contract.COMMENT_FIELDS if field != "reply_list"]


@pytest.mark.parametrize("stream", landing.STREAMS)
def test_every_stream_renders_as_a_duckdb_type(stream: str):
    with duckdb.connect() as con:
        [(kind,)] = con.execute(f"select typeof(null::{raw_schema.duckdb_pages_type(stream)})").fetchall()
    assert kind.startswith("STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, ")
    assert all(name in kind for name, _ in raw_schema.record_fields(stream))


def test_an_unknown_record_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown raw record 'posts'"):
        raw_schema.record_fields("posts")
