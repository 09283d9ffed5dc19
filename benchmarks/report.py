"""The printed result: one table of ratios against their goals, with the machine and versions (pure)."""

from __future__ import annotations

import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata


@dataclass(frozen=True)
class Figure:
    number: int
    name: str
    value: float
    goal: float  # the figure must be at most this
    unit: str = "x"
    detail: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.value <= self.goal


def format_value(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.2f}x"


def format_table(figures: list[Figure]) -> str:
    """A Markdown table: number, figure, value, goal, met or missed, and what was measured."""
    lines = ["| # | figure | value | goal | result | measured |", "|---|---|---:|---:|---|---|"]
    for f in sorted(figures, key=lambda f: f.number):
        result = "met" if f.met else "MISSED"
        goal = f"<= {format_value(f.goal, f.unit)}"
        lines.append(f"| {f.number} | {f.name} | {format_value(f.value, f.unit)} | {goal} | {result} | {f.detail} |")
    return "\n".join(lines)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine_lines() -> list[str]:
    import os

    versions = []
    for package in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb", "great-expectations", "httpx"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gb():.0f} GB, {platform.platform()}",
        f"Python {platform.python_version()}; " + ", ".join(versions),
    ]
