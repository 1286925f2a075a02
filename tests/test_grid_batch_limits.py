"""A request larger than one batch file may hold is refused before anything is sent: no event,
no upload, the grid's cells as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._batch_server import FakeBatchClient, FakeBatchServer
from workbench import BatchLimits, Grid, InvalidParameterError


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "workbench-log.sqlite3"  # the conftest's WORKBENCH_LOG


def test_a_request_over_the_byte_limit_is_refused_before_the_run(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = Grid(["hi {x}"], vars=[{"x": 1}, {"x": "y" * 5000}], client=FakeBatchClient(server))
    events: list[str] = []
    grid.subscribe(lambda e: events.append(e.type))
    big = str(grid.cells[1].key)
    with pytest.raises(InvalidParameterError, match=f"batch_limits.*cell {big} "):
        grid.run(batch=True, display=False, batch_limits=BatchLimits(max_bytes=1000))
    assert events == [] and server.calls == [], "nothing started, nothing sent"
    assert [c.status for c in grid.cells] == ["pending", "pending"] and not grid.running
    assert not log_path.exists(), "no log row (nor a log file made to look)"
    result = grid.run(batch=True, display=False, poll_interval=0.01)  # within the API's limits
    assert result.counts == {"done": 2}
