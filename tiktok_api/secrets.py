"""A string that refuses to be printed: tokens and the client secret travel wrapped in it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"


class Secret:
    """Wraps a secret string; only ``reveal()`` gives the value back.

    repr, str, format and f-strings all show a mask, so a secret that ends up in a log line, an
    exception message or a dataclass repr by accident does not leak.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):  # wrapping twice would mask the mask
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        # f"{secret}" and f"{secret:>20}" go through here, never through the value.
        return format(MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        # Pickling (e.g. to a subprocess) keeps the value; only display is masked.
        return (Secret, (self._value,))


def reveal(value: Secret | str | None) -> str | None:
    """The plain value of a Secret or str (None stays None)."""
    if value is None:
        return None
    return value.reveal() if isinstance(value, Secret) else value


def redact(value: Any, secrets: Iterable[Secret | str | None]) -> Any:
    """`value` (text, or dicts, lists and tuples of it) with every given secret replaced by the mask.

    The one scrubber of the platform: error messages, stored results and logs pass through it.
    """
    plain = sorted({v for v in map(reveal, secrets) if v}, key=len, reverse=True)  # longest first
    return _redact(value, plain)


def _redact(value: Any, plain: list[str]) -> Any:
    if isinstance(value, str):
        for secret in plain:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: _redact(item, plain) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(item, plain) for item in value)
    return value


def password_forms(password: str | None, *texts: str) -> tuple[str, ...]:
    """The forms in which a password can appear in text: raw, URL-escaped both ways, and the given texts
    (such as a connection URL rendered with it)."""
    if not password:
        return ()
    return tuple({password, quote(password, safe=""), quote_plus(password), *texts})
