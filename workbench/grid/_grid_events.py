"""What a grid tells its observers while it runs: small typed events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Union

if TYPE_CHECKING:
    from ._cells import Cell
    from ._grid import Grid
    from ._result import GridResult

__all__ = ["BatchProgress", "CellDelta", "CellFinished", "CellStarted", "GridEvent", "GridFinished"]
__all__ += ["GridStarted"]


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
class BatchProgress:
    """A batch of a ``run(batch=True)`` changed: uploaded, created, polled, or merged.

    Attributes:
        batch_id: the batch's id (None while its file is being uploaded).
        part: which of the run's batches (from 1), of ``parts``.
        status: the batch's status (``uploading``, ``validating``, ``in_progress``,
            ``finalizing``, ``completed``, ``failed``, ``expired``, ``cancelling``,
            ``cancelled``), or ``merged`` once its results are in the cells.
        completed: requests done so far; failed: requests failed so far; total: its requests.
    """

    batch_id: str | None
    part: int
    parts: int
    status: str
    completed: int
    failed: int
    total: int
    type: ClassVar[Literal["batch.progress"]] = "batch.progress"

    def __str__(self) -> str:
        name = self.batch_id or "(uploading)"
        return (
            f"batch {self.part}/{self.parts} {name}: {self.status}"
            f" {self.completed + self.failed}/{self.total}"
            + (f" ({self.failed} failed)" if self.failed else "")
        )


@dataclass(slots=True)
class GridFinished:
    """The run ended (finished, cancelled or stopped by the budget) with this result."""

    result: GridResult
    type: ClassVar[Literal["grid.finished"]] = "grid.finished"


GridEvent = Union[GridStarted, CellStarted, CellDelta, CellFinished, BatchProgress, GridFinished]
