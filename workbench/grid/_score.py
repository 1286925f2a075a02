"""Scorers: the user's callables run on each finished cell's output, their errors kept apart."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._cells import Cell, ScoreError

__all__ = ["Scorer", "prepare_scorers", "score_cell"]


@dataclass(frozen=True)
class Scorer:
    """A scorer with how to call it: ``f(value)``, ``f(value, cell)`` or ``f(value, cell=cell)``;
    on the event loop (async) or in a worker thread (sync)."""

    name: str
    function: Callable[..., Any]
    cell_as: Literal["none", "positional", "keyword"]
    is_async: bool

    async def __call__(self, value: Any, cell: Cell) -> Any:
        args: tuple[Any, ...] = (value, cell) if self.cell_as == "positional" else (value,)
        kwargs = {"cell": cell} if self.cell_as == "keyword" else {}
        if self.is_async:
            result = self.function(*args, **kwargs)
        else:  # a sync judge may block on a model for seconds: keep it off the event loop
            result = await asyncio.to_thread(self.function, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


def prepare_scorers(scorers: Mapping[str, Callable[..., Any]]) -> list[Scorer]:
    """Each scorer, with how it takes the cell (if at all) and whether it is async."""
    return [
        Scorer(name, function, _cell_as(function), _is_async(function))
        for name, function in scorers.items()
    ]


async def score_cell(cell: Cell, scorers: list[Scorer], structured: bool) -> None:
    """Fill ``cell.scores``: each scorer's value, or a ``ScoreError`` where it raised.

    The scorers see ``cell.parsed`` when the cell asked for structured output (``structured``),
    else ``cell.output``.
    """
    value = cell.parsed if structured else cell.output
    for scorer in scorers:
        try:
            cell.scores[scorer.name] = await scorer(value, cell)
        except Exception as exc:  # a broken scorer costs its column, never the grid
            cell.scores[scorer.name] = ScoreError(f"{type(exc).__name__}: {exc}")


def _cell_as(function: Callable[..., Any]) -> Literal["none", "positional", "keyword"]:
    """How ``function`` takes the cell: as a second positional argument, as ``cell=``, or not."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: one argument
        return "none"
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) >= 2 or any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return "positional"
    if any(p.name == "cell" and p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters):
        return "keyword"
    return "none"


def _is_async(function: Callable[..., Any]) -> bool:
    call = getattr(function, "__call__", None)  # noqa: B004 - an object with async __call__
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)
