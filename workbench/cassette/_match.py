"""Which recording answers a request: a canonical key, and what differs from the closest one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ._format import RecordedRequest

__all__ = ["closest", "differences", "key"]

_SHOWN = 40  # longer values are said to differ, not quoted
_LISTED = 6  # differences named in an error


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key(request: RecordedRequest) -> str:
    """Equal for requests that one recording answers: method, path, query (in any order) and
    the JSON body (in any key order; ``stream`` and ``stream_options`` are part of it)."""
    query = sorted(map(list, request.query))
    return _canonical([request.method, request.path, query, request.body])


def differences(recorded: RecordedRequest, requested: RecordedRequest) -> list[str]:
    """What differs, one line each: ``body.temperature: recorded 0.2, requested 0.7``."""
    found: list[str] = []
    _compare("method", recorded.method, requested.method, found)
    _compare("path", recorded.path, requested.path, found)
    _compare("query", _query(recorded), _query(requested), found)
    _compare("body", recorded.body, requested.body, found)
    return found


def closest(
    recorded: Sequence[RecordedRequest], requested: RecordedRequest
) -> tuple[int, list[str]] | None:
    """The index of the recorded request nearest to ``requested`` (same method and path first,
    then fewest differences), and its differences; None when nothing is recorded."""
    best: tuple[int, int, list[str]] | None = None
    for index, candidate in enumerate(recorded):
        found = differences(candidate, requested)
        score = len(found)
        score += 1000 * (candidate.method != requested.method)
        score += 100 * (candidate.path != requested.path)
        if best is None or score < best[0]:
            best = (score, index, found)
    return None if best is None else (best[1], best[2])


def summary(found: list[str]) -> str:
    """The first few differences as indented lines."""
    lines = [f"  {line}" for line in found[:_LISTED]]
    if len(found) > _LISTED:
        lines.append(f"  ... and {len(found) - _LISTED} more")
    return "\n".join(lines)


def _query(request: RecordedRequest) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name, value in request.query:
        merged[name] = [*merged[name], value] if name in merged else value
    return merged


def _compare(where: str, recorded: Any, requested: Any, found: list[str]) -> None:
    if _canonical(recorded) == _canonical(requested):
        return
    if isinstance(recorded, dict) and isinstance(requested, dict):
        for name in [*recorded, *(k for k in requested if k not in recorded)]:
            at = f"{where}.{name}"
            if name not in requested:
                found.append(f"{at}: recorded {_show(recorded[name])}, not in the request")
            elif name not in recorded:
                found.append(f"{at}: not recorded, requested {_show(requested[name])}")
            else:
                _compare(at, recorded[name], requested[name], found)
    elif isinstance(recorded, list) and isinstance(requested, list):
        for index, (old, new) in enumerate(zip(recorded, requested, strict=False)):
            _compare(f"{where}[{index}]", old, new, found)
        if len(recorded) != len(requested):
            found.append(f"{where}: recorded {len(recorded)} items, requested {len(requested)}")
    else:
        old, new = _canonical(recorded), _canonical(requested)
        if isinstance(recorded, (dict, list)) or isinstance(requested, (dict, list)):
            found.append(f"{where} differs")
        elif len(old) <= _SHOWN and len(new) <= _SHOWN:
            found.append(f"{where}: recorded {old}, requested {new}")
        else:
            found.append(f"{where} differs")


def _show(value: Any) -> str:
    text = _canonical(value)
    return text if len(text) <= _SHOWN else "(a value)"
