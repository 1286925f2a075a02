"""The live view of a comparison grid: a table whose cells stream, a progress bar and Stop while
it runs, a summary when it ends, and the full transcript of a chosen cell.

Design, as for the conversation widget:

* The durable state is in synced traits (``cells``: one small dict per cell with its status and
  the first ``PREVIEW_CHARS`` characters of its output; ``progress``), so a view created later
  draws the table. The ``cells`` trait is synced at most once per ``SYNC_SECONDS`` while the
  grid runs, and once at the end: never once per cell, which would send the whole table a
  thousand times for a thousand cells.
* Between syncs, custom messages carry only what changed: streamed text per cell (coalesced
  by a ``Coalescer`` as the conversation widget's are, at most ~30 messages a second), and each
  cell's start and end.
* A cell shows the start of its reply; opened, it asks for the whole reply (``{"action":
  "text"}``), which comes back as one custom message, so the table never holds whole replies.
* When the run ends, ``summary`` holds the counts by status, the cost (judges included) and
  the wall time, and each grader's passes; the front end shows it in place of the progress bar
  and Stop.
* A graded cell carries a small mark per grader (its score, and pass or fail) in the table; the
  judges' reasoning comes with the whole reply when the cell is opened.
* Model output is shown as text (``textContent`` in the front end), never as HTML.
* ``GridView`` is an ``ipywidgets.VBox`` of the table and a detail area; a cell's
  "Conversation" button puts that cell's ``ConversationWidget`` in the detail area. Its
  ``text/plain`` is the grid as a text table, which is what nbconvert, nbval and terminals
  show; it holds no timings, so it is the same from run to run on the local model.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets  # type: ignore[import-untyped]
import traitlets

from ..grid._cells import FINAL_STATUSES
from ..grid._display import batches_text
from ._coalesce import Coalescer
from ._esm import GRID_PIECES, STATIC, join_esm
from ._live import show_live
from ._plain_text import inert
from ._widget import ConversationWidget

__all__ = ["GridView", "grid_text", "grid_view"]

PREVIEW_CHARS = 400
"""How much of a cell's output the table holds (the transcript has all of it)."""
FULL_CHARS = 200_000
"""The most of a cell's output an opened cell shows (the transcript has all of it)."""
SYNC_SECONDS = 1.0
"""The least time between two syncs of the whole ``cells`` trait while the grid runs."""
PROGRESS_SECONDS = 0.25
"""The least time between two progress updates."""

_FINAL = FINAL_STATUSES


def _preview(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


GRADE_TEXT_CHARS = 4000
"""The most of a grade's reasoning or error an opened cell shows."""


def _grade_marks(cell: Any) -> list[dict[str, Any]]:
    """Each grade as the table shows it: name, score, pass, label, and the error's start."""
    marks = []
    for name, grade in (getattr(cell, "grades", None) or {}).items():
        score = grade.score
        marks.append(
            {
                "name": name,
                "score": None if score is None else round(float(score), 3),
                "passed": grade.passed,
                "label": grade.label,
                "error": (grade.error or "")[:200],
            }
        )
    return marks


def _grade_details(cell: Any) -> list[dict[str, Any]]:
    """Each grade as an opened cell shows it: with its reasoning, spread and agreement."""
    details = _grade_marks(cell)
    for detail, grade in zip(details, (getattr(cell, "grades", None) or {}).values(), strict=True):
        detail["error"] = (grade.error or "")[:GRADE_TEXT_CHARS]
        detail["reasoning"] = (grade.reasoning or "")[:GRADE_TEXT_CHARS]
        detail["spread"] = grade.spread
        detail["agreement"] = grade.agreement
    return details


def _cell_state(index: int, cell: Any) -> dict[str, Any]:
    marks = _grade_marks(cell)
    return {
        **({"grades": marks} if marks else {}),
        "i": index,
        "row": cell.row,
        "column": cell.column,
        "repeat": cell.repeat,
        "status": cell.status,
        "text": _preview(cell.output),
        "cut": len(cell.output or "") > PREVIEW_CHARS,
        "error": cell.error or "",
    }


class GridTable(anywidget.AnyWidget):
    """The table of a running grid (the front end is ``_static/grid.js``, see ``_esm``).

    Args:
        grid: the ``workbench.Grid`` to show.
        on_open: called with a cell's index when the user clicks its "Conversation" button.
        clock: the clock that paces updates (tests pass a fake one).
    """

    _esm = join_esm(GRID_PIECES)
    _css = STATIC / "grid.css"

    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    column_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    repeats = traitlets.Int(1).tag(sync=True)
    cells = traitlets.List(traitlets.Dict()).tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    running = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)
    summary = traitlets.Dict().tag(sync=True)
    """Empty until the run ends; then ``counts`` (by status), ``cost_usd`` (replies and judges;
    None when no cell's price is known), ``unpriced`` (finished cells without a price) and
    ``seconds``; with priced judges ``judge_cost_usd``, and with graders that say pass or fail
    ``passes`` (per grader: ``[passed, graded]``)."""

    def __init__(
        self,
        grid: Any,
        on_open: Callable[[int], object] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._grid = grid
        self._on_open = on_open
        self._clock = clock
        self._coalescer = Coalescer(self._send_custom, clock)
        self._lock = threading.Lock()
        self._index: dict[Any, int] = {}
        self._started_at: float | None = None
        self._last_sync = -math.inf
        self._last_progress = -math.inf
        self._dirty = False
        self._batches: dict[int, Any] = {}
        self.sync()
        self._unsubscribe = grid.subscribe(self._on_event)
        self.on_msg(self._on_front_end)

    def sync(self) -> None:
        """Send the whole table (labels, every cell) and the progress."""
        grid = self._grid
        self._index = {cell.key: i for i, cell in enumerate(grid.cells)}
        self.row_labels = list(grid.row_labels)
        self.column_labels = list(grid.column_labels)
        self.repeats = int(grid.repeats)
        self.cells = [_cell_state(i, cell) for i, cell in enumerate(grid.cells)]
        self._last_sync = self._clock()
        self._dirty = False
        self._send_progress(force=True)

    def close(self) -> None:
        """Stop observing the grid and close the comm."""
        self._unsubscribe()
        super().close()

    # -- the grid's events -------------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "CellDelta":
            index = self._index.get(event.cell.key)
            if index is not None:
                self._coalescer.add(str(index), event.delta)
        elif kind == "CellStarted":
            self._cell_changed(event.cell, "start")
        elif kind == "CellFinished":
            self._coalescer.flush()
            self._cell_changed(event.cell, "end")
        elif kind == "BatchProgress":
            self._batches[event.part] = event
            self._send_progress(force=True)
        elif kind == "GridStarted":
            self._batches = {}
            self._started_at = self._clock()
            self.summary = {}
            self.running = True
            self.sync()
        elif kind == "GridFinished":
            self._coalescer.flush()
            self.sync()
            self.summary = self._summary(getattr(event.result, "elapsed_s", None))
            self.running = False

    def _summary(self, elapsed: float | None) -> dict[str, Any]:
        cells = list(self._grid.cells)
        counts: dict[str, int] = {}
        for cell in cells:
            counts[cell.status] = counts.get(cell.status, 0) + 1
        costs = [
            getattr(c, "cost_usd", None) for c in cells if c.status in ("done", "cut", "incomplete")
        ]
        known = [c for c in costs if c is not None]
        judged = [j for c in cells if (j := getattr(c, "judge_cost_usd", None)) is not None]
        if elapsed is None and self._started_at is not None:
            elapsed = self._clock() - self._started_at
        passes = _passes(cells)
        return {
            "counts": counts,
            "cost_usd": round(sum(known) + sum(judged), 6) if known or judged else None,
            **({"judge_cost_usd": round(sum(judged), 6)} if judged else {}),
            **({"passes": passes} if passes else {}),
            "unpriced": len(costs) - len(known),
            "seconds": round(elapsed, 1) if elapsed is not None else None,
        }

    def _cell_changed(self, cell: Any, what: str) -> None:
        index = self._index.get(cell.key)
        if index is None:  # a cell the table does not know (the grid changed): redraw all
            self.sync()
            return
        message = {"type": what, **_cell_state(index, cell)}
        if what == "start":
            message.pop("text")
        self._send_custom(message)
        self._dirty = True
        now = self._clock()
        if now - self._last_sync >= SYNC_SECONDS:
            self.sync()
        else:
            self._send_progress()

    def _send_progress(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = now
        statuses = [cell.status for cell in self._grid.cells]
        done = sum(s in _FINAL for s in statuses)
        total = len(statuses)
        elapsed = now - self._started_at if self._started_at is not None else 0.0
        rate = done / elapsed if elapsed > 0 and done else 0.0
        self.progress = {
            "done": done,
            "total": total,
            "running": statuses.count("running"),
            "errors": statuses.count("error"),
            "incomplete": statuses.count("incomplete"),
            "cut": statuses.count("cut"),
            "cancelled": statuses.count("cancelled") + statuses.count("skipped"),
            "rate": round(rate, 2),
            "eta": round((total - done) / rate, 1) if rate else None,
            **(self._batch_progress() if self._batches else {}),
        }

    def _batch_progress(self) -> dict[str, Any]:
        """The batches' text and their requests answered (or failed) of all: while the cells
        wait on a batch, the meter follows its requests (the cells fill only at the merge)."""
        batches = list(self._batches.values())
        answered = sum(b.completed + b.failed for b in batches)
        return {
            "batches": batches_text(batches),
            "batch_requests": [answered, sum(b.total for b in batches)],
        }

    # -- the front end -----------------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.send(content, buffers)

    def _on_front_end(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "stop":
            self._grid.cancel()
        elif action == "text":
            self._send_full_text(int(content["i"]))
        elif action == "open":
            index = int(content["i"])
            self.selected = index
            if self._on_open is not None:
                self._on_open(index)

    def _send_full_text(self, index: int) -> None:
        cells = self._grid.cells
        if not 0 <= index < len(cells):
            return
        self._coalescer.flush()  # deltas already in the output go first, not after it
        output = cells[index].output or ""
        text = output if len(output) <= FULL_CHARS else output[: FULL_CHARS - 1] + "…"
        message = {"type": "full", "i": index, "text": text}
        if getattr(cells[index], "grades", None):
            message["grades"] = _grade_details(cells[index])
        self._send_custom(message)


def _passes(cells: list[Any]) -> dict[str, list[int]]:
    """Per grader that gave a pass or fail: how many cells passed, of how many."""
    passes: dict[str, list[int]] = {}
    for cell in cells:
        for name, grade in (getattr(cell, "grades", None) or {}).items():
            if grade.passed is not None:
                tally = passes.setdefault(name, [0, 0])
                tally[0] += bool(grade.passed)
                tally[1] += 1
    return passes


class GridView(ipywidgets.VBox):  # type: ignore[misc]
    """A grid's live table above the transcript of the cell last opened.

    Args:
        grid: the ``workbench.Grid`` to show.
        **kwargs: passed to ``GridTable`` (``clock``).
    """

    def __init__(self, grid: Any, **kwargs: Any) -> None:
        self.grid = grid
        self.table = GridTable(grid, self.show_cell, **kwargs)
        self.detail = ipywidgets.Box(layout=ipywidgets.Layout(width="100%"))
        super().__init__(children=[self.table, self.detail])

    def show_cell(self, index: int) -> ConversationWidget | None:
        """Show the transcript of cell ``index`` (None while the cell has not started)."""
        cell = self.grid.cells[index]
        chat = getattr(cell, "conversation", None)
        if chat is None:
            self.detail.children = []
            return None
        old = self.detail.children
        view = ConversationWidget(chat)
        self.detail.children = [view]
        for child in old:
            child.close()
        return view

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, with the grid as a text table for front ends that cannot draw it."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        return {**data, "text/plain": grid_text(self.grid)}, metadata


def grid_view(grid: Any) -> GridView | None:
    """Show ``grid`` live in the notebook and return the view; None outside a kernel (a plain
    script or a terminal, where the grid prints its progress line instead)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    view = GridView(grid)
    live = show_live(view)
    if live is None:
        return view

    def finish(event: Any) -> None:
        # The saved text/plain: the final table (see workbench.widgets._live).
        if event.type == "grid.finished":
            unsubscribe()
            live.finish()

    unsubscribe = grid.subscribe(finish)
    return view


def grid_text(grid: Any, width: int = 40) -> str:
    """The grid as a text table: one line per row and column (and repeat), the output cut to
    ``width`` characters, then a count of the cells by status. No timings: it reads the same
    from run to run."""
    lines: list[str] = []
    columns = list(grid.column_labels)
    by_row: dict[int, list[Any]] = {}
    for cell in grid.cells:
        by_row.setdefault(cell.row, []).append(cell)
    for row, label in enumerate(grid.row_labels):
        lines.append(f"[{row + 1}] {_one_line(label, 72)}")
        for cell in sorted(by_row.get(row, []), key=lambda c: (c.column, c.repeat)):
            column = columns[cell.column] if cell.column < len(columns) else str(cell.column)
            repeat = f" #{cell.repeat + 1}" if grid.repeats > 1 else ""
            if cell.status == "done":
                shown = _one_line(cell.output or "", width)
            elif cell.status in ("cut", "incomplete"):
                shown = f"[{cell.status}] {_one_line(cell.output or cell.error or '', width)}"
            elif cell.status == "error":
                shown = f"error: {_one_line(cell.error or '', width)}"
            else:
                shown = f"({cell.status})"
            lines.append(f"    {column}{repeat}: {shown}{_grades_text(cell)}")
    counts: dict[str, int] = {}
    for cell in grid.cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines.append(f"{len(grid.cells)} cells: {summary}")
    return "\n".join(lines)


def _grades_text(cell: Any) -> str:
    """`` [exact 1 pass, judge 0.4 fail]``: each grade's score (or label) and verdict."""
    parts = []
    for mark in _grade_marks(cell):
        if mark["error"]:
            parts.append(f"{mark['name']} failed")
            continue
        score = mark["score"]
        value = mark["label"] or (f"{score:g}" if score is not None else "-")
        verdict = {True: " pass", False: " fail"}.get(mark["passed"], "")
        parts.append(f"{mark['name']} {value}{verdict}")
    return f" [{', '.join(parts)}]" if parts else ""


def _one_line(text: str, width: int) -> str:
    flat = inert(" ".join(str(text).split()))  # escapes show, not act, in a terminal
    return flat if len(flat) <= width else flat[: width - 1] + "…"
