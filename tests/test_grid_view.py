"""The grid's live view: the Python side over a recording comm, and grid.js in Chromium.

A scripted grid (``ScriptedGrid``) drives the view with the events a ``workbench.Grid`` emits,
in a controlled order and with a fake clock, so the pacing rules can be checked exactly; the
real grid drives it at the end of this file; opening cells, repeats and the end of a run are in
``test_grid_view_cells.py``, the view in JupyterLab's themes in ``test_grid_view_lab.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

import workbench
import workbench.local
from workbench.widgets._grid_view import (
    PREVIEW_CHARS,
    SYNC_SECONDS,
    GridTable,
    GridView,
    grid_text,
)
from workbench.widgets._widget import ConversationWidget

from ._frontend import Bridge
from ._widgets import front_end, make_chat, recorded

pytestmark = pytest.mark.usefixtures("recording_comm")


@dataclass
class Cell:
    key: tuple[int, int, int]
    row: int
    column: int
    repeat: int
    status: str = "pending"
    output: str = ""
    error: str | None = None
    conversation: Any = None
    cost_usd: float | None = None


# The grid's events, by the names the view reads.
@dataclass
class GridStarted:
    grid: Any


@dataclass
class CellStarted:
    cell: Cell


@dataclass
class CellDelta:
    cell: Cell
    delta: str


@dataclass
class CellFinished:
    cell: Cell


@dataclass
class GridFinished:
    result: Any


@dataclass
class ScriptedGrid:
    row_labels: list[str]
    column_labels: list[str]
    repeats: int = 1
    cells: list[Cell] = field(default_factory=list)
    observers: list[Any] = field(default_factory=list)
    cancelled: bool = False

    def __post_init__(self) -> None:
        for r in range(len(self.row_labels)):
            for c in range(len(self.column_labels)):
                for k in range(self.repeats):
                    self.cells.append(Cell((r, c, k), r, c, k))

    def subscribe(self, observer: Any) -> Any:
        self.observers.append(observer)
        return lambda: self.observers.remove(observer)

    def emit(self, event: Any) -> None:
        for observer in list(self.observers):
            observer(event)

    def cancel(self) -> None:
        self.cancelled = True

    def run_cell(self, cell: Cell, *pieces: str, error: str | None = None) -> None:
        cell.status = "running"
        self.emit(CellStarted(cell))
        for piece in pieces:
            cell.output += piece
            self.emit(CellDelta(cell, piece))
        cell.status = "error" if error else "done"
        cell.error = error
        self.emit(CellFinished(cell))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cells_stream_as_small_messages_and_the_table_syncs_rarely() -> None:
    grid = ScriptedGrid(["Say hi", "Say bye"], ["m1", "m2"], repeats=2)
    clock = Clock()
    table = GridTable(grid, clock=clock)
    comm = recorded(table)
    comm.clear()
    grid.emit(GridStarted(grid))
    for cell in grid.cells:
        clock.now += 0.05
        grid.run_cell(cell, "Hello ", "there")
    grid.emit(GridFinished(None))
    syncs = [m for m in comm.messages if m["method"] == "update" and "cells" in m["state"]]
    # None while running (8 cells x 0.05 s < SYNC_SECONDS), one at the end; the sync at the
    # start changed nothing (all pending), so traitlets sent nothing.
    assert len(syncs) == 1 and [c["status"] for c in syncs[0]["state"]["cells"]] == ["done"] * 8
    ends = comm.custom("end")
    assert [e["i"] for e in ends] == list(range(8)) and ends[0]["text"] == "Hello there"
    text = "".join(m["text"] for m in comm.custom("delta") if m["id"] == "0")
    assert text == "Hello there"
    assert [c["status"] for c in table.cells] == ["done"] * 8
    assert table.progress["done"] == 8 and not table.running


def test_a_long_run_syncs_about_once_a_second() -> None:
    grid = ScriptedGrid([f"p{i}" for i in range(30)], ["m"])
    clock = Clock()
    table = GridTable(grid, clock=clock)
    comm = recorded(table)
    comm.clear()
    grid.emit(GridStarted(grid))
    for cell in grid.cells:
        clock.now += 0.2  # 30 cells over 6 s
        grid.run_cell(cell, "x")
    syncs = [m for m in comm.messages if m["method"] == "update" and "cells" in m["state"]]
    assert 5 <= len(syncs) <= 1 + 6 / SYNC_SECONDS + 1


def test_progress_counts_rate_and_errors() -> None:
    grid = ScriptedGrid(["a", "b", "c", "d"], ["m"])
    clock = Clock()
    table = GridTable(grid, clock=clock)
    grid.emit(GridStarted(grid))
    clock.now = 1.0
    grid.run_cell(grid.cells[0], "ok")  # started and finished within 0.25 s: one update
    clock.now = 2.0
    grid.run_cell(grid.cells[1], error="boom")
    assert table.progress["done"] == 1, "throttled: at most one update per PROGRESS_SECONDS"
    clock.now = 2.5
    grid.run_cell(grid.cells[2], "ok")
    p = table.progress
    assert (p["done"], p["total"], p["errors"]) == (2, 4, 1), "the start of cell 2 updated it"
    assert p["rate"] == 0.8 and p["eta"] == 2.5


def test_long_outputs_are_cut_in_the_table_not_in_the_cell() -> None:
    grid = ScriptedGrid(["a"], ["m"])
    table = GridTable(grid)
    grid.run_cell(grid.cells[0], "y" * (PREVIEW_CHARS * 3))
    table.sync()
    assert len(table.cells[0]["text"]) == PREVIEW_CHARS
    assert len(grid.cells[0].output) == PREVIEW_CHARS * 3


def test_stop_cancels_and_a_click_opens_the_cells_transcript() -> None:
    grid = ScriptedGrid(["What's the weather in Paris?"], ["m"])
    chat = make_chat()
    chat.send(grid.row_labels[0])
    grid.cells[0].conversation = chat
    view = GridView(grid)
    front_end(view.table, {"action": "stop"})
    assert grid.cancelled
    front_end(view.table, {"action": "open", "i": 0})
    assert view.table.selected == 0
    (shown,) = view.detail.children
    assert isinstance(shown, ConversationWidget) and shown.chat is chat
    assert "get_weather" in json.dumps(shown.messages_html)


def test_the_text_fallback_is_a_table_without_timings() -> None:
    grid = ScriptedGrid(["Say hi", "Say bye"], ["model-a", "model-b"])
    view = GridView(grid)
    grid.run_cell(grid.cells[0], "Hi!")
    grid.run_cell(grid.cells[1], error="rate limited")
    grid.cells[2].status = "cancelled"
    text = grid_text(grid)
    assert text.splitlines() == [
        "[1] Say hi",
        "    model-a: Hi!",
        "    model-b: error: rate limited",
        "[2] Say bye",
        "    model-a: (cancelled)",
        "    model-b: (pending)",
        "4 cells: 1 cancelled, 1 done, 1 error, 1 pending",
    ]
    bundle = view._repr_mimebundle_()
    assert bundle is not None and bundle[0]["text/plain"] == text
    assert "application/vnd.jupyter.widget-view+json" in bundle[0]


def test_grid_view_shows_nothing_outside_a_kernel() -> None:
    assert workbench.widgets.grid_view(ScriptedGrid(["a"], ["m"])) is None


@pytest.mark.browser
def test_the_table_in_the_browser_streams_cells_and_sends_clicks(page: Any) -> None:
    grid = ScriptedGrid(["Say <b>hi</b>", "Say bye"], ["m1", "m2"])
    clock = Clock()
    view = GridView(grid, clock=clock)
    bridge = Bridge(page, view.table)
    assert page.locator(".wbg-table th.wbg-col").all_text_contents() == ["m1", "m2"]
    assert page.locator(".wbg-row").first.text_content() == "Say <b>hi</b>", "labels as text"
    grid.emit(GridStarted(grid))
    grid.run_cell(grid.cells[0], "<img src=x onerror=window.__pwned=1>", " safe")
    grid.cells[1].status = "running"
    grid.emit(CellStarted(grid.cells[1]))
    clock.now += 1  # time enough since the last flush: the delta goes at once
    grid.emit(CellDelta(grid.cells[1], "half"))
    bridge.forward()
    first = page.locator(".wbg-cell[data-i='0']")
    assert first.get_attribute("data-status") == "done"
    assert first.locator(".wbg-text").text_content() == "<img src=x onerror=window.__pwned=1> safe"
    assert page.locator(".wbg-cell[data-i='1'] .wbg-text").text_content() == "half"
    assert page.locator(".wbg-cell[data-i='1'] .wbg-state").text_content() == "running"
    assert page.evaluate("() => window.__pwned") is None
    assert "1/4 cells" in str(page.locator(".wbg-counts").text_content())
    page.click(".wbg-cell[data-i='0'] .wbg-chat")
    page.click(".wbg-stop")
    sent = bridge.pump()
    assert {"action": "open", "i": 0} in sent and grid.cancelled
    assert page.locator(".wbg-cell.wbg-selected").get_attribute("data-i") == "0"
    grid.emit(GridFinished(None))
    bridge.forward()
    assert page.locator(".wbg-stop").is_hidden(), "no Stop once the run ended"


def test_a_real_grid_drives_the_view_to_the_end() -> None:
    grid = workbench.Grid(
        ["Say hi", "What's the weather in Paris?"],
        models=["m1", "m2"],
        tools=[get_weather_tool],
        client=workbench.Client(local=workbench.local.LocalModel()),
    )
    view = GridView(grid)
    comm = recorded(view.table)
    result = grid.run(display=False)
    assert result.counts == {"done": 4}
    assert [c["status"] for c in view.table.cells] == ["done"] * 4
    assert view.table.progress["done"] == 4 and not view.table.running
    assert {m["i"] for m in comm.custom("end")} == {0, 1, 2, 3}
    streamed = "".join(m["text"] for m in comm.custom("delta") if m["id"] == "0")
    assert streamed == grid.cells[0].output
    shown = view.show_cell(3)
    assert shown is not None and "get_weather" in json.dumps(shown.messages_html)
    assert grid_text(grid).endswith("4 cells: 4 done")


def get_weather_tool(city: str) -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21}


def test_cells_cut_at_the_token_limit_are_counted_apart() -> None:
    grid = workbench.Grid(
        ["Say hi", "Tell me a long story about the sea"],
        params=[{"max_completion_tokens": 4}, {}],
        client=workbench.Client(local=workbench.local.LocalModel()),
    )
    view = GridView(grid)
    recorded(view.table)
    result = grid.run(display=False)
    assert result.counts == {"cut": 2, "done": 2}
    cut = [c for c in grid.cells if c.params == {"max_completion_tokens": 4}]
    assert all(c.status == "cut" and c.finish_reason == "length" for c in cut)
    assert cut[0].error == "cut at the token limit (finish_reason length)" and cut[0].output
    assert cut[0].cost_usd is None and cut[0].usage is not None  # answered: its usage is kept
    assert [c["status"] for c in view.table.cells] == ["cut", "done", "cut", "done"]
    assert view.table.summary["counts"] == {"cut": 2, "done": 2}
    assert view.table.progress["cut"] == 2
    frame = result.to_dataframe()
    assert list(frame["status"]) == ["cut", "done", "cut", "done"]
    assert list(frame["finish_reason"]) == ["length", "stop", "length", "stop"]
    text = grid_text(grid)
    assert text.endswith("4 cells: 2 cut, 2 done") and "[cut] [local model" in text
    # run() again sends only the cells with no whole reply: a cut one came back whole.
    assert grid.run(display=False).counts == {"cut": 2, "done": 2}
