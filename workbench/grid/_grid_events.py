"""What a grid tells its observers while it runs: small typed events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Union

if TYPE_CHECKING:
    from ._cells import Cell
    from ._grid import Grid
    from ._result import GridResult

__all__ = ["CellDelta", "CellFinished", "CellStarted", "GridEvent", "GridFinished", "GridStarted"]


@dataclass(slots=True)
class GridStarted:
    """A run began (``grid.run()``, ``arun()`` or ``rerun()``)."""

    grid: Grid
    type: ClassVar[Literal["grid.started"]] = "grid.started"


@dataclass(slots=True)
class CellStarted:
    """A cell was sent (again, after a rate limit: its output starts over)."""

    cell: Cell
    type: ClassVar[Literal["cell.started"]] = "cell.started"


@dataclass(slots=True)
class CellDelta:
    """Reply text arrived for a running cell (``cell.output`` already holds it)."""

    cell: Cell
    delta: str
    type: ClassVar[Literal["cell.delta"]] = "cell.delta"


@dataclass(slots=True)
class CellFinished:
    """A cell has its final status: done, error, cancelled or skipped."""

    cell: Cell
    type: ClassVar[Literal["cell.finished"]] = "cell.finished"


@dataclass(slots=True)
class GridFinished:
    """The run ended (finished, cancelled or stopped by the budget) with this result."""

    result: GridResult
    type: ClassVar[Literal["grid.finished"]] = "grid.finished"


GridEvent = Union[GridStarted, CellStarted, CellDelta, CellFinished, GridFinished]
