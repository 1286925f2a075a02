"""Every state of the grid view's cells in JupyterLab's light, dark and high-contrast themes
(their CSS in the page): every text at least 4.5:1 against what is behind it, measured from
computed styles, while the grid runs (with a hovered cell and a focused button) and when it ends.
"""

from __future__ import annotations

from typing import Any

import pytest

from workbench.widgets._grid_view import GridTable

from ._browser import artifacts_dir
from ._contrast import AA, CONTRAST, theme_css
from ._frontend import Bridge
from .test_grid_view import (
    CellFinished,
    CellStarted,
    Clock,
    GridFinished,
    GridStarted,
    ScriptedGrid,
)
from .test_grid_view_cells import LONG, Result

STATUSES = ("done", "cut", "error", "running", "incomplete", "cancelled", "skipped")
pytestmark = [pytest.mark.usefixtures("recording_comm"), pytest.mark.browser]


def _low(page: Any) -> list[dict[str, Any]]:
    texts = page.evaluate(CONTRAST, ".wbg-grid")
    assert len(texts) >= 12, texts
    return [t for t in texts if t["ratio"] < AA]


@pytest.mark.parametrize("theme", ["light", "dark", "dark-high-contrast"])
def test_every_text_of_every_state_has_contrast_in_each_theme(page: Any, theme: str) -> None:
    grid = ScriptedGrid(["Say hi", "Say bye"], ["m1", "m2"], repeats=2)
    table = GridTable(grid, clock=Clock())
    bridge = Bridge(page, table)
    page.add_style_tag(content=theme_css(theme))
    background = page.locator(".wbg-grid").evaluate("g => getComputedStyle(g).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (theme == "light"), "the theme applies"
    grid.emit(GridStarted(grid))
    cells = grid.cells
    grid.run_cell(cells[0], LONG)
    grid.run_cell(cells[1], error="rate limited")
    cells[2].status = "running"
    grid.emit(CellStarted(cells[2]))
    cells[3].status, cells[3].output = "incomplete", "Half a rep"
    grid.emit(CellFinished(cells[3]))
    cells[4].status, cells[4].output = "cancelled", "Partial"
    grid.emit(CellFinished(cells[4]))
    cells[5].status, cells[5].error = "skipped", "over budget"
    grid.emit(CellFinished(cells[5]))
    cells[6].status, cells[6].output = "cut", "Cut at the lim"
    cells[6].error = "cut at the token limit (finish_reason length)"
    grid.emit(CellFinished(cells[6]))
    bridge.forward()  # cell 7 stays pending
    states = page.locator(".wbg-cell").evaluate_all("cs => cs.map((c) => c.dataset.status)")
    assert set(states) == {*STATUSES, "pending"}
    assert page.locator(".wbg-cell[data-i='5'] .wbg-text").text_content() == "over budget"
    assert page.locator(".wbg-cell[data-i='4'] .wbg-text").text_content() == "Partial"
    progress = str(page.locator(".wbg-counts").text_content())
    assert "1 error ·" in progress and "1 cut ·" in progress, progress
    assert page.locator(".wbg-cell[data-i='6'] .wbg-text").text_content() == "Cut at the lim"
    page.hover(".wbg-cell[data-i='3'] .wbg-text")
    assert not _low(page), "running, a cell hovered"
    page.focus(".wbg-cell[data-i='1'] .wbg-chat")
    assert not _low(page), "running, a button focused"
    path = artifacts_dir() / f"grid-states-{theme}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".wbg-grid").screenshot(path=str(path))
    grid.emit(GridFinished(Result(1.5)))
    bridge.forward()
    page.mouse.move(0, 0)
    page.locator(".wbg-text").first.focus()
    assert page.locator(".wbg-counts").text_content() == (
        "8 cells ended: 1 done, 1 cut, 1 incomplete, 1 error, 1 cancelled, 1 skipped,"
        " 1 running, 1 pending · cost unknown · 1.5 s"
    )
    assert not _low(page), "ended"
