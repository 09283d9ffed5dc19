"""What a run is doing while it runs, read from the Dagster instance's event log: the demo's live progress line.

A run executed in-process blocks its caller, so a background thread follows the run's events (the same records the
UI shows) and turns them into one line: the step at work, the accounts landed, the dbt models built and the checks
evaluated, out of the job's totals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

# The events that move the line forward; everything else in the run's log is left to the UI.
_FOLLOWED = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.STEP_FAILURE,
}


@dataclass
class RunCounts:
    """How far a run of a job has come, counted from its events."""

    dbt_models: int  # the job's dbt assets
    checks: int  # the job's asset checks
    dbt_models_done: int = 0
    checks_done: int = 0
    other_assets_done: int = 0
    step: str = "starting"
    last_message: str = ""
    failed_steps: list[str] = field(default_factory=list)

    def add(self, entry: dg.EventLogEntry, dbt_keys: set[dg.AssetKey]) -> None:
        event = entry.dagster_event
        if event is None:  # a log line of an asset (context.log): the newest one says what a long step is doing
            if entry.step_key and entry.user_message:
                self.last_message = entry.user_message.splitlines()[0][:80]
            return
        if event.event_type == dg.DagsterEventType.STEP_START:
            self.step, self.last_message = event.step_key or "", ""
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            if event.asset_key in dbt_keys:
                self.dbt_models_done += 1
            else:
                self.other_assets_done += 1
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            self.checks_done += 1
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            self.failed_steps.append(event.step_key or "")

    def describe(self) -> str:
        """One line: the totals, then the step at work and its newest log line (cut to fit a terminal)."""
        doing = f"{self.step}: {self.last_message}" if self.last_message else self.step
        return f"dbt {self.dbt_models_done}/{self.dbt_models} models, {self.checks_done}/{self.checks} checks · {doing}"

    @property
    def done(self) -> int:
        return self.dbt_models_done + self.checks_done

    @property
    def total(self) -> int:
        return self.dbt_models + self.checks


def job_counts(job: dg.JobDefinition) -> RunCounts:
    """The totals a run of `job` works through: its dbt models and its asset checks."""
    graph = job.asset_layer.asset_graph
    dbt_keys = dbt_asset_keys(job)
    return RunCounts(dbt_models=len(dbt_keys), checks=len(list(graph.asset_check_keys)))


def dbt_asset_keys(job: dg.JobDefinition) -> set[dg.AssetKey]:
    graph = job.asset_layer.asset_graph
    return {key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds}


class RunFollower:
    """Follows the run `run_id` of `job` in `instance` from a thread until stopped, calling `show(counts)` after each
    batch of new events. Use as a context manager around the run's execution."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        job: dg.JobDefinition,
        run_id: str,
        show: Callable[[RunCounts], None],
        poll_seconds: float = 0.5,
    ) -> None:
        self.instance, self.run_id, self.show, self.poll_seconds = instance, run_id, show, poll_seconds
        self.counts = job_counts(job)
        self._dbt_keys = dbt_asset_keys(job)
        self._cursor: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"progress-{run_id[:8]}", daemon=True)

    def read_new_events(self) -> None:
        while True:
            connection = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=500)
            for record in connection.records:
                entry = record.event_log_entry
                if entry.dagster_event is None or entry.dagster_event.event_type in _FOLLOWED:
                    self.counts.add(entry, self._dbt_keys)
            self._cursor = connection.cursor
            if not connection.has_more:
                break
        self.show(self.counts)

    def _follow(self) -> None:
        # wait() returns early when the run ends: no sleep stands between the last event and the final line
        while not self._stop.wait(self.poll_seconds):
            self.read_new_events()

    def __enter__(self) -> RunFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.read_new_events()
