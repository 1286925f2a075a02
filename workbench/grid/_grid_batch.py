"""How ``Grid.run``, ``arun`` and ``resume`` start, and a Batch API run end to end: the options
checked, the grid claimed, the batches run (``_batch_run``), then what they answered scored and
graded as a live run's cells are."""

from __future__ import annotations

import time
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidParameterError, WorkbenchError
from ..conversation._log import ConversationLog
from ._batch_budget import skip_past_budget
from ._batch_log import BatchLog, BatchRow, batch_log_path
from ._batch_run import BatchRunner, server_of
from ._batch_split import check_request_sizes
from ._cells import ANSWERED, Cell
from ._grid_events import CellFinished, GridFinished, GridStarted
from ._result import GridResult
from ._run import Runner, needs_scoring

if TYPE_CHECKING:
    from ..local import BatchLimits
    from ._grid import Grid

__all__ = ["batch_settings", "check_batch_client", "execute_batch", "logged_batches"]
__all__ += ["no_batch_options", "prepare_batch", "reported", "start_run"]


def start_run(
    grid: Grid,
    display: bool | None,
    batch: bool | None,
    limits: BatchLimits | None,
    poll_interval: float | None,
) -> Callable[[], Awaitable[GridResult]]:
    """Claim ``grid`` for a run and show it; returns what runs it. ``batch``: True for
    ``run(batch=True)``, None for ``resume()`` (batches, submitting nothing), False live."""
    if batch is None or batch is True:
        runner, skipped = prepare_batch(grid, batch is True, limits, poll_interval)
        grid._show(display, len(runner.cells) + len(skipped))
        return lambda: execute_batch(grid, runner, skipped)
    no_batch_options(batch, limits, poll_interval)
    cells = grid._prepare(None)
    grid._show(display, len(cells))
    return lambda: grid._execute(cells)


def prepare_batch(
    grid: Grid, submit: bool, limits: BatchLimits | None, poll_interval: float | None
) -> tuple[BatchRunner, list[Cell]]:
    """Check a batch run's options, claim the grid, and reset the cells it will answer; returns
    the run, and the cells it skips as past the budget (``skip_past_budget``)."""
    limits, first_poll = batch_settings(grid.client, limits, poll_interval)
    if any(tool.enabled for tool in grid._spec.tools):
        raise InvalidParameterError(
            "batch", "a grid with tools runs them between requests, which a batch cannot"
        )
    logged = logged_batches(grid)
    if not submit and not logged:
        raise WorkbenchError(
            f"no batch of this grid (requests_version {grid.requests_version}) on"
            f" {grid._base_url} in the log: run(batch=True) submits them"
        )
    submitted = {cid for row in logged for cid in row.custom_ids}
    if submit:
        unsent = [c for c in grid.cells if c.status not in ANSWERED and str(c.key) not in submitted]
        check_request_sizes(grid, unsent, limits)
    with grid._lock:
        if grid._runner is not None:
            raise WorkbenchError("the grid is already running: cancel() it or wait")
        indexes = [i for i, cell in enumerate(grid.cells) if cell.status not in ANSWERED]
        if submit:
            grid._check_budget([grid.cells[i] for i in indexes], batch=True)
        for i in indexes:
            grid.cells[i] = grid.cells[i].fresh()
        cells = [grid.cells[i] for i in indexes]
        skipped = skip_past_budget(grid, cells, submitted) if submit else []
        runner = BatchRunner(
            grid,
            [cell for cell in cells if cell.status != "skipped"],
            limits=limits,
            poll_interval=first_poll,
            submit=submit,
        )
        grid._runner = runner
        grid._cancel_requested = False
    return runner, skipped


async def execute_batch(grid: Grid, runner: BatchRunner, skipped: list[Cell]) -> GridResult:
    """Run the batches, then score and grade what they answered (as a live run does);
    ``skipped``: the cells past the budget, which end at once."""
    started = time.perf_counter()
    try:
        grid._emit(GridStarted(grid))
        for cell in skipped:
            grid._emit(CellFinished(cell))
        await runner.run()
        unscored = [c for c in grid.cells if needs_scoring(c, grid._spec)]
        if unscored:
            with grid._lock:
                # A cancel was aimed at the batches: what they answered is scored all the same
                # (a cancel from here on stops the scoring).
                grid._cancel_requested = False
                scoring = grid._runner = Runner(grid, unscored)
            await scoring.run()
    finally:
        with grid._lock:
            grid._runner = None
        result = GridResult(
            grid,
            grid.cells,
            elapsed_s=time.perf_counter() - started,
            batch_ids=runner.batch_ids,
            batch_problems=runner.problems,
        )
        grid._emit(GridFinished(result))
    return result


def no_batch_options(
    batch: object, batch_limits: BatchLimits | None, poll_interval: float | None
) -> None:
    """Refuse a batch option in a live run (``batch`` False), and a ``batch`` not a bool."""
    if not isinstance(batch, bool):
        raise InvalidParameterError("batch", f"must be True or False, got {batch!r}")
    for name, value in (("batch_limits", batch_limits), ("poll_interval", poll_interval)):
        if value is not None:
            raise InvalidParameterError(name, "is a Batch API option: pass batch=True with it")


def reported(result: GridResult) -> GridResult:
    """Warn of what went wrong beside the cells: lines of a batch's output that fit no cell, a
    batch that could not be submitted (it is on the result too, and the cells say so)."""
    if result.batch_problems:
        shown = "; ".join(result.batch_problems[:3])
        more = len(result.batch_problems) - 3
        warnings.warn(
            f"the batch run met {len(result.batch_problems)} problem(s)"
            f" (result.batch_problems): {shown}" + (f"; and {more} more" if more > 0 else ""),
            stacklevel=3,
        )
    return result


def check_batch_client(client: Any) -> None:
    """Refuse, before anything is sent, a client without the Batch API's resources.

    Raises:
        InvalidParameterError: ``client`` has no ``files`` and ``batches``.
    """
    if not (hasattr(client, "files") and hasattr(client, "batches")):
        raise InvalidParameterError(
            "batch",
            f"the grid's client ({type(client).__name__}) has no files and batches resources"
            " to run a Batch API job with",
        )


def logged_batches(grid: Grid) -> list[BatchRow]:
    """The batches the log holds for ``grid``'s requests (``requests_version``) on its
    server, oldest first (none, without creating it, when the log file does not exist)."""
    path = batch_log_path(grid._log)
    if not path.exists():
        return []
    with ConversationLog(path) as db:
        return BatchLog(db).rows(grid.requests_version, server_of(grid))


def batch_settings(
    client: Any, batch_limits: BatchLimits | None, poll_interval: float | None
) -> tuple[BatchLimits, float]:
    """The limits and first poll interval of a batch run, checked before anything is sent:
    by default the API's limits, and polls from 1 s (0.05 s on the in-process local model).

    Raises:
        InvalidParameterError: a bad ``batch_limits`` or ``poll_interval``, or a client without
            the Batch API's resources.
    """
    from ..local import BatchLimits  # the local model's package: loaded when needed

    check_batch_client(client)
    if batch_limits is not None and not isinstance(batch_limits, BatchLimits):
        raise InvalidParameterError(
            "batch_limits", f"must be a BatchLimits, got {type(batch_limits).__name__}"
        )
    for name in ("max_requests", "max_bytes"):
        value = getattr(batch_limits, name, 1)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParameterError(
                f"batch_limits.{name}", f"must be an integer >= 1, got {value!r}"
            )
    if poll_interval is None:
        poll_interval = 0.05 if getattr(client, "local_model", None) is not None else 1.0
    elif (
        isinstance(poll_interval, bool)
        or not isinstance(poll_interval, (int, float))
        or not 0 < poll_interval < float("inf")
    ):
        raise InvalidParameterError(
            "poll_interval", f"must be a number of seconds > 0, got {poll_interval!r}"
        )
    return batch_limits or BatchLimits(), float(poll_interval)
