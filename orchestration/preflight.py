"""The configuration checked before any work (`make demo`, `make ui`): every problem in one line that names the
variable to change, and a non-zero exit, instead of a traceback after minutes of fetching.

    python -m orchestration.preflight       # what `make ui` runs first; `make demo` runs the same checks

Settings come from the environment and from `.env` in the repository (values the shell exports win), as
.env.example says.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from assets.catalog import asset_owners
from assets.warehouse import Warehouse, WarehouseConfigError
from tiktok_api.files import FolderNotWritable, writable_folder
from tiktok_api.settings import check_writable_folders, data_dir, load_env_file
from tiktok_api.simulator import FaultConfig


def problems(environ: Mapping[str, str] | None = None, *, real_api: bool = True) -> list[str]:
    """What is wrong with the configuration, one sentence each (empty when nothing is). `real_api=False` (the
    demo, which always uses the built-in simulator) skips the TikTok credentials."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    start = env.get("TIKTOK_START_DATE")
    if start:
        try:
            date.fromisoformat(start)
        except ValueError:
            found.append(f"TIKTOK_START_DATE={start!r} is not a date: use YYYY-MM-DD")
    # read by dbt (macros/metric_anomalies.sql, which stops the build on the same values): named here before any work
    min_history = (env.get("TIKTOK_ANOMALY_MIN_HISTORY_DAYS") or "").strip()
    if min_history and not (min_history.isdigit() and 2 <= int(min_history) <= 28):
        found.append(
            f"TIKTOK_ANOMALY_MIN_HISTORY_DAYS={min_history!r} is not a whole number of days from 2 to 28 (the "
            "anomaly score's trailing window); unset it for the default, 14"
        )
    try:
        asset_owners(env)
    except ValueError as error:
        found.append(str(error))
    try:
        FaultConfig.parse(env.get("TIKTOK_SIMULATOR_FAULTS"))
    except ValueError as error:
        found.append(str(error))
    if real_api and env.get("TIKTOK_CLIENT_ID") and not env.get("TIKTOK_CLIENT_SECRET"):
        found.append("TIKTOK_CLIENT_ID is set but TIKTOK_CLIENT_SECRET is not: set both, or neither for the simulator")
    try:
        check_writable_folders()
        writable_folder(Path(env.get("DAGSTER_HOME") or data_dir() / "dagster"), "Dagster home (DAGSTER_HOME)")
    except FolderNotWritable as error:
        found.append(str(error))
        return found  # nothing below can be written either
    try:
        warehouse = Warehouse.from_env(env)
        warehouse.check_writable()
    except WarehouseConfigError as error:
        found.append(str(error))
    return found


def main() -> int:
    load_env_file()
    found = problems()
    for problem in found:
        print(f"configuration: {problem}", file=sys.stderr)
    return 2 if found else 0


if __name__ == "__main__":
    sys.exit(main())
