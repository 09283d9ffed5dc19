"""Fault injection: what a flaky API, a proxy and the real world do to a client.

Configured by CLI flags or by the environment variable TIKTOK_SIMULATOR_FAULTS, a comma-separated list
of `name=value` pairs, for example:

    TIKTOK_SIMULATOR_FAULTS="rate_limited=0.05,internal_error=0.05,http_5xx=0.05,truncated=0.02"

Rates (fractions of data calls, 0-1): rate_limited (40100), internal_error (50002), http_5xx (HTTP 503),
slow (answered after slow_seconds), timeout (answered after timeout_seconds, past a client's timeout,
or as soon as the faults are switched off), truncated (a JSON body cut short), html (an HTML error page
from a proxy).
Other keys: slow_seconds, timeout_seconds (real seconds); revoked=<business_id>|<business_id> (those
accounts' tokens are revoked: 40105 on every call and on refresh); mentions_unapproved=<business_id>|<business_id>
(those accounts are not approved for the brand mentions product: /business/mention/... answers 40001 with a message
about permission; `*` stands for the whole app; by default every account is approved);
unknown_categories=<category>|<category> (TikTok does not know these business categories: /business/benchmark/
answers 40002 about business_category for them, as it would if the project's working list, contract.BUSINESS_CATEGORIES,
named a category differently; by default every listed category is known); break=<rule_id>|<rule_id>
(the data served breaks these quality rules, so that a rule can be watched firing end to end; every rule of
expectations/rules.py has a switch, BREAKABLE_RULES says what each one does); spike=<business_id>@<YYYY-MM-DD>|...
(that account-day's daily metrics, views and what follows from them, are served SPIKE_FACTOR = 10 times as high,
whenever the day is fetched: a viral day, which the performance rule metrics_within_usual_range reports once the
account has the history its score needs; `*` stands for the first account; everything else is served unchanged).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields
from datetime import date

from tiktok_api.simulator.breakage import BREAKABLE_RULES

FIRST_ACCOUNT = "*"
RATE_NAMES = ("rate_limited", "internal_error", "http_5xx", "slow", "timeout", "truncated", "html")


@dataclass
class FaultConfig:
    rate_limited: float = 0.0
    internal_error: float = 0.0
    http_5xx: float = 0.0
    slow: float = 0.0
    timeout: float = 0.0
    truncated: float = 0.0
    html: float = 0.0
    slow_seconds: float = 1.0
    timeout_seconds: float = 35.0
    revoked: set[str] = field(default_factory=set)
    mentions_unapproved: set[str] = field(default_factory=set)
    unknown_categories: set[str] = field(default_factory=set)
    broken_rules: set[str] = field(default_factory=set)
    spikes: set[tuple[str, date]] = field(default_factory=set)
    """(business_id or FIRST_ACCOUNT, day) of the spiked account-days."""

    def is_spiked(self, business_id: str, account_index: int, day: date) -> bool:
        """Whether spike= names this account-day (`*`: the first account, index 0)."""
        return (business_id, day) in self.spikes or (account_index == 0 and (FIRST_ACCOUNT, day) in self.spikes)

    @classmethod
    def parse(cls, text: str | None) -> FaultConfig:
        config = cls()
        # the keys people write: the fields, but break= and spike= for the two that hold parsed sets
        known = {f.name for f in fields(cls)} - {"broken_rules", "spikes"} | {"break", "spike"}
        for item in (text or "").split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in known:
                raise ValueError(
                    f"TIKTOK_SIMULATOR_FAULTS: cannot read {item!r}; expected name=value with name one of "
                    f"{sorted(known)}"
                )
            if name == "spike":
                config.spikes = {_spike(v.strip()) for v in value.split("|") if v.strip()}
                continue
            if name == "break":
                config.broken_rules = {v.strip() for v in value.split("|") if v.strip()}
                unknown = config.broken_rules - set(BREAKABLE_RULES)
                if unknown:
                    raise ValueError(
                        f"TIKTOK_SIMULATOR_FAULTS: cannot break {sorted(unknown)}; "
                        f"breakable rules: {sorted(BREAKABLE_RULES)}"
                    )
                continue
            if name in ("revoked", "mentions_unapproved", "unknown_categories"):
                setattr(config, name, {v.strip() for v in value.split("|") if v.strip()})
                continue
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"TIKTOK_SIMULATOR_FAULTS: {name} needs a number, got {value!r}") from None
            if name in RATE_NAMES and not 0 <= number <= 1:
                raise ValueError(f"TIKTOK_SIMULATOR_FAULTS: {name} is a rate between 0 and 1, got {number}")
            setattr(config, name, number)
        if sum(getattr(config, n) for n in RATE_NAMES) > 1:
            raise ValueError("TIKTOK_SIMULATOR_FAULTS: the fault rates add up to more than 1")
        return config


def _spike(text: str) -> tuple[str, date]:
    """`<business_id>@<YYYY-MM-DD>` (or `*@<YYYY-MM-DD>`, the first account) as (business_id, day)."""
    account, sep, day = text.rpartition("@")
    try:
        if not sep or not account.strip():
            raise ValueError
        return account.strip(), date.fromisoformat(day.strip())
    except ValueError:
        raise ValueError(
            f"TIKTOK_SIMULATOR_FAULTS: spike needs <business_id>@<YYYY-MM-DD> (or *@<YYYY-MM-DD> for the first "
            f"account), got {text!r}"
        ) from None


class FaultInjector:
    """Draws at most one fault per data call, deterministically for a seed."""

    def __init__(self, config: FaultConfig, seed: int):
        self.config = config
        self._seed = seed
        self._random = random.Random(seed * 7919 + 1)
        self._streams: dict[str, random.Random] = {"": self._random}
        self._lock = threading.Lock()

    def draw(self, stream: str = "") -> str | None:
        """The fault of the next call of `stream` (each stream draws from its own sequence), or None."""
        with self._lock:
            if stream not in self._streams:
                self._streams[stream] = random.Random(f"{self._seed}:{stream}")
            x = self._streams[stream].random()
        for name in RATE_NAMES:
            rate = getattr(self.config, name)
            if x < rate:
                return name
            x -= rate
        return None
