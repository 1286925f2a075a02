"""How a running grid shows itself: the notebook view the package registers, or else a progress
line on stderr (count, rate, ETA), rewritten in place."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any

from .. import _views

if TYPE_CHECKING:
    from ._grid import Grid

__all__ = ["ProgressLine", "batches_text", "open_display", "set_view_factory"]

View = Callable[["Grid"], Any]


def set_view_factory(factory: View | None) -> None:
    """Register what shows a running grid in a notebook: called with the grid when a run starts,
    it shows a live view (subscribing to the grid's events itself) and returns it, or returns
    None where there is no notebook front end. The grid itself knows no UI."""
    _views.register("grid", factory)


def open_display(grid: Grid, display: bool | None, total: int) -> None:
    """Show the run about to start: ``display=False`` shows nothing; otherwise the registered
    view, or where it shows nothing (a script, a terminal), a progress line on stderr."""
    if display is False:
        return
    factory = _views.lookup("grid")
    if factory is not None and factory(grid) is not None:
        return
    ProgressLine(grid, total, sys.stderr)


class ProgressLine:
    """``grid: 37/96 cells · 12.3/s · ETA 4.8 s · 2 errors``, rewritten with ``\\r`` as cells
    finish (at most every ``interval`` seconds), then a last line with the total time. In a
    ``run(batch=True)``, the batches' statuses and request counts follow (``batches_text``).

    Args:
        grid: the grid to observe (it subscribes at once, and unsubscribes when the run ends).
        total: how many cells the run sends.
        stream: where to write (stderr).
        clock: seconds, monotonic (tests pass a fake one).
        interval: the least time between two rewrites; default 0.1 s on a terminal, 2 s
            elsewhere (a log file keeps every rewrite).
    """

    def __init__(
        self,
        grid: Grid,
        total: int,
        stream: IO[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self.errors = 0
        self.unfinished = 0
        self.incomplete = 0
        self.cut = 0
        self._stream = stream
        self._clock = clock
        if interval is None:
            interval = 0.1 if _is_terminal(stream) else 2.0
        self._interval = interval
        self._started = clock()
        self._shown = -float("inf")
        self._width = 0
        self.batches: dict[int, Any] = {}
        """The last ``BatchProgress`` of each batch of a ``run(batch=True)``, by part."""
        self._unsubscribe = grid.subscribe(self)

    def __call__(self, event: Any) -> None:
        kind = event.type
        if kind == "grid.started":
            self._started = self._clock()
        elif kind == "cell.finished":
            self.done += 1
            status = event.cell.status
            self.errors += status == "error"
            self.incomplete += status == "incomplete"
            self.cut += status == "cut"
            self.unfinished += status in ("cancelled", "skipped")
            now = self._clock()
            if now - self._shown >= self._interval:
                self._shown = now
                self._write(self.line())
        elif kind == "batch.progress":
            self.batches[event.part] = event
            now = self._clock()
            if now - self._shown >= self._interval:
                self._shown = now
                self._write(self.line())
        elif kind == "grid.finished":
            self._unsubscribe()
            self._write(self.line(final=True), end="\n")

    def line(self, *, final: bool = False) -> str:
        """The progress as one line of text."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        took = f" in {elapsed:.1f} s" if final else ""
        parts = [f"grid: {self.done}/{self.total} cells{took}", f"{rate:.1f}/s"]
        if not final and rate > 0:
            parts.append(f"ETA {(self.total - self.done) / rate:.1f} s")
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors > 1 else ''}")
        if self.cut:
            parts.append(f"{self.cut} cut")
        if self.incomplete:
            parts.append(f"{self.incomplete} incomplete")
        if self.unfinished:
            parts.append(f"{self.unfinished} not run")
        if self.batches and not final:
            parts.append(batches_text(self.batches.values()))
        return " · ".join(parts)

    def _write(self, text: str, end: str = "") -> None:
        padding = " " * max(0, self._width - len(text))  # cover a longer line shown before
        self._width = len(text)
        try:
            self._stream.write("\r" + text + padding + end)
            self._stream.flush()
        except (OSError, ValueError):  # a closed stderr must not fail the grid
            pass


def batches_text(batches: Iterable[Any]) -> str:
    """``batches: 2 in_progress, 1 completed · 1200/2000 requests``: the batches of a run by
    status, and their requests answered (or failed) so far."""
    shown = list(batches)
    counts: dict[str, int] = {}
    for batch in shown:
        counts[batch.status] = counts.get(batch.status, 0) + 1
    answered = sum(b.completed + b.failed for b in shown)
    total = sum(b.total for b in shown)
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"batches: {statuses} · {answered}/{total} requests"


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
