"""Quality alerts: what a failed check says, and a durable outbox that delivers it at most once per channel.

Plain Python (no Dagster), so that it can be tested and reused on its own; `orchestration/sensors.py` turns
Dagster asset check evaluations into `Alert`s and drives the outbox.

Files, all under ``$TIKTOK_DATA_DIR``:

- ``alerts/outbox.jsonl``: every alert ever enqueued (append-only, fsync'd; compacted atomically once most
  of it is delivered). One alert per check evaluation: enqueueing the same evaluation again is a no-op.
- ``alerts/delivered.txt``: the evaluation ids delivered (append-only, fsync'd), written only *after* the
  channel accepted the alert. A crash between the two re-sends that one alert: at-least-once to the outbox,
  exactly once to the channel in the normal case.
- ``alerts/attempts.json``: retry state of undelivered alerts (attempts, next attempt, last error), replaced
  atomically (temporary file, then rename). Losing it only resets the backoff.
- ``alerts.jsonl``: the channel used when ``TIKTOK_ALERT_WEBHOOK_URL`` is unset (one alert a line).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from expectations.rules import DATA_QUALITY, PERFORMANCE, Kind, rule_kind, runbook_url
from tiktok_api.files import append_lines, atomic_write_text, exclusive_lock, read_lines
from tiktok_api.settings import data_dir

WEBHOOK_URL_ENV = "TIKTOK_ALERT_WEBHOOK_URL"

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 15 * 60.0
COMPACT_AFTER_DELIVERED = 500
_SLACK_TEXT_LIMIT = 2900  # Slack allows 3000 characters in a section's text


def normalize_severity(value: Any) -> str:
    text = str(getattr(value, "value", value) or "").strip().upper()
    if text.startswith("WARN"):
        return "WARN"
    return "ERROR" if text in ("", "ERROR", "ERR", "FAIL", "FAILED") else text


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _as_keys(value: Any, limit: int = 10) -> tuple[str, ...]:
    """Sample keys from whatever the check sent: a JSON list, a JSON string, or comma/line separated text."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = [part.strip() for part in text.replace("\n", ",").split(",")]
        value = parsed if isinstance(parsed, list) else [parsed]
    elif isinstance(value, Mapping) or not isinstance(value, Iterable):
        value = [value]
    keys = []
    for item in value:
        if item is None or item == "":
            continue
        keys.append(item if isinstance(item, str) else json.dumps(item, sort_keys=True, default=str))
    return tuple(keys[:limit])


@dataclass(frozen=True)
class Alert:
    """One failed check evaluation: which rule broke, where, how badly, and where the runbook says what to do."""

    asset_key: str
    partition: str | None
    check_name: str
    rule_id: str
    severity: str
    offending_count: int | None
    sample_keys: tuple[str, ...]
    runbook_url: str
    description: str
    run_id: str
    evaluation_id: str
    storage_id: int | None
    timestamp: float
    data_docs: str | None = None
    kind: Kind = DATA_QUALITY
    """The rule's kind (expectations/rules.py): "data_quality", or "performance" (a metric anomaly, not a data
    failure), so that on-call can route the two apart; from the registry, never from the check."""

    @classmethod
    def from_check(
        cls,
        *,
        asset_key: str,
        check_name: str,
        metadata: Mapping[str, Any] | None,
        evaluation_id: str,
        run_id: str = "",
        storage_id: int | None = None,
        timestamp: float | None = None,
        partition: str | None = None,
        severity: Any = None,
        description: str | None = None,
    ) -> Alert:
        """An alert from a failed check and its (plain-valued) metadata, filling in what the check left out.

        Metadata keys the platform's checks emit: rule_id, severity, offending_count, sample_keys, runbook,
        data_docs. The rule is the metadata's ``rule_id`` only (the GX and Dagster checks set it, the dbt asset
        adds it from the test's ``meta``), never guessed from a check's name: a check without one alerts under
        its own name and the runbook's fallback section. dbt's offending count comes from dagster-dbt's
        ``dagster_dbt/failed_row_count`` (or a ``failures`` entry); a missing severity from the check evaluation.
        """
        meta = dict(metadata or {})
        rule_id = str(meta.get("rule_id") or check_name)
        count = _as_int(meta.get("offending_count"))
        for key in ("dagster_dbt/failed_row_count", "failures", "failed_row_count", "unexpected_count"):
            if count is None:
                count = _as_int(meta.get(key))
        samples = meta.get("sample_keys")
        failed_accounts = meta.get("failed_accounts")  # the ingestion's all_accounts_fetched check
        if isinstance(failed_accounts, Mapping | list) and failed_accounts:
            count = len(failed_accounts) if count is None else count
            samples = list(failed_accounts) if samples is None else samples
        return cls(
            asset_key=asset_key,
            partition=str(meta.get("partition") or partition or "") or None,
            check_name=check_name,
            rule_id=rule_id,
            severity=normalize_severity(meta.get("severity") or severity),
            offending_count=count,
            sample_keys=_as_keys(samples),
            # the repository's address of the section, which reads the same on any machine (the check's metadata
            # links this checkout's copy, file://, for the UI)
            runbook_url=runbook_url(rule_id),
            description=str(description or meta.get("description") or meta.get("message") or ""),
            run_id=run_id or "",
            evaluation_id=evaluation_id,
            storage_id=storage_id,
            timestamp=time.time() if timestamp is None else float(timestamp),
            data_docs=str(meta["data_docs"]) if meta.get("data_docs") else None,
            kind=rule_kind(rule_id),
        )

    # -- rendering ---------------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"{self.asset_key} {self.partition}" if self.partition else self.asset_key

    @property
    def is_performance(self) -> bool:
        return self.kind == PERFORMANCE

    @property
    def label(self) -> str:
        """``[ERROR]``; a performance alert says its kind too: ``[WARN][performance]``."""
        return f"[{self.severity}]" + ("[performance]" if self.is_performance else "")

    @property
    def count_text(self) -> str:
        if self.offending_count is None:
            return "check failed"
        what = "anomalous metric" if self.is_performance else "offending row"
        return f"{self.offending_count} {what}" + ("" if self.offending_count == 1 else "s")

    def summary(self) -> str:
        """``[ERROR] raw_tiktok_videos 2026-11-17: share_in_unit_interval — 3 offending rows; runbook: ...``"""
        return f"{self.label} {self.where}: {self.rule_id} \u2014 {self.count_text}; runbook: {self.runbook_url}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sample_keys"] = list(self.sample_keys)
        data["summary"] = self.summary()
        data["time"] = datetime.fromtimestamp(self.timestamp, UTC).isoformat()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["sample_keys"] = tuple(known.get("sample_keys") or ())
        return cls(**known)

    def to_slack_payload(self) -> dict[str, Any]:
        """Slack incoming-webhook JSON: a ``text`` summary (notifications, other chat tools) and ``blocks``."""

        def link(target: str, label: str) -> str:
            return f"<{target}|{label}>" if target.startswith(("http://", "https://")) else f"{label}: `{target}`"

        fields = [
            ("Asset", f"`{self.asset_key}`"),
            ("Partition", f"`{self.partition}`" if self.partition else "-"),
            ("Rule", f"`{self.rule_id}`"),
            ("Severity", self.severity + (" (blocks downstream marts)" if self.severity == "ERROR" else "")),
            ("Kind", "performance (not a data-quality failure)" if self.is_performance else "data quality"),
            (
                "Anomalous metrics" if self.is_performance else "Offending rows",
                "unknown" if self.offending_count is None else str(self.offending_count),
            ),
            ("Check", f"`{self.check_name}`"),
        ]
        if self.run_id:
            fields.append(("Run", f"`{self.run_id}`"))
        if self.is_performance:
            body = f"*{self.rule_id}*: unusual account metrics on *{self.where}*: {self.count_text}."
        else:
            body = f"*{self.rule_id}* failed on *{self.where}*: {self.count_text}."
        if self.description:
            body += "\n" + self.description
        blocks: list[dict[str, Any]] = [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f"{self.label} {self.rule_id} on {self.where}"[:150]},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:_SLACK_TEXT_LIMIT]}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in fields]},
        ]
        if self.sample_keys:
            sample = ", ".join(f"`{key}`" for key in self.sample_keys)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Sample keys*\n{sample}"[:2900]}})
        context = [link(self.runbook_url, "Runbook")]
        if self.data_docs:
            context.append(link(self.data_docs, "Data Docs"))
        context.append(f"evaluation `{self.evaluation_id}`")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " | ".join(context)[:2900]}]})
        return {"text": self.summary(), "blocks": blocks}


# -- channels -----------------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A channel did not accept an alert. ``endpoint_down``: retrying other alerts now is pointless."""

    def __init__(self, message: str, *, endpoint_down: bool = False) -> None:
        super().__init__(message)
        self.endpoint_down = endpoint_down


class AlertSender(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert or raise (DeliveryError, or anything else: the outbox treats it as a failure)."""


def _redacted(url: str) -> str:
    """A webhook URL without its secret path (Slack's URL is the credential)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..." if parts.netloc else "<webhook>"


class WebhookSender:
    """POSTs the Slack payload as JSON. A non-2xx answer, a timeout or a connection error is a failure."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self.name = f"webhook {_redacted(url)}"

    def send(self, alert: Alert) -> None:
        try:
            response = httpx.post(self.url, json=alert.to_slack_payload(), timeout=self.timeout)
        except httpx.HTTPError as exc:  # connection refused, DNS, timeout, protocol error
            raise DeliveryError(f"{self.name}: {type(exc).__name__}: {exc}", endpoint_down=True) from None
        if not 200 <= response.status_code < 300:
            detail = response.text[:200].strip()
            down = response.status_code >= 500 or response.status_code == 429
            raise DeliveryError(f"{self.name}: HTTP {response.status_code} {detail}", endpoint_down=down)


class JsonlSender:
    """Appends each alert (its JSON, with the summary line) to a file: the channel without a webhook."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = f"file {self.path}"

    def send(self, alert: Alert) -> None:
        append_lines(self.path, [alert.to_json()])


def sender_from_env(environ: Mapping[str, str] | None = None) -> AlertSender:
    """The webhook when TIKTOK_ALERT_WEBHOOK_URL is set, else $TIKTOK_DATA_DIR/alerts.jsonl."""
    env = os.environ if environ is None else environ
    url = (env.get(WEBHOOK_URL_ENV) or "").strip()
    return WebhookSender(url) if url else JsonlSender(data_dir() / "alerts.jsonl")


def backoff_seconds(attempts: int) -> float:
    """30 s after the first failure, doubling, at most 15 minutes."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


@dataclass
class DeliveryReport:
    channel: str
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: int = 0  # pending alerts whose next attempt is not due yet
    pending: int = 0  # undelivered alerts left after this round
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the round ended before trying every due alert

    def summary(self) -> str:
        text = f"delivered {len(self.delivered)}, failed {len(self.failed)}, pending {self.pending} via {self.channel}"
        if self.deferred:
            text += f" ({self.deferred} waiting for retry)"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text


class AlertOutbox:
    """Alerts enqueued once per evaluation id, delivered at most once, retried with backoff; never lost."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else data_dir() / "alerts"
        self.outbox_path = self.directory / "outbox.jsonl"
        self.delivered_path = self.directory / "delivered.txt"
        self.attempts_path = self.directory / "attempts.json"
        self._lock_path = self.directory / ".lock"

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """Serialise writers (two daemons, a test and a tick) on one lock file."""
        return exclusive_lock(self._lock_path)

    # -- reading -------------------------------------------------------------------------------------------

    def _entries(self) -> list[dict[str, Any]]:
        entries = []
        for line in read_lines(self.outbox_path):
            try:
                entry = json.loads(line)
            except ValueError:  # a line torn by a crash mid-append: its alert is re-enqueued by the sensor
                continue
            if isinstance(entry, dict) and entry.get("evaluation_id") and isinstance(entry.get("alert"), dict):
                entries.append(entry)
        return entries

    def _delivered_ids(self) -> set[str]:
        return {line.strip() for line in read_lines(self.delivered_path) if line.strip()}

    def _attempts(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.attempts_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def pending(self) -> list[Alert]:
        """Undelivered alerts, oldest first."""
        delivered = self._delivered_ids()
        seen: set[str] = set()
        alerts = []
        for entry in self._entries():
            eid = entry["evaluation_id"]
            if eid not in delivered and eid not in seen:
                seen.add(eid)
                alerts.append(Alert.from_dict(entry["alert"]))
        return alerts

    def delivered_ids(self) -> set[str]:
        return self._delivered_ids()

    def retry_state(self, evaluation_id: str) -> dict[str, Any] | None:
        """attempts, next_attempt_at and last_error of an undelivered alert that failed before."""
        return self._attempts().get(evaluation_id)

    # -- writing -------------------------------------------------------------------------------------------

    def enqueue(self, alerts: Iterable[Alert], now: float | None = None) -> list[Alert]:
        """Durably record alerts not seen before (by evaluation id); returns those newly enqueued.

        Raises on I/O errors: the caller must then not move its cursor past these evaluations.
        """
        stamp = time.time() if now is None else now
        with self._locked():
            known = {entry["evaluation_id"] for entry in self._entries()} | self._delivered_ids()
            new: list[Alert] = []
            for alert in alerts:
                if alert.evaluation_id in known:
                    continue
                known.add(alert.evaluation_id)
                new.append(alert)
            append_lines(
                self.outbox_path,
                [
                    json.dumps(
                        {"evaluation_id": a.evaluation_id, "enqueued_at": stamp, "alert": a.to_dict()},
                        sort_keys=True,
                        ensure_ascii=False,
                        default=str,
                    )
                    for a in new
                ],
            )
        return new

    def deliver(
        self,
        sender: AlertSender,
        now: float | None = None,
        *,
        max_deliveries: int = 20,
        time_budget: float | None = 20.0,
    ) -> DeliveryReport:
        """Try the due pending alerts (oldest first, at most `max_deliveries`, within `time_budget` seconds).

        A delivered alert is marked only after the channel accepted it; a failed one keeps its place with an
        attempt count and a next attempt time (exponential backoff from `now`). When the channel is down the
        round stops at the first failure. Never raises.
        """
        report = DeliveryReport(channel=getattr(sender, "name", type(sender).__name__))
        try:
            with self._locked():
                self._deliver(sender, time.time() if now is None else now, max_deliveries, time_budget, report)
        except Exception as exc:  # the outbox itself failed (disk full, permissions): report, do not raise
            report.errors.append(f"outbox: {type(exc).__name__}: {exc}")
            report.stopped = report.stopped or "outbox error"
        return report

    def _deliver(
        self,
        sender: AlertSender,
        now: float,
        max_deliveries: int,
        time_budget: float | None,
        report: DeliveryReport,
    ) -> None:
        started = time.monotonic()
        pending = self.pending()
        attempts = self._attempts()
        changed = False
        remaining = len(pending)
        for alert in pending:
            state = attempts.get(alert.evaluation_id) or {}
            if float(state.get("next_attempt_at") or 0) > now:
                report.deferred += 1
                continue
            if report.stopped:
                continue
            if len(report.delivered) + len(report.failed) >= max_deliveries:
                report.stopped = f"at most {max_deliveries} deliveries per round"
                continue
            if time_budget is not None and time.monotonic() - started > time_budget:
                report.stopped = f"time budget of {time_budget:g}s used"
                continue
            try:
                sender.send(alert)
            except Exception as exc:  # any failure of the channel: keep the alert, retry later
                count = int(state.get("attempts") or 0) + 1
                attempts[alert.evaluation_id] = {
                    "attempts": count,
                    "next_attempt_at": now + backoff_seconds(count),
                    "last_attempt_at": now,
                    "last_error": str(exc)[:500],
                }
                changed = True
                report.failed.append(alert.evaluation_id)
                report.errors.append(str(exc)[:500])
                if getattr(exc, "endpoint_down", False) or not isinstance(exc, DeliveryError):
                    report.stopped = "channel unavailable"
                continue
            append_lines(self.delivered_path, [alert.evaluation_id])  # only now is it delivered
            remaining -= 1
            report.delivered.append(alert.evaluation_id)
            if attempts.pop(alert.evaluation_id, None) is not None:
                changed = True
        report.pending = remaining
        if changed:
            atomic_write_text(self.attempts_path, json.dumps(attempts, sort_keys=True, indent=1))
        self._compact_if_due()

    def _compact_if_due(self) -> None:
        """Rewrite the outbox without delivered alerts once they dominate (their ids stay in delivered.txt)."""
        entries = self._entries()
        delivered = self._delivered_ids()
        done = sum(1 for entry in entries if entry["evaluation_id"] in delivered)
        if done < COMPACT_AFTER_DELIVERED or done * 2 < len(entries):
            return
        keep = [entry for entry in entries if entry["evaluation_id"] not in delivered]
        lines = [json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str) for entry in keep]
        atomic_write_text(self.outbox_path, "".join(line + "\n" for line in lines))
        attempts = self._attempts()
        live = {entry["evaluation_id"] for entry in keep}
        if set(attempts) - live:
            atomic_write_text(
                self.attempts_path,
                json.dumps({k: v for k, v in attempts.items() if k in live}, sort_keys=True, indent=1),
            )
