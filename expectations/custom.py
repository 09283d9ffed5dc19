"""Custom Great Expectations expectations for the rules GX does not express with a built-in.

Each is a real GX `MulticolumnMapExpectation` backed by a `MulticolumnMapMetricProvider` whose pandas
condition is declared with `@multicolumn_condition_partial(engine=PandasExecutionEngine)`. Defining the
classes registers them with GX (metric and expectation registries), so suites refer to them by their snake
case `type` (e.g. `expect_group_shares_to_sum_to_one`) exactly like built-ins; import this module before a
suite is loaded (`expectations.runner` does).

Being map expectations, they answer a yes/no question per row, so GX counts unexpected rows, computes
`mostly`, and reports the offending rows' index columns (the keys the runner samples):
- group shares: every row of a group whose shares do not sum as expected is unexpected;
- net = new - lost: the row whose net differs;
- total moves by net: the day whose total moved by more than the tolerance from the previous day;
- not rising: the row whose value is above the previous (non-null) value of its group.

Group-based expectations name their roles (`group_by`, `order_by`, `value_column`, ...); their
`column_list` (the GX domain) is derived from those names when it is not given.

Only the pandas engine is implemented: the platform validates DuckDB data as pandas batches (GX's SQL engine
fails on DuckDB, see DESIGN.md).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine
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


def _group_keys(columns: pd.DataFrame, group_by: list[str]) -> list[pd.Series]:
    return [columns[key] for key in group_by]


# --- group shares ------------------------------------------------------------------------------------------


def _group_sums(columns: pd.DataFrame, group_by: list[str], value_column: str) -> pd.Series:
    values = pd.to_numeric(columns[value_column], errors="coerce").astype("float64")
    return values.groupby(_group_keys(columns, group_by), dropna=False, sort=False).transform("sum")


class GroupSharesSumToOne(MulticolumnMapMetricProvider):
    """Row-wise: the shares of the row's group (rows equal on `group_by`) sum to 1 within `tolerance`."""

    condition_metric_name = "multicolumn_values.group_shares_sum_to_one"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, group_by, value_column, tolerance, **kwargs) -> pd.Series:
        sums = _group_sums(column_list, list(group_by), value_column)
        return (sums - 1.0).abs() <= float(tolerance) + 1e-12


class GroupSharesSumAtMostOne(MulticolumnMapMetricProvider):
    """Row-wise: the shares of the row's group sum to at most 1 + `tolerance`."""

    condition_metric_name = "multicolumn_values.group_shares_sum_at_most_one"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, group_by, value_column, tolerance, **kwargs) -> pd.Series:
        sums = _group_sums(column_list, list(group_by), value_column)
        return sums <= 1.0 + float(tolerance) + 1e-12


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

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls, column_list: pd.DataFrame, result_column, minuend_column, subtrahend_column, tolerance, **kwargs
    ) -> pd.Series:
        def number(name: str) -> pd.Series:
            return pd.to_numeric(column_list[name], errors="coerce").astype("float64")

        difference = number(minuend_column) - number(subtrahend_column)
        deviation = (number(result_column) - difference).abs()
        # a missing operand cannot be judged here (ignore_row_if drops such rows by default)
        return deviation.isna() | (deviation <= float(tolerance))


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


# --- a running total moves by the period's net --------------------------------------------------------------


def _step_from_previous(order: pd.Series, previous: pd.Series) -> pd.Series:
    """Whether each row directly follows the previous row of its group (1 day for dates, 1 for numbers)."""
    if pd.api.types.is_numeric_dtype(order):
        return (order - previous) == 1
    delta = pd.to_datetime(order, errors="coerce") - pd.to_datetime(previous, errors="coerce")
    return delta == pd.Timedelta(days=1)


class TotalMovesByNet(MulticolumnMapMetricProvider):
    """Row-wise: total - previous total is within max(abs, rel * |total|) of the row's net.

    The previous total is the group's row for the directly preceding `order_by` value (the day before); a row
    without one (first day of the batch, a gap) or with a missing value cannot be judged and passes.
    """

    condition_metric_name = "multicolumn_values.total_moves_by_net"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = (
        "group_by",
        "order_by",
        "total_column",
        "net_column",
        "absolute_tolerance",
        "relative_tolerance",
    )

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        column_list: pd.DataFrame,
        group_by,
        order_by,
        total_column,
        net_column,
        absolute_tolerance,
        relative_tolerance,
        **kwargs,
    ) -> pd.Series:
        keys = list(group_by)
        ordered = column_list.sort_values([*keys, order_by], kind="stable")
        grouped = ordered.groupby(keys, dropna=False, sort=False)
        total = pd.to_numeric(ordered[total_column], errors="coerce").astype("float64")
        net = pd.to_numeric(ordered[net_column], errors="coerce").astype("float64")
        previous_total = total.groupby(_group_keys(ordered, keys), dropna=False, sort=False).shift()
        follows = _step_from_previous(ordered[order_by], grouped[order_by].shift())
        allowed = np.maximum(float(absolute_tolerance), float(relative_tolerance) * total.abs())
        deviation = ((total - previous_total) - net).abs()
        judged = follows.fillna(False).astype(bool) & deviation.notna()
        ok = ~judged | (deviation <= allowed)
        return ok.reindex(column_list.index)


class ExpectGroupTotalToMoveByNet(MulticolumnMapExpectation):
    """Expect a running total to move from one period to the next by about that period's net.

    total(D) - total(D-1) must be within max(`absolute_tolerance`, `relative_tolerance` * |total(D)|) of
    net(D), per group. The batch must hold the previous period's rows (e.g. D-1 and D); rows whose previous
    period is not in the batch pass (they are judged in their own partition).

    Example: ExpectGroupTotalToMoveByNet(group_by=["business_id"], order_by="metric_date",
    total_column="followers_total", net_column="net_followers", absolute_tolerance=5, relative_tolerance=0.02)
    """

    group_by: list[str] = pydantic.Field(description="The columns identifying one series (e.g. the account).")
    order_by: str = pydantic.Field(description="The period column (a date, or an integer period).")
    total_column: str = pydantic.Field(description="The running total at the end of the period.")
    net_column: str = pydantic.Field(description="The period's net change.")
    absolute_tolerance: float = pydantic.Field(5, description="Allowed absolute deviation.")
    relative_tolerance: float = pydantic.Field(0.02, description="Allowed deviation as a fraction of the total.")
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"

    map_metric = "multicolumn_values.total_moves_by_net"
    success_keys: ClassVar[tuple[str, ...]] = (
        "mostly",
        "group_by",
        "order_by",
        "total_column",
        "net_column",
        "absolute_tolerance",
        "relative_tolerance",
    )
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA

    @pydantic.root_validator(pre=True)
    def _derive_column_list(cls, values: dict[str, Any]) -> dict[str, Any]:
        return _with_column_list(values, ["group_by", "order_by", "total_column", "net_column"])


# --- a series does not rise within its group ----------------------------------------------------------------


class ValuesNotRisingWithinGroups(MulticolumnMapMetricProvider):
    """Row-wise: the value is not above the previous non-null value of its group ordered by `order_by`."""

    condition_metric_name = "multicolumn_values.not_rising_within_groups"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("group_by", "order_by", "value_column", "tolerance")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, group_by, order_by, value_column, tolerance, **kwargs) -> pd.Series:
        keys = list(group_by)
        value = pd.to_numeric(column_list[value_column], errors="coerce").astype("float64")
        present = column_list.loc[value.notna(), [*keys, order_by]].assign(_value=value[value.notna()])
        present = present.sort_values([*keys, order_by], kind="stable")
        previous = present["_value"].groupby(_group_keys(present, keys), dropna=False, sort=False).shift()
        rises = (present["_value"] > previous + float(tolerance)).fillna(False)
        ok = pd.Series(True, index=column_list.index)
        ok.loc[rises[rises].index] = False
        return ok


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
    ExpectGroupTotalToMoveByNet,
    ExpectColumnValuesToNotRiseWithinGroups,
)
