"""Where the notebook views are registered: the package root registers the widgets that show a
conversation and a running grid, so neither the conversation nor the grid imports a UI (and
``import workbench`` imports neither of them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["lookup", "register"]

_factories: dict[str, Callable[..., Any]] = {}


def register(kind: str, factory: Callable[..., Any] | None) -> None:
    """Register (or, with None, remove) the view factory for ``kind`` (``conversation``,
    ``grid``)."""
    if factory is None:
        _factories.pop(kind, None)
    else:
        _factories[kind] = factory


def lookup(kind: str) -> Callable[..., Any] | None:
    """The view factory registered for ``kind``, or None."""
    return _factories.get(kind)
