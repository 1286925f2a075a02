"""A grid's batches are logged under its ``requests_version``: a scorer or grader edited after a
restart picks up the same batches instead of submitting every request again."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests._batch_server import FakeBatchClient, FakeBatchServer
from workbench import Grid, WorkbenchError

PROMPTS = ["Say hi to {name}", "Name a color for {name}"]
ROWS = [{"name": "Ada"}, {"name": "Bob"}]
CHECK = {
    "type": "string_check",
    "name": "greets",
    "input": "{{ sample.output_text }}",
    "reference": "local model",
    "operation": "like",
}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "workbench-log.sqlite3"  # the conftest's WORKBENCH_LOG


def batch_grid(server: FakeBatchServer, **kwargs: Any) -> Grid:
    return Grid(PROMPTS, vars=ROWS, client=FakeBatchClient(server), **kwargs)


def logged_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT grid_version FROM grid_batches")]


async def test_an_edited_scorer_or_grader_picks_up_the_same_batches(log_path: Path) -> None:
    server = FakeBatchServer(lines_per_poll=1)
    grid = batch_grid(server, scorers={"chars": len})
    run = asyncio.create_task(grid.arun(batch=True, display=False, poll_interval=0.01))
    while not any(b["request_counts"]["completed"] for b in server.batches.values()):
        await asyncio.sleep(0.01)
    run.cancel()  # the kernel dies while the batch runs: the batch goes on
    with pytest.raises(asyncio.CancelledError):
        await run
    assert logged_keys(log_path) == [grid.requests_version]
    calls = len(server.calls)

    edited = batch_grid(server, scorers={"words": lambda s: len(s.split())}, graders=[CHECK])
    assert edited.version != grid.version, "a new version for compare()"
    result = await edited.aresume(display=False, poll_interval=0.01)
    assert result.counts == {"done": 4}
    new_calls = server.calls[calls:]
    assert "files.create" not in new_calls and "batches.create" not in new_calls
    frame = result.to_dataframe()
    assert (frame["words"] > 0).all() and frame["greets_pass"].all(), "scored by the new ones"

    again = batch_grid(server, scorers={"n": len}, judge_repeats=2)  # merged: read back
    before = len(server.calls)
    assert (await again.arun(batch=True, display=False, poll_interval=0.01)).counts == {"done": 4}
    assert "batches.create" not in server.calls[before:]
    assert len(server.batches) == 1


def test_resume_names_the_requests_version_when_none_is_logged(log_path: Path) -> None:
    server = FakeBatchServer()
    batch_grid(server).run(batch=True, display=False, poll_interval=0.01)
    other = batch_grid(server, params={"temperature": 0.5})  # other requests
    with pytest.raises(WorkbenchError, match=f"requests_version {other.requests_version}"):
        other.resume(display=False)


def test_resume_with_no_log_file_says_so_and_makes_none(log_path: Path) -> None:
    server = FakeBatchServer()
    with pytest.raises(WorkbenchError, match="no batch of this grid"):
        batch_grid(server).resume(display=False)
    assert not log_path.exists() and server.calls == []
