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


def test_the_progress_carries_the_batches_requests_for_the_meter() -> None:
    server = FakeBatchServer(lines_per_poll=1)
    grid = Grid(["Say hi", "Name a color"], client=FakeBatchClient(server))
    view = GridView(grid)
    seen: list[tuple[Any, ...]] = []

    def record(change: dict[str, Any]) -> None:
        new = change["new"]
        seen.append((new.get("done"), new.get("batches"), new.get("batch_requests")))

    view.table.observe(record, "progress")
    grid.run(batch=True, display=False)
    # The cells stay pending (done 0) while the batch answers its requests one by one.
    assert (0, "batches: 1 in_progress · 1/2 requests", [1, 2]) in seen
    assert seen[-1][2] == [2, 2]


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
    # No cell has its reply yet, but the meter shows the batch's requests answered.
    meter = page.locator(".wbg-progress").evaluate("m => [m.value, m.max]")
    assert meter == [1, 2], meter
