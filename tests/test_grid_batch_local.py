"""``grid.run(batch=True)`` on the in-process local model's own files and batches, its time a
``FakeClock`` the test moves at each poll: the same result as a live run, files split within
the server's lowered limits, and a cancelled, an expired and a failed batch kept per cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests._batches import FakeClock
from workbench import AsyncClient, BatchLimits, Grid, WorkbenchError
from workbench.local import BatchTiming, LocalModel

PROMPTS = ["Describe {city} in a line.", "Name a street in {city}."]
ROWS = [{"city": "Lisbon"}, {"city": "Turku"}, {"city": "Quito"}]
NOT_COMPARED = ["latency_s", "ttft_s", "request_id", "batch_id"]


def local_grid(
    clock: FakeClock, *, step: float = 1.0, limits: BatchLimits | None = None, **timing: Any
) -> Grid:
    """The grid on a fresh local model whose batches run on ``clock``, moved ``step`` simulated
    seconds at each of the grid's batch events (each poll)."""
    timing.setdefault("seconds_per_request", 0.1)
    model = LocalModel(batch_timing=BatchTiming(clock=clock, **timing), batch_limits=limits)
    grid = Grid(
        PROMPTS, vars=ROWS, params={"temperature": [0.7, 1.0]}, repeats=2,
        client=AsyncClient(local=model),
    )  # fmt: skip
    grid.subscribe(lambda event: clock.advance(step) if event.type == "batch.progress" else None)
    return grid


def live_frame() -> pd.DataFrame:
    grid = Grid(PROMPTS, vars=ROWS, params={"temperature": [0.7, 1.0]}, repeats=2)
    grid.client = AsyncClient(local=LocalModel())
    return grid.run(display=False).to_dataframe()


def test_a_batch_on_the_local_model_gives_the_live_result_repeats_included() -> None:
    result = local_grid(FakeClock()).run(batch=True, display=False, poll_interval=0.001)
    assert result.counts == {"done": 24} and len(result.batch_ids) == 1
    frame = result.to_dataframe()
    pd.testing.assert_frame_equal(
        frame.drop(columns=NOT_COMPARED), live_frame().drop(columns=NOT_COMPARED[:-1])
    )


def test_files_are_split_within_limits_the_server_also_enforces() -> None:
    limits = BatchLimits(max_requests=5)
    grid = local_grid(FakeClock(), limits=limits)  # the server refuses a file of more
    result = grid.run(batch=True, display=False, batch_limits=limits, poll_interval=0.001)
    assert result.counts == {"done": 24} and len(result.batch_ids) == 5
    pd.testing.assert_frame_equal(
        result.to_dataframe().drop(columns=NOT_COMPARED),
        live_frame().drop(columns=NOT_COMPARED[:-1]),
    )


def test_a_file_over_the_servers_limit_fails_its_cells_by_the_servers_errors() -> None:
    grid = local_grid(FakeClock(), limits=BatchLimits(max_requests=5))
    result = grid.run(batch=True, display=False, poll_interval=0.001)  # the API's limits
    assert result.counts == {"error": 24}
    said = "too_many_requests: The input file has 24 requests; a batch takes at most 5."
    assert all((c.error or "").startswith(said) for c in grid.cells)


def test_a_cancelled_batch_keeps_what_it_answered_and_cancels_the_rest() -> None:
    clock = FakeClock()
    grid = local_grid(clock, step=0.3, seconds_per_request=0.1, validating_seconds=0.1)

    def cancel_once_answering(event: Any) -> None:
        if event.type == "batch.progress" and event.completed:
            grid.cancel()

    grid.subscribe(cancel_once_answering)
    result = grid.run(batch=True, display=False, poll_interval=0.001)
    counts = result.counts
    assert set(counts) == {"done", "cancelled"} and counts["done"] < 24
    cancelled = [c for c in grid.cells if c.status == "cancelled"]
    assert all(c.error and c.error.startswith("batch_cancelled") for c in cancelled)


def test_an_expired_batch_merges_its_answers_and_fails_the_rest() -> None:
    grid = local_grid(FakeClock(), step=0.5, completion_window_seconds=1.5)
    result = grid.run(batch=True, display=False, poll_interval=0.001)
    counts = result.counts
    assert set(counts) == {"done", "error"} and 0 < counts["done"] < 24
    failed = [c for c in grid.cells if c.status == "error"]
    assert all(c.error and c.error.startswith("batch_expired") for c in failed)


def test_a_grid_across_both_protocols_sends_a_batch_per_endpoint() -> None:
    clock = FakeClock()
    model = LocalModel(batch_timing=BatchTiming(clock=clock, seconds_per_request=0.1))
    grid = Grid(PROMPTS, vars=ROWS, apis=["chat", "responses"], client=AsyncClient(local=model))
    grid.subscribe(lambda event: clock.advance(1) if event.type == "batch.progress" else None)
    result = grid.run(batch=True, display=False, poll_interval=0.001)
    assert result.counts == {"done": 12} and len(result.batch_ids) == 2
    live = Grid(PROMPTS, vars=ROWS, apis=["chat", "responses"])
    live.client = AsyncClient(local=LocalModel())
    pd.testing.assert_frame_equal(
        result.to_dataframe().drop(columns=NOT_COMPARED),
        live.run(display=False).to_dataframe().drop(columns=NOT_COMPARED[:-1]),
    )


def test_the_log_ties_batches_to_the_local_model_that_holds_them(tmp_path: Path) -> None:
    """The in-process model's batches end with it (with the process): a grid on another model
    (a new process) submits its own instead of asking this one's, which it cannot have."""
    log = tmp_path / "log.sqlite3"

    def batch_ids(model: LocalModel) -> list[str]:
        return [b["id"] for b in model.batches.list(after=None, limit=100)["data"]]

    def grid_on(model: LocalModel) -> Grid:
        return Grid(PROMPTS, vars=ROWS, client=AsyncClient(local=model), log=log)

    first, second = LocalModel(), LocalModel()
    ran = grid_on(first).run(batch=True, display=False, poll_interval=0.001)
    again = grid_on(first).run(batch=True, display=False, poll_interval=0.001)
    assert again.batch_ids == ran.batch_ids and len(batch_ids(first)) == 1, "picked up"
    with pytest.raises(WorkbenchError, match="no batch of this grid"):
        grid_on(second).resume(display=False)
    elsewhere = grid_on(second).run(batch=True, display=False, poll_interval=0.001)
    assert elsewhere.counts == {"done": 6} and elsewhere.batch_problems == []
    assert batch_ids(second) == elsewhere.batch_ids
    assert not set(elsewhere.batch_ids) & set(ran.batch_ids), "none of the other model's"
