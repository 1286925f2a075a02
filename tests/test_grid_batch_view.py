"""A batch run in the grid's live view: the status text carries the batches' statuses and
request counts (``progress["batches"]``, drawn after the cell counts by ``grid.js``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests._batch_server import FakeBatchClient, FakeBatchServer
from workbench import BatchProgress, Grid, GridStarted
from workbench.widgets._grid_view import GridView

from ._frontend import Bridge

pytestmark = pytest.mark.usefixtures("recording_comm")


def test_the_view_shows_each_batch_status_and_its_request_counts() -> None:
    server = FakeBatchServer(lines_per_poll=2)
    grid = Grid(
        ["Say hi", "Name a color"], params={"temperature": [0, 1]}, client=FakeBatchClient(server)
    )
    view = GridView(grid)
    shown: list[Any] = []
    view.table.observe(lambda change: shown.append(change["new"].get("batches")), "progress")
    result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 4}
    texts = [t for t in shown if t]
    assert "batches: 1 uploading · 0/4 requests" in texts
    assert "batches: 1 in_progress · 2/4 requests" in texts
    assert "batches: 1 merged · 4/4 requests" in texts
    assert [c["status"] for c in view.table.cells] == ["done"] * 4
    assert view.table.summary["counts"] == {"done": 4}


@pytest.mark.browser
def test_the_bar_in_the_browser_shows_the_batches(page: Any) -> None:
    grid = Grid(["Say hi", "Name a color"], client=FakeBatchClient(FakeBatchServer()))
    view = GridView(grid)
    bridge = Bridge(page, view.table)
    grid._emit(GridStarted(grid))
    grid._emit(BatchProgress("batch-1", 1, 1, "in_progress", 1, 0, 2))
    bridge.forward()
    counts = str(page.locator(".wbg-counts").text_content())
    assert counts.endswith("batches: 1 in_progress · 1/2 requests"), counts
