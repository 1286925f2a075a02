"""Checks shared by the request's validators: a field's type, a number's range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["check_booleans", "check_choices", "check_field", "check_number", "check_strings"]


def check_field(
    where: str, holder: Mapping[str, Any], key: str, kind: type, *, nullable: bool = False
) -> None:
    """``holder[key]`` is absent, or of ``kind`` (a bool only where a bool is wanted), or null
    where the API allows it."""
    if key not in holder or (nullable and holder[key] is None):
        return
    value = holder[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        what = {str: "a string", bool: "true or false"}.get(kind, "a dict")
        raise InvalidParameterError(f"{where}.{key}", f"must be {what}, got {value!r}")


def check_number(
    name: str, value: object, low: float | None, high: float | None, *, integer: bool
) -> None:
    """``value`` is a number (an integer when ``integer``) from ``low`` to ``high`` (None: no
    bound on that side)."""
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type:
        raise InvalidParameterError(name, f"must be {kind}, got {value!r}")
    assert isinstance(value, (int, float))
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f">= {low}"
        raise InvalidParameterError(name, f"{value!r} is out of range", allowed=span)


def check_choices(params: Mapping[str, Any], choices: Mapping[str, tuple[str, ...]]) -> None:
    """Each parameter named in ``choices`` is absent, null, or one of its allowed values."""
    for name, allowed in choices.items():
        value = params.get(name)
        if value is not None and value not in allowed:
            raise InvalidParameterError(name, f"got {value!r}", allowed=allowed)


def check_booleans(params: Mapping[str, Any], names: Iterable[str]) -> None:
    """Each of ``names`` is absent, null, or a bool."""
    for name in names:
        value = params.get(name)
        if value is not None and not isinstance(value, bool):
            raise InvalidParameterError(name, f"must be a bool, got {value!r}")


def check_strings(params: Mapping[str, Any], strings: Mapping[str, int | None]) -> None:
    """Each parameter named in ``strings`` is absent, null, or a string of at most its length
    (None: any length)."""
    for name, longest in strings.items():
        value = params.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameterError(name, f"must be a string, got {value!r}")
        if longest is not None and isinstance(value, str) and len(value) > longest:
            raise InvalidParameterError(
                name, f"has {len(value)} characters", allowed=f"<= {longest}"
            )
