"""The grid view's cells and its end: an opened cell's whole reply, repeats labelled, and the
summary (counts, cost, time) that replaces the progress bar and Stop when the run ends.

Python-level over a recording comm, then grid.js in Chromium against the real ``GridTable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workbench.widgets._grid_view import PREVIEW_CHARS, GridTable

from ._browser import artifacts_dir
from ._frontend import Bridge
from ._widgets import front_end, recorded
from .test_grid_view import (
    CellDelta,
    CellStarted,
    Clock,
    GridFinished,
    GridStarted,
    ScriptedGrid,
)

pytestmark = pytest.mark.usefixtures("recording_comm")

LONG = "\n".join(f"Line {n}: " + "words " * 12 for n in range(40))  # ~3,000 characters


@dataclass
class Result:
    elapsed_s: float | None


def _artifact(name: str) -> Path:
    path = artifacts_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _ended_grid() -> tuple[ScriptedGrid, GridTable]:
    """Four cells: two done (priced), one error, one cancelled by Stop; the run took 2.5 s."""
    grid = ScriptedGrid(["Say hi", "Say bye"], ["m"], repeats=2)
    clock = Clock()
    table = GridTable(grid, clock=clock)
    grid.emit(GridStarted(grid))
    grid.cells[0].cost_usd = 0.001
    grid.run_cell(grid.cells[0], LONG)
    grid.cells[1].cost_usd = 0.002
    grid.run_cell(grid.cells[1], "Bye!")
    grid.run_cell(grid.cells[2], error="rate limited")
    grid.cells[3].status = "cancelled"
    clock.now = 9.0
    grid.emit(GridFinished(Result(2.5)))
    return grid, table


def test_the_summary_is_set_when_the_run_ends_and_cleared_when_it_starts_again() -> None:
    grid, table = _ended_grid()
    assert table.summary == {
        "counts": {"done": 2, "error": 1, "cancelled": 1},
        "cost_usd": 0.003,
        "unpriced": 0,
        "seconds": 2.5,
    }
    assert not table.running
    comm = recorded(table)
    updates = [m["state"] for m in comm.messages if m["method"] == "update"]
    keys = [k for state in updates for k in state if k in ("summary", "running")]
    assert keys[-2:] == ["summary", "running"], "the summary is there when running turns off"
    grid.emit(GridStarted(grid))
    assert table.summary == {} and table.running


def test_the_summary_without_prices_or_a_result_time() -> None:
    grid = ScriptedGrid(["a", "b"], ["m"])
    clock = Clock()
    table = GridTable(grid, clock=clock)
    grid.emit(GridStarted(grid))
    grid.run_cell(grid.cells[0], "x")
    grid.cells[1].cost_usd = 0.5
    grid.run_cell(grid.cells[1], error="boom")  # an error's price is not the run's cost
    clock.now = 4.25
    grid.emit(GridFinished(None))
    assert table.summary == {
        "counts": {"done": 1, "error": 1},
        "cost_usd": None,
        "unpriced": 1,
        "seconds": 4.2,
    }


def test_an_opened_cell_gets_its_whole_reply_after_the_deltas_before_it() -> None:
    grid = ScriptedGrid(["a", "b"], ["m"])
    clock = Clock()
    table = GridTable(grid, clock=clock)
    comm = recorded(table)
    grid.emit(GridStarted(grid))
    grid.run_cell(grid.cells[0], LONG)
    table.sync()
    assert table.cells[0]["cut"] and not table.cells[1]["cut"]
    assert len(table.cells[0]["text"]) == PREVIEW_CHARS
    cell = grid.cells[1]
    cell.status = "running"
    grid.emit(CellStarted(cell))
    clock.now += 1
    for piece in ("one ", "two ", "three"):  # the first goes at once, the rest wait
        cell.output += piece
        grid.emit(CellDelta(cell, piece))
    comm.clear()
    front_end(table, {"action": "text", "i": 1})
    kinds = [m["content"]["type"] for m in comm.messages if m["method"] == "custom"]
    assert kinds == ["delta", "full"], "the waiting deltas go out before the whole text"
    assert comm.custom("full") == [{"type": "full", "i": 1, "text": "one two three"}]
    front_end(table, {"action": "text", "i": 0})
    assert comm.custom("full")[-1] == {"type": "full", "i": 0, "text": LONG}
    front_end(table, {"action": "text", "i": 99})  # a cell that is not there: no answer
    assert len(comm.custom("full")) == 2


# -- in the browser ------------------------------------------------------------------------------

CLAMP = """(i) => {
  const text = document.querySelector(`.wbg-cell[data-i='${i}'] .wbg-text`);
  const style = getComputedStyle(text);
  return {clamp: style.webkitLineClamp, height: text.clientHeight, full: text.scrollHeight,
          expanded: text.getAttribute('aria-expanded'), length: text.textContent.length,
          last: text.textContent.slice(-1)};
}"""


@pytest.mark.browser
def test_a_cell_opens_fully_on_click_and_by_keyboard_and_closes(page: Any) -> None:
    grid = ScriptedGrid(["Say hi", "Say bye"], ["m"], repeats=2)
    table = GridTable(grid)
    bridge = Bridge(page, table)
    grid.emit(GridStarted(grid))
    grid.run_cell(grid.cells[0], LONG)
    grid.run_cell(grid.cells[1], "Short.")
    bridge.forward()
    closed = page.evaluate(CLAMP, 0)
    assert closed["clamp"] == "3" and closed["expanded"] == "false"
    assert closed["full"] > closed["height"] + 10, "the start of the reply, cut"
    assert (closed["length"], closed["last"]) == (PREVIEW_CHARS, "…")
    page.click(".wbg-cell[data-i='0'] .wbg-text")
    assert bridge.pump() == [{"action": "text", "i": 0}]
    opened = page.evaluate(CLAMP, 0)
    assert opened["expanded"] == "true" and opened["clamp"] == "none"
    assert opened["length"] == len(LONG) and opened["height"] > 4 * closed["height"]
    assert page.locator(".wbg-cell[data-i='0'] .wbg-text").text_content() == LONG
    page.keyboard.press("Enter")  # the text kept the focus the click gave it
    assert page.evaluate(CLAMP, 0)["expanded"] == "false"
    assert page.evaluate(CLAMP, 0)["height"] == closed["height"]
    page.keyboard.press("Space")
    assert page.evaluate(CLAMP, 0)["expanded"] == "true"
    assert bridge.pump() == [], "the whole reply is asked for once"
    assert page.evaluate(CLAMP, 0)["length"] == len(LONG)
    page.keyboard.press("Tab")  # on to the cell's Conversation button, visible on focus
    chat = page.locator(".wbg-cell[data-i='0'] .wbg-chat")
    assert chat.evaluate("b => b === document.activeElement && getComputedStyle(b).opacity")
    page.keyboard.press("Enter")
    assert bridge.pump() == [{"action": "open", "i": 0}]
    assert page.locator(".wbg-cell.wbg-selected").get_attribute("data-i") == "0"
    labels = page.locator(".wbg-row").nth(0).locator("xpath=..").locator(".wbg-repeat")
    assert labels.all_text_contents() == ["#1", "#2"]
    assert page.locator(".wbg-repeat").count() == 4


@pytest.mark.browser
def test_no_repeat_labels_for_a_single_repeat(page: Any) -> None:
    grid = ScriptedGrid(["Say hi"], ["m1", "m2"])
    Bridge(page, GridTable(grid))
    assert page.locator(".wbg-cell").count() == 2 and page.locator(".wbg-repeat").count() == 0


@pytest.mark.browser
def test_the_ended_run_shows_its_summary_and_no_stop(page: Any) -> None:
    grid = ScriptedGrid(["Say hi", "Say bye"], ["m"], repeats=2)
    table = GridTable(grid, clock=Clock())
    bridge = Bridge(page, table)
    assert page.locator(".wbg-stop").is_hidden(), "nothing to stop before the run"
    grid.emit(GridStarted(grid))
    bridge.forward()
    assert page.locator(".wbg-stop").is_visible() and page.locator(".wbg-progress").is_visible()
    bridge.forward()
    grid.cells[0].cost_usd = 0.001
    grid.run_cell(grid.cells[0], "Hi!")
    grid.cells[1].cost_usd = 0.002
    grid.run_cell(grid.cells[1], "Bye!")
    grid.run_cell(grid.cells[2], error="rate limited")
    grid.cells[3].status = "running"
    grid.emit(CellStarted(grid.cells[3]))
    bridge.forward()
    assert page.locator(".wbg-stop").is_visible()
    page.locator(".wbg-grid").screenshot(path=str(_artifact("grid-running.png")))
    grid.cells[3].status = "cancelled"
    grid.emit(GridFinished(Result(2.5)))
    bridge.forward()
    page.locator(".wbg-grid").screenshot(path=str(_artifact("grid-ended.png")))
    assert page.locator(".wbg-stop").is_hidden() and page.locator(".wbg-progress").is_hidden()
    assert page.locator(".wbg-counts").text_content() == (
        "4 cells ended: 2 done, 1 error, 1 cancelled · $0.0030 · 2.5 s"
    )
    assert page.locator(".wbg-cell[data-i='2'] .wbg-state").text_content() == "error"
    assert page.locator(".wbg-cell[data-i='0'] .wbg-state").text_content() == ""
