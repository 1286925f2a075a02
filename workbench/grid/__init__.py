"""Comparison grids: prompts x models x parameter sets, run concurrently, watched live, and
read into pandas (``Grid``, ``GridResult``).

The grid knows no UI: the widgets package registers its live view with ``set_view_factory``.
"""

from __future__ import annotations

from ._batch import BatchFileError
from ._cells import Cell, CellKey, CellStatus, ScoreError
from ._display import set_view_factory
from ._estimate import GridEstimate
from ._grid import Grid
from ._grid_events import (
    BatchProgress,
    CellDelta,
    CellFinished,
    CellStarted,
    GridEvent,
    GridFinished,
    GridStarted,
)
from ._result import GridResult

__all__ = [
    "BatchFileError",
    "BatchProgress",
    "Cell",
    "CellDelta",
    "CellFinished",
    "CellKey",
    "CellStarted",
    "CellStatus",
    "Grid",
    "GridEstimate",
    "GridEvent",
    "GridFinished",
    "GridResult",
    "GridStarted",
    "ScoreError",
    "set_view_factory",
]
