"""Custom Great Expectations expectations for the rules GX does not express with a built-in.

Each is a real GX `MulticolumnMapExpectation` backed by a `MulticolumnMapMetricProvider` with a SQL condition
(`@multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)`): every suite is validated by GX's SQL
engine, in DuckDB or PostgreSQL, and the conditions give the same results on both. Defining the classes registers them
with GX (metric and expectation registries), so suites refer to them by their snake case `type` (e.g.
`expect_group_shares_to_sum_to_one`) exactly like built-ins; import this module before a suite is loaded
(`expectations.runner` does).

Being map expectations, they answer a yes/no question per row, so GX counts unexpected rows, computes
`mostly`, and reports the offending rows' index columns (the keys the runner samples):
- group shares: every row of a group whose shares do not sum as expected is unexpected;
- net = new - lost: the row whose net differs;
- not rising: the row whose value is above the previous (non-null) value of its group.

Group-based expectations name their roles (`group_by`, `order_by`, `value_column`, ...); their
`column_list` (the GX domain) is derived from those names when it is not given.

How the SQL conditions are built, and what they do with nulls, NaN and duplicated keys: docs/decisions.md,
"Quality checks: how the engines are used".
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)

_DOMAIN_KEYS = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
_LIBRARY_METADATA: dict[str, Any] = {
    "maturity": "production",
    "tags": ["tiktok-organic-platform"],
    "contributors": ["tiktok-organic-platform"],
    "requirements": [],
}


def _ordered_unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _with_column_list(values: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """Fill `column_list` from the named roles when missing; refuse a list lacking one of them."""
    named: list[str] = []
    for role in roles:
        value = values.get(role)
        if isinstance(value, str):
            named.append(value)
        elif value:
            named.extend(value)
    if not values.get("column_list"):
        values["column_list"] = _ordered_unique(named)
    else:
        missing = [name for name in named if name not in values["column_list"]]
        if missing:
            raise ValueError(f"column_list lacks the named columns {missing}")
    return values


# --- SQL building blocks (SqlAlchemyExecutionEngine) --------------------------------------------------------------


def _sql_number(value: Any) -> Any:
    """A column as double precision, NaN read as missing.

    `Double`, not `Float`: FLOAT is double precision on PostgreSQL but single precision on DuckDB.
    """
    return sa.func.nullif(sa.cast(value, sa.Double), sa.cast(sa.literal_column("'NaN'"), sa.Double))


def _sql_identity(value: Any) -> list[Any]:
    """A null-safe, hashable identity of a value: (is null, its text); NULL keys then match each other."""
    return [value.is_(None), sa.func.coalesce(sa.cast(value, sa.Text), sa.literal_column("''"))]


def _sql_rows(table: Any, columns: dict[str, Any], name: str) -> Any:
    """The batch's domain rows (`_table`) as a derived table of the given `{label: expression}` columns.

    The labels (`_gx_*`) differ from every batch column, so nothing inside the subquery can be mistaken for the
    outer row's bare column names (GX names the outer row's columns unqualified).
    """
    source = table.subquery() if isinstance(table, sa.Select) else table
    return (
        sa.select(*(expression.label(label) for label, expression in columns.items()))
        .select_from(source)
        .subquery(name)
    )


def _sql_row_is_not_in(identity: list[Any], offending: Any) -> Any:
    """`NOT ((identity) IN (offending))`, the subquery uncorrelated (computed once, not per row)."""
    return sa.not_(sa.tuple_(*identity).in_(offending.correlate(None)))


def _key_labels(group_by: list[str]) -> dict[str, Any]:
    return {f"_gx_k{position}": sa.column(key) for position, key in enumerate(group_by)}


# --- group shares ------------------------------------------------------------------------------------------


def _sql_group_sum_condition(table: Any, group_by: list[str], value_column: str, sum_is_ok: Any) -> Any:
    """Row-wise (SQL): the row's group is not one whose sum of `value_column` fails `sum_is_ok(sum)`.

    Null keys form a group (as equal keys do), missing values add nothing
    (an all-missing group sums to 0).
    """
    keys = _key_labels(group_by)
    rows = _sql_rows(table, {**keys, "_gx_value": _sql_number(sa.column(value_column))}, "_gx_group_rows")
    grouped = [rows.c[label] for label in keys]
    total = sa.func.coalesce(sa.func.sum(rows.c._gx_value), sa.cast(sa.literal_column("0"), sa.Double))
    failing_groups = (
        sa.select(*(part for key in grouped for part in _sql_identity(key)))
        .group_by(*grouped)
        .having(sa.not_(sum_is_ok(total)))
    )
    return _sql_row_is_not_in([part for key in keys.values() for part in _sql_identity(key)], failing_groups)


class GroupSharesSumToOne(MulticolumnMapMetricProvider):
    """Row-wise: the shares of the row's group (rows equal on `group_by`) sum to 1 within `tolerance`."""

    condition_metric_name = "multicolumn_values.group_shares_sum_to_one"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list, group_by, value_column, tolerance, _table, **kwargs) -> Any:
        limit = float(tolerance) + 1e-12
        return _sql_group_sum_condition(
            _table, list(group_by), value_column, lambda total: sa.func.abs(total - 1.0) <= limit
        )


class GroupSharesSumAtMostOne(MulticolumnMapMetricProvider):
    """Row-wise: the shares of the row's group sum to at most 1 + `tolerance`."""

    condition_metric_name = "multicolumn_values.group_shares_sum_at_most_one"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list, group_by, value_column, tolerance, _table, **kwargs) -> Any:
        limit = 1.0 + float(tolerance) + 1e-12
        return _sql_group_sum_condition(_table, list(group_by), value_column, lambda total: total <= limit)


class _GroupSharesExpectation(MulticolumnMapExpectation):
    group_by: list[str] = pydantic.Field(description="The columns whose equal values form one distribution.")
    value_column: str = pydantic.Field(description="The column holding the shares (fractions).")
    tolerance: float = pydantic.Field(0.01, description="Allowed deviation of a group's sum.")
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"

    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "group_by", "value_column", "tolerance")
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA

    @pydantic.root_validator(pre=True)
    def _derive_column_list(cls, values: dict[str, Any]) -> dict[str, Any]:
        return _with_column_list(values, ["group_by", "value_column"])


class ExpectGroupSharesToSumToOne(_GroupSharesExpectation):
    """Expect the shares of every group (rows equal on `group_by`) to sum to 1 within `tolerance`.

    For complete distributions (genders, ages, NEW+RETURN viewers, FOLLOWER+NON_FOLLOWER, impression sources);
    restrict the rows to such distributions with `row_condition`. Every row of a failing group is unexpected.

    Example: ExpectGroupSharesToSumToOne(group_by=["item_id", "snapshot_date", "dimension_group"],
    value_column="share", tolerance=0.01)
    """

    map_metric = "multicolumn_values.group_shares_sum_to_one"


class ExpectGroupSharesToSumAtMostOne(_GroupSharesExpectation):
    """Expect the shares of every group to sum to at most 1 + `tolerance` (top-N lists such as countries).

    Every row of a failing group is unexpected.
    """

    map_metric = "multicolumn_values.group_shares_sum_at_most_one"


# --- arithmetic: column = minuend - subtrahend ------------------------------------------------------------


class ColumnEqualsDifference(MulticolumnMapMetricProvider):
    """Row-wise: `result_column` == `minuend_column` - `subtrahend_column` (within `tolerance`)."""

    condition_metric_name = "multicolumn_values.column_equals_difference"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("result_column", "minuend_column", "subtrahend_column", "tolerance")

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list, result_column, minuend_column, subtrahend_column, tolerance, **kwargs) -> Any:
        difference = _sql_number(sa.column(minuend_column)) - _sql_number(sa.column(subtrahend_column))
        deviation = sa.func.abs(_sql_number(sa.column(result_column)) - difference)
        return sa.or_(deviation.is_(None), deviation <= float(tolerance))


class ExpectColumnValuesToEqualDifference(MulticolumnMapExpectation):
    """Expect `result_column` to equal `minuend_column` - `subtrahend_column` on every row.

    Example: ExpectColumnValuesToEqualDifference(result_column="net_followers", minuend_column="new_followers",
    subtrahend_column="lost_followers"). Rows with a missing operand are ignored (`ignore_row_if`).
    """

    result_column: str = pydantic.Field(description="The column that should hold the difference.")
    minuend_column: str = pydantic.Field(description="The column subtracted from.")
    subtrahend_column: str = pydantic.Field(description="The column subtracted.")
    tolerance: float = pydantic.Field(0.0, description="Allowed absolute deviation (0 for counts).")
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "any_value_is_missing"

    map_metric = "multicolumn_values.column_equals_difference"
    success_keys: ClassVar[tuple[str, ...]] = (
        "mostly",
        "result_column",
        "minuend_column",
        "subtrahend_column",
        "tolerance",
    )
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA

    @pydantic.root_validator(pre=True)
    def _derive_column_list(cls, values: dict[str, Any]) -> dict[str, Any]:
        return _with_column_list(values, ["result_column", "minuend_column", "subtrahend_column"])


# --- a series does not rise within its group ----------------------------------------------------------------


class ValuesNotRisingWithinGroups(MulticolumnMapMetricProvider):
    """Row-wise: the value is not above the previous non-null value of its group ordered by `order_by`."""

    condition_metric_name = "multicolumn_values.not_rising_within_groups"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "order_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list, group_by, order_by, value_column, tolerance, _table, **kwargs) -> Any:
        keys = _key_labels(list(group_by))
        value = _sql_number(sa.column(value_column))
        rows = _sql_rows(_table, {**keys, "_gx_order": sa.column(order_by), "_gx_value": value}, "_gx_series")
        # the previous non-null value: lag over the rows with a value (nulls are skipped)
        window = {"partition_by": [rows.c[label] for label in keys], "order_by": rows.c._gx_order}
        series = (
            sa.select(*rows.c, sa.func.lag(rows.c._gx_value).over(**window).label("_gx_previous_value"))
            .where(rows.c._gx_value.is_not(None))
            .subquery("_gx_series_with_previous")
        )
        offending = sa.select(
            *(part for label in keys for part in _sql_identity(series.c[label])),
            *_sql_identity(series.c._gx_order),
            series.c._gx_value,
        ).where(series.c._gx_value > series.c._gx_previous_value + float(tolerance))
        identity = [
            *(part for key in keys.values() for part in _sql_identity(key)),
            *_sql_identity(sa.column(order_by)),
            value,
        ]
        return sa.or_(value.is_(None), _sql_row_is_not_in(identity, offending))


class ExpectColumnValuesToNotRiseWithinGroups(MulticolumnMapExpectation):
    """Expect `value_column` to be non-increasing along `order_by` within each group (e.g. a retention curve).

    Null values are skipped (compared with the previous non-null value). The row that rises is unexpected.

    Example: ExpectColumnValuesToNotRiseWithinGroups(group_by=["item_id", "snapshot_date"],
    order_by="video_second", value_column="retention_share")
    """

    group_by: list[str] = pydantic.Field(description="The columns identifying one series (e.g. a post-day).")
    order_by: str = pydantic.Field(description="The column ordering the series (e.g. the video second).")
    value_column: str = pydantic.Field(description="The column that must not rise.")
    tolerance: float = pydantic.Field(1e-9, description="A rise up to this much is tolerated (float noise).")
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"

    map_metric = "multicolumn_values.not_rising_within_groups"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "group_by", "order_by", "value_column", "tolerance")
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA

    @pydantic.root_validator(pre=True)
    def _derive_column_list(cls, values: dict[str, Any]) -> dict[str, Any]:
        return _with_column_list(values, ["group_by", "order_by", "value_column"])


CUSTOM_EXPECTATIONS = (
    ExpectGroupSharesToSumToOne,
    ExpectGroupSharesToSumAtMostOne,
    ExpectColumnValuesToEqualDifference,
    ExpectColumnValuesToNotRiseWithinGroups,
)
