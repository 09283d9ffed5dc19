"""Sensors of the code location: quality alerts from failed asset checks, and failing runs whose process died.

`quality_alert_sensor` reads the asset check evaluations stored in the Dagster instance after its cursor
(an event-log storage id), turns every failed one into an `Alert`, enqueues it durably in the outbox under
$TIKTOK_DATA_DIR/alerts, moves the cursor, then delivers what is pending: to TIKTOK_ALERT_WEBHOOK_URL
(Slack-compatible JSON) when set, else to $TIKTOK_DATA_DIR/alerts.jsonl. A webhook that is down neither blocks
the tick (5 s timeout, the round stops at the first connection failure, at most 20 deliveries a tick) nor
loses the alert (it stays pending and is retried on later ticks with backoff).
"""
# No `from __future__ import annotations`: Dagster inspects the sensor function's parameters at runtime.

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg

from expectations.alerts import Alert, AlertOutbox, AlertSender, sender_from_env

SENSOR_NAME = "quality_alert_sensor"
MINIMUM_INTERVAL_SECONDS = 30
FETCH_LIMIT = 1000  # evaluations read per batch
MAX_BATCHES_PER_TICK = 5
MAX_DELIVERIES_PER_TICK = 20
DELIVERY_TIME_BUDGET_SECONDS = 20.0  # well inside the 60 s a sensor tick may take
# With no cursor yet (a new deployment, a reset sensor), failures older than this are not alerted on:
# the history of an existing instance would otherwise flood the channel.
INITIAL_LOOKBACK_SECONDS = 24 * 3600

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def fetch_check_evaluations(
    instance: dg.DagsterInstance, after_storage_id: int, limit: int
) -> Sequence[dg.EventLogRecord]:
    """Asset check evaluations stored after `after_storage_id`, oldest first, at most `limit`.

    Uses the event-log storage's `get_event_records` with an `EventRecordsFilter` on ASSET_CHECK_EVALUATION
    and an id cursor (the instance-level method of that name is deprecated; the storage's is not). The default
    SQLite storage is sharded per run, and its `get_event_records` refuses id cursors for events other than
    materializations; it does mirror every check evaluation into its cross-run index shard with a global id,
    which the generic SQL implementation reads.
    """
    records_filter = dg.EventRecordsFilter(
        event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=after_storage_id
    )
    storage = instance.event_log_storage
    if storage.is_run_sharded:
        from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

        if not isinstance(storage, SqlEventLogStorage):
            raise NotImplementedError(f"cannot read check evaluations by id from {type(storage).__name__}")
        return SqlEventLogStorage.get_event_records(storage, records_filter, limit=limit, ascending=True)
    return storage.get_event_records(records_filter, limit=limit, ascending=True)


def parse_cursor(cursor: str | None) -> int | None:
    """The storage id of the last evaluation processed, or None before the first one."""
    try:
        return int(cursor) if cursor else None
    except ValueError:
        return None


class RunPartitions:
    """The partition (or partition range) of a run, from its tags; looked up once per run and tick."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self._instance = instance
        self._cache: dict[str, str | None] = {}

    def __call__(self, run_id: str) -> str | None:
        if not run_id:
            return None
        if run_id not in self._cache:
            run = self._instance.get_run_by_id(run_id)
            tags = run.tags if run else {}
            partition = tags.get(PARTITION_TAG)
            start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
            if not partition and start and end:
                partition = start if start == end else f"{start}..{end}"
            self._cache[run_id] = partition or None
        return self._cache[run_id]


def evaluation_id(run_id: str, storage_id: int) -> str:
    """Unique per evaluation: the run (a UUID, so an instance reset cannot collide) and the storage id."""
    return f"{run_id or 'runless'}:{storage_id}"


def alert_from_record(record: dg.EventLogRecord, run_partition: Callable[[str], str | None]) -> Alert | None:
    """The alert of a failed check evaluation; None when it passed."""
    event = record.event_log_entry.get_dagster_event()
    evaluation = event.asset_check_evaluation_data
    if evaluation.passed:
        return None
    run_id = record.event_log_entry.run_id or ""
    return Alert.from_check(
        asset_key=evaluation.asset_key.to_user_string(),
        check_name=evaluation.check_name,
        metadata={key: getattr(value, "value", value) for key, value in evaluation.metadata.items()},
        evaluation_id=evaluation_id(run_id, record.storage_id),
        run_id=run_id,
        storage_id=record.storage_id,
        timestamp=record.timestamp,
        partition=evaluation.partition or run_partition(run_id),
        severity=evaluation.severity,
        description=evaluation.description,
    )


def run_alert_tick(
    context: dg.SensorEvaluationContext,
    *,
    outbox: AlertOutbox,
    sender: AlertSender,
    now: float,
    fetch_limit: int = FETCH_LIMIT,
    max_batches: int = MAX_BATCHES_PER_TICK,
    max_deliveries: int = MAX_DELIVERIES_PER_TICK,
    time_budget: float | None = DELIVERY_TIME_BUDGET_SECONDS,
    initial_lookback: float = INITIAL_LOOKBACK_SECONDS,
) -> dg.SkipReason:
    """One tick: read new evaluations, enqueue alerts (before the cursor moves), then deliver pending ones."""
    after = parse_cursor(context.cursor)
    first_tick = after is None
    partitions = RunPartitions(context.instance)
    read = failed = too_old = enqueued = 0
    for _ in range(max_batches):
        records = fetch_check_evaluations(context.instance, -1 if after is None else after, fetch_limit)
        if not records:
            break
        alerts = []
        for record in records:
            alert = alert_from_record(record, partitions)
            if alert is None:
                continue
            failed += 1
            if first_tick and record.timestamp < now - initial_lookback:
                too_old += 1
                continue
            alerts.append(alert)
        # Durable first: if this raises, the cursor stays and the next tick reads these evaluations again.
        enqueued += len(outbox.enqueue(alerts, now=now))
        read += len(records)
        after = records[-1].storage_id
        context.update_cursor(str(after))
        if len(records) < fetch_limit:
            break

    report = outbox.deliver(sender, now=now, max_deliveries=max_deliveries, time_budget=time_budget)
    for error in report.errors[:5]:
        context.log.warning(f"Alert delivery failed (will retry): {error}")
    summary = f"{read} check evaluation(s) read, {failed} failed, {enqueued} alert(s) enqueued"
    if too_old:
        summary += f" ({too_old} older than {initial_lookback / 3600:g} h skipped on the first tick)"
    return dg.SkipReason(f"{summary}; {report.summary()}")


def build_quality_alert_sensor(
    *,
    name: str = SENSOR_NAME,
    minimum_interval_seconds: int = MINIMUM_INTERVAL_SECONDS,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    outbox_factory: Callable[[], AlertOutbox] = AlertOutbox,
    sender_factory: Callable[[], AlertSender] = sender_from_env,
    clock: Callable[[], float] = time.time,
    max_deliveries: int = MAX_DELIVERIES_PER_TICK,
) -> dg.SensorDefinition:
    """The alert sensor; the outbox and the channel are resolved at every tick from the environment."""

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Turns every failed asset check into an alert (rule, partition, offending rows, runbook "
        "link) sent once to TIKTOK_ALERT_WEBHOOK_URL, else appended to $TIKTOK_DATA_DIR/alerts.jsonl. "
        "Undelivered alerts wait in $TIKTOK_DATA_DIR/alerts/outbox.jsonl and are retried. See docs/runbook.md.",
    )
    def _quality_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        return run_alert_tick(
            context,
            outbox=outbox_factory(),
            sender=sender_factory(),
            now=clock(),
            max_deliveries=max_deliveries,
        )

    return _quality_alert_sensor


quality_alert_sensor = build_quality_alert_sensor()


# ---------------------------------------------------------------- runs whose process died

DEAD_RUN_SENSOR_NAME = "dead_run_sensor"
_STARTED_PROCESS = "Started process for run"


def run_worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of a run's worker process, from the engine event Dagster writes when the process starts."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith(_STARTED_PROCESS):
            continue
        pid = event.engine_event_data.metadata.get("pid") if event.engine_event_data else None
        value = getattr(pid, "value", pid)
        if value is not None and str(value).isdigit():
            return int(value)
    return None


def process_alive(pid: int) -> bool:
    """Whether a process of this host runs under `pid` (a zombie, killed but not yet reaped, is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: trust the signal


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every STARTED run whose worker process is gone; the run monitoring then frees its pool slots. Only
    with the local run launcher, whose workers run on this host (other launchers check their own workers)."""
    from dagster._core.launcher import DefaultRunLauncher  # the launcher's class is not part of the public API

    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return []
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = run_worker_pid(instance, run.run_id)
        if pid is None or process_alive(pid):
            continue
        instance.report_run_failed(
            run,
            f"The process of this run (pid {pid}) is gone (killed, out of memory, or the machine restarted): "
            "the run is failed so that the pool slots it held are freed (docs/runbook.md#a-run-is-stuck-waiting-"
            "for-a-pool). Re-run it; its steps are idempotent.",
        )
        failed.append(run.run_id)
    return failed


@dg.sensor(
    name=DEAD_RUN_SENSOR_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Fails runs whose process died (kill -9, out of memory, a reboot) within a minute, so that the "
    "run monitoring frees their pool slots: the local run launcher cannot see a dead worker itself. "
    "See docs/runbook.md#a-run-is-stuck-waiting-for-a-pool.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_dead_runs(context.instance)
    return dg.SkipReason(
        f"failed {len(failed)} run(s) whose process is gone: {', '.join(failed)}" if failed else "no dead run"
    )
