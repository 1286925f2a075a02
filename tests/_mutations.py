"""Helpers for the property tests that mutate valid data: the paths into a JSON value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def json_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value`` (keys and list indexes), the empty path (the root) first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from json_paths(item, (*path, i))
