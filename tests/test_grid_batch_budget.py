"""``max_cost_usd`` in a batch run: cells priced at the Batch API's price, those past the budget
``skipped`` before anything is sent, and the graders' check at the batch price too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import workbench
from tests._batch_server import BatchHandler, FakeBatchServer
from tests._grid import priced_client
from tests._mock import KEY, completion_json
from workbench import Grid

PROMPTS = [f"Hi {i}" for i in range(10)]
SMALL_USAGE = {"prompt_tokens": 5, "completion_tokens": 10, "total_tokens": 15}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "workbench-log.sqlite3"  # the conftest's WORKBENCH_LOG


def batch_client(server: FakeBatchServer) -> workbench.AsyncClient:
    """A client at api.openai.com (priced) whose files and batches go to ``server``."""
    _, recorder = priced_client()
    return workbench.AsyncClient(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(
            transport=httpx.MockTransport(BatchHandler(server, recorder))
        ),
    )


def short_replies() -> FakeBatchServer:
    """A server whose replies are shorter than any estimate (the budget is never overrun)."""

    def respond(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion_json("Hello") | {"model": "gpt-4o-mini", "usage": SMALL_USAGE}

    return FakeBatchServer(respond=respond)


def sent_lines(server: FakeBatchServer) -> list[str]:
    """The custom ids of every request line uploaded to ``server`` (not its output lines)."""
    lines = [json.loads(line) for data in server.files.values() for line in data.splitlines()]
    return [line["custom_id"] for line in lines if "method" in line]


def make_grid(client: Any, **kwargs: Any) -> Grid:
    kwargs.setdefault("params", {"max_completion_tokens": 100})
    return Grid(PROMPTS, models="gpt-4o-mini", apis="chat", client=client, **kwargs)


def test_cells_past_the_budget_are_skipped_before_anything_is_sent(log_path: Path) -> None:
    server = short_replies()
    client = batch_client(server)
    per_cell = make_grid(client).estimate(batch=True).cost_usd
    assert per_cell is not None and per_cell > 0
    per_cell /= len(PROMPTS)
    # 4 cells fit at the batch price; 2 would at the live price (twice as much).
    grid = make_grid(client, max_cost_usd=per_cell * 4.5)
    finished: list[str] = []
    grid.subscribe(lambda e: finished.append(str(e.cell.key)) if e.type == "cell.finished" else 0)
    result = grid.run(batch=True, display=False, poll_interval=0.01)
    assert result.counts == {"done": 4, "skipped": 6}
    assert sent_lines(server) == [str(c.key) for c in grid.cells[:4]], "only those that fit"
    skipped = [c for c in grid.cells if c.status == "skipped"]
    assert all("max_cost_usd" in (c.error or "") for c in skipped)
    assert sorted(finished) == sorted(str(c.key) for c in grid.cells), "each cell finishes once"
    assert sum(c.cost_usd or 0 for c in grid.cells) <= per_cell * 4.5


def test_a_second_run_spends_what_the_first_left(log_path: Path) -> None:
    server = short_replies()
    client = batch_client(server)
    per_cell = (make_grid(client).estimate(batch=True).cost_usd or 0) / len(PROMPTS)
    grid = make_grid(client, max_cost_usd=per_cell * 4.5)
    grid.run(batch=True, display=False, poll_interval=0.01)
    spent = sum(c.cost_usd or 0 for c in grid.cells)
    grid.max_cost_usd = spent + per_cell * 2.5  # room for 2 more
    again = grid.run(batch=True, display=False, poll_interval=0.01)
    assert again.counts == {"done": 6, "skipped": 4}
    assert len(sent_lines(server)) == 6, "the answered cells are not sent again"


def test_without_a_budget_every_cell_is_sent(log_path: Path) -> None:
    server = short_replies()
    result = make_grid(batch_client(server)).run(batch=True, display=False, poll_interval=0.01)
    assert result.counts == {"done": 10}
    assert len(sent_lines(server)) == 10


JUDGE = {
    "type": "score_model",
    "name": "q",
    "model": "gpt-4o-mini",
    "input": [{"role": "user", "content": "Rate: {{ sample.output_text }}"}],
    "range": [0, 1],
}


def test_the_graders_check_prices_the_replies_at_the_batch_price(log_path: Path) -> None:
    client = batch_client(short_replies())
    live = make_grid(client, graders=[JUDGE]).estimate().cost_usd
    batch = make_grid(client, graders=[JUDGE]).estimate(batch=True).cost_usd
    assert live is not None and batch is not None and batch < live
    between = (live + batch) / 2
    with pytest.raises(workbench.WorkbenchError, match=r"not started.*estimate\(\)"):
        make_grid(client, graders=[JUDGE], max_cost_usd=between).run(display=False)
    result = make_grid(client, graders=[JUDGE], max_cost_usd=between).run(
        batch=True, display=False, poll_interval=0.01
    )
    assert result.counts == {"done": 10}
    below = batch * 0.9
    with pytest.raises(workbench.WorkbenchError, match=r"estimate\(batch=True\)"):
        make_grid(client, graders=[JUDGE], max_cost_usd=below).run(batch=True, display=False)


async def test_cells_a_logged_batch_holds_are_never_skipped(log_path: Path) -> None:
    server = short_replies()
    server.lines_per_poll = 1
    client = batch_client(server)
    grid = make_grid(client)
    run = asyncio.create_task(grid.arun(batch=True, display=False, poll_interval=0.01))
    while not any(b["request_counts"]["completed"] for b in server.batches.values()):
        await asyncio.sleep(0.01)
    run.cancel()  # the kernel dies while the batch runs: its cells are paid for
    with pytest.raises(asyncio.CancelledError):
        await run
    per_cell = (make_grid(client).estimate(batch=True).cost_usd or 0) / len(PROMPTS)
    again = make_grid(client, max_cost_usd=per_cell * 2.5)  # room for 2 of the 10
    result = await again.arun(batch=True, display=False, poll_interval=0.01)
    assert result.counts == {"done": 10}, "the batch answers them whatever the budget says"
    assert len(sent_lines(server)) == 10 and len(server.batches) == 1
