"""``grid.run(batch=True)`` against a fake Batch API (``tests/_batch_server.py``) whose lines
the local model answers: split within limits, logged step by step, merged into the same
DataFrame as a live run, priced at half, picked up again instead of submitted twice, cancelled,
and the bad cases (failed, expired, a missing file, unknown and duplicated lines) kept per cell.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import openai
import pandas as pd
import pytest

import workbench
import workbench.local
from tests._batch_server import BatchHandler, FakeBatchClient, FakeBatchServer
from tests._grid import USAGE, priced_client
from tests._mock import KEY, completion_json
from workbench import BatchLimits, Grid, InvalidParameterError, WorkbenchError
from workbench.conversation._log import ConversationLog
from workbench.grid._batch_calls import poll_delays
from workbench.grid._display import ProgressLine
from workbench.grid._grid_batch import logged_batches
from workbench.protocol._pricing import cost_usd

PROMPTS = ["Say hi to {name}", "Name a color for {name}"]
ROWS = [{"name": "Ada"}, {"name": "Bob"}, {"name": "Cy"}]
TIMING = ["latency_s", "ttft_s", "request_id", "batch_id"]
GREETS = {
    "type": "string_check",
    "name": "greets",
    "input": "{{ sample.output_text }}",
    "reference": "local model",
    "operation": "like",
}


def batch_grid(server: FakeBatchServer, **kwargs: Any) -> Grid:
    kwargs.setdefault("params", {"temperature": [0, 1]})
    return Grid(PROMPTS, vars=ROWS, client=FakeBatchClient(server), **kwargs)


class ChatOnly:
    """A client with chat completions and nothing of the Batch API."""

    def __init__(self) -> None:
        inner = workbench.AsyncClient(local=True)
        self.chat = inner.chat
        self.base_url = inner.base_url


def log_rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM grid_batches ORDER BY id")]


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "workbench-log.sqlite3"  # the conftest's WORKBENCH_LOG


def test_a_batch_run_gives_the_live_run_dataframe_at_the_batch_price(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 12}
    assert server.calls[:2] == ["files.create", "batches.create"]
    live = Grid(PROMPTS, vars=ROWS, params={"temperature": [0, 1]}).run(display=False)
    frame, expected = result.to_dataframe(), live.to_dataframe()
    assert frame["batch_id"].notna().all() and len(set(frame["batch_id"])) == 1
    assert "batch_id" not in expected.columns, "a live run has no batch column"
    pd.testing.assert_frame_equal(
        frame.drop(columns=TIMING), expected.drop(columns=TIMING[:-1]), check_like=False
    )
    assert result.batch_ids == [frame["batch_id"][0]] and result.batch_problems == []
    for cell in grid.cells:
        reply = cell.conversation.messages[-1]
        assert reply.batch_id == cell.batch_id and reply.role == "assistant"


def test_a_grid_larger_than_one_file_is_split_by_model_and_within_the_limits(
    log_path: Path,
) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server, models=["workbench-local", "workbench-local-2"])
    result = grid.run(batch=True, display=False, batch_limits=BatchLimits(max_requests=5))
    assert result.counts == {"done": 24}
    files = [server.files[b["input_file_id"]] for b in server.batches.values()]
    sizes = [len(f.splitlines()) for f in files]
    assert sorted(sizes) == [2, 2, 5, 5, 5, 5], "12 cells per model, at most 5 a file"
    for data in files:
        models = {json.loads(line)["body"]["model"] for line in data.splitlines()}
        assert len(models) == 1, "one model per batch file"
    rows = log_rows(log_path)
    assert len(rows) == 6 and all(r["merged"] == 1 for r in rows)
    held = [cid for r in rows for cid in json.loads(r["custom_ids"])]
    assert sorted(held) == sorted(str(c.key) for c in grid.cells)


def test_the_byte_limit_cuts_files_and_a_request_too_large_is_refused(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    one_line = max(len(line) + 1 for line in _lines(grid))
    grid.run(batch=True, display=False, batch_limits=BatchLimits(max_bytes=one_line * 2))
    for data in (server.files[b["input_file_id"]] for b in server.batches.values()):
        assert len(data) <= one_line * 2 and len(data.splitlines()) <= 2
    small = batch_grid(FakeBatchServer(), system="x" * 500)
    with pytest.raises(InvalidParameterError, match="batch_limits"):
        small.run(batch=True, display=False, batch_limits=BatchLimits(max_bytes=100))


def _lines(grid: Grid) -> list[str]:
    from workbench.grid._batch import request_line

    return [request_line(grid, cell) for cell in grid.cells]


def test_the_log_has_each_step_as_soon_as_it_is_known(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    seen: list[tuple[str, dict[str, Any]]] = []

    def watch(event: Any) -> None:
        if event.type == "batch.progress":
            rows = log_rows(log_path)
            seen.append((event.status, rows[0] if rows else {}))

    grid.subscribe(watch)
    grid.run(batch=True, display=False)
    first_status, first_row = seen[0]
    assert first_status == "uploading", "claimed before the upload: the cells, no file yet"
    assert first_row["status"].startswith("uploading by ") and first_row["input_file_id"] is None
    assert len(json.loads(first_row["custom_ids"])) == 12 and first_row["batch_id"] is None
    created = next(row for status, row in seen if status == "validating")
    assert created["input_file_id"] and created["batch_id"] and not created["merged"]
    assert created["grid_version"] == grid.requests_version
    assert created["server"] == str(grid.client.base_url)
    assert json.loads(created["request_counts"]) == {"total": 12, "completed": 0, "failed": 0}
    (last,) = log_rows(log_path)
    assert last["status"] == "completed" and last["merged"] == 1 and last["output_file_id"]
    assert json.loads(last["request_counts"])["completed"] == 12
    assert "sk-" not in json.dumps(last), "no key in the log"


async def test_running_again_after_the_run_died_picks_up_the_batches(log_path: Path) -> None:
    server = FakeBatchServer(lines_per_poll=4)
    grid = batch_grid(server)
    run = asyncio.create_task(grid.arun(batch=True, display=False))
    while not any(b["request_counts"]["completed"] for b in server.batches.values()):
        await asyncio.sleep(0.01)
    run.cancel()  # the kernel dies while the batch runs: the batch goes on
    with pytest.raises(asyncio.CancelledError):
        await run
    (row,) = log_rows(log_path)
    assert row["merged"] == 0 and row["status"] == "in_progress" and row["batch_id"]
    calls = len(server.calls)

    again = batch_grid(server)  # the same definition, a new Grid: a new kernel, say
    result = await again.arun(batch=True, display=False)
    assert result.counts == {"done": 12}
    new_calls = server.calls[calls:]
    assert "files.create" not in new_calls and "batches.create" not in new_calls
    assert len(server.batches) == 1 and log_rows(log_path)[0]["merged"] == 1

    third = batch_grid(server)  # merged already: its output read back, nothing submitted
    before = len(server.calls)
    assert (await third.aresume(display=False)).counts == {"done": 12}
    assert "batches.create" not in server.calls[before:]
    pd.testing.assert_frame_equal(
        third.result().to_dataframe().drop(columns=TIMING),
        result.to_dataframe().drop(columns=TIMING),
    )


def test_resume_without_a_logged_batch_says_so_and_submits_nothing(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    with pytest.raises(WorkbenchError, match=r"no batch of this grid .*run\(batch=True\)"):
        grid.resume(display=False)
    assert server.calls == [] and not grid.running


def test_cancel_cancels_the_batches_and_merges_what_they_returned(log_path: Path) -> None:
    server = FakeBatchServer(lines_per_poll=4)
    grid = batch_grid(server)
    grid.subscribe(lambda e: grid.cancel() if e.type == "batch.progress" and e.completed else 0)
    result = grid.run(batch=True, display=False)
    assert "batches.cancel" in server.calls
    assert result.counts == {"done": 4, "cancelled": 8}
    cancelled = [c for c in grid.cells if c.status == "cancelled"]
    assert all("was cancelled" in (c.error or "") for c in cancelled)
    (row,) = log_rows(log_path)
    assert row["status"] == "cancelled" and row["merged"] == 1


def test_failed_cells_of_a_batch_are_sent_directly_by_rerun_or_a_live_run(
    log_path: Path,
) -> None:
    server = FakeBatchServer(expire_after=8)
    grid = batch_grid(server)
    result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 8, "error": 4}
    expired = [c for c in grid.cells if c.status == "error"]
    assert all(c.error and c.error.startswith("batch_expired") for c in expired)
    cell = grid.rerun(expired[0].key)
    assert cell.status == "done" and cell.batch_id is None
    live = grid.run(display=False)
    assert live.counts == {"done": 12}
    assert sum(c.batch_id is not None for c in grid.cells) == 8


def test_a_failed_batch_puts_its_validation_errors_on_the_cells_by_line(
    log_path: Path,
) -> None:
    errors = [
        {"code": "invalid_request", "line": 2, "message": "bad body on line 2"},
        {"code": "too_many_tokens", "line": None, "message": "the file is too large"},
    ]
    server = FakeBatchServer(fail_with=errors)
    grid = batch_grid(server, params=None)
    result = grid.run(batch=True, display=False)
    assert result.counts == {"error": 6}
    errors_by_line = [c.error for c in grid.cells]
    assert errors_by_line[1] is not None and errors_by_line[1].startswith("invalid_request: bad")
    others = [e for i, e in enumerate(errors_by_line) if i != 1]
    assert all(e and e.startswith("too_many_tokens") for e in others)
    assert log_rows(log_path)[0]["status"] == "failed"


def test_a_missing_output_file_fails_its_cells_naming_the_file(log_path: Path) -> None:
    server = FakeBatchServer(delete_output=True)
    grid = batch_grid(server, params=None)
    with pytest.warns(UserWarning, match="could not be read"):
        result = grid.run(batch=True, display=False)
    assert result.counts == {"error": 6}
    (batch,) = server.batches.values()
    assert all(batch["output_file_id"] in (c.error or "") for c in grid.cells)
    assert log_rows(log_path)[0]["merged"] == 1


def test_unknown_and_duplicated_lines_are_reported_and_the_rest_merged(log_path: Path) -> None:
    def mangle(lines: list[str]) -> list[str]:
        stranger = json.loads(lines[0]) | {"custom_id": "p9-v9-s0-r0-workbench-local"}
        return [lines[0], *lines, json.dumps(stranger), "not json"]

    server = FakeBatchServer(mangle=mangle)
    grid = batch_grid(server, params=None)
    with pytest.warns(UserWarning, match=r"met 3 problem\(s\)"):
        result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 6}
    problems = result.batch_problems
    assert len(problems) == 3
    assert "answered already" in problems[0] and "first line is kept" in problems[0]
    assert "p9-v9-s0-r0-workbench-local" in problems[1] and "names no cell" in problems[1]
    assert "not JSON" in problems[2]
    assert log_rows(log_path)[0]["merged"] == 1


def test_a_line_whose_body_is_not_a_reply_fails_only_its_cell(log_path: Path) -> None:
    def mangle(lines: list[str]) -> list[str]:
        broken = json.loads(lines[0])
        broken["response"]["body"] = {"choices": "nope"}
        return [json.dumps(broken), *lines[1:]]

    server = FakeBatchServer(mangle=mangle)
    result = batch_grid(server, params=None).run(batch=True, display=False)
    assert result.counts == {"error": 1, "done": 5}
    assert "line 1: response.body" in (result.cells[0].error or "")


def test_batch_replies_cost_half_the_live_price(log_path: Path) -> None:
    """A real client over a MockTransport at api.openai.com: the batch calls go through the
    client's own files and batches resources, the live cells stream from the same handler."""
    _, recorder = priced_client()

    def respond(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion_json("Hello there") | {"model": "gpt-4o-mini", "usage": USAGE}

    server = FakeBatchServer(respond=respond)
    client = workbench.AsyncClient(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(
            transport=httpx.MockTransport(BatchHandler(server, recorder))
        ),
    )
    grid = Grid(["Hi"], models="gpt-4o-mini", apis="chat", client=client)
    result = grid.run(batch=True, display=False)
    assert server.calls[:2] == ["files.create", "batches.create"]
    assert recorder.requests == [], "nothing sent live"
    live = Grid(["Hi"], models="gpt-4o-mini", apis="chat", client=client).run(display=False)
    usage = workbench.types.CompletionUsage.model_validate(USAGE)
    full = cost_usd("gpt-4o-mini", usage, "https://api.openai.com/v1")
    assert full is not None and full > 0
    assert live.cells[0].cost_usd == pytest.approx(full)
    assert result.cells[0].cost_usd == pytest.approx(full / 2)
    assert result.to_dataframe()["cost_usd"][0] == pytest.approx(full / 2)
    exported = workbench.to_dataframe(result.cells[0].conversation)
    replies = exported[exported["role"] == "assistant"]
    assert list(replies["cost_usd"]) == [pytest.approx(full / 2)], "the export prices it too"
    assert KEY not in json.dumps(log_rows(log_path)), "no key in the log"
    local = batch_grid(FakeBatchServer(), params=None).run(batch=True, display=False)
    assert all(math.isnan(c) for c in local.to_dataframe()["cost_usd"]), "local: unknown"


def test_graders_and_scorers_run_on_batch_results(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server, params=None, graders=[GREETS], scorers={"chars": len})
    finished: list[str] = []
    grid.subscribe(lambda e: finished.append(str(e.cell.key)) if e.type == "cell.finished" else 0)
    result = grid.run(batch=True, display=False)
    frame = result.to_dataframe()
    assert frame["greets_pass"].all() and (frame["chars"] > 0).all()
    assert sorted(finished) == sorted(str(c.key) for c in grid.cells), "each cell finishes once"


def test_bad_batch_options_fail_before_anything_is_sent(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    assert BatchLimits is workbench.local.BatchLimits, "one class: the grid's and the server's"
    with pytest.raises(ValueError, match="at least 1"):
        BatchLimits(max_requests=0)
    with pytest.raises(InvalidParameterError, match=r"batch_limits\.max_bytes"):
        grid.run(batch=True, batch_limits=BatchLimits(max_bytes=2.5))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="poll_interval"):
        grid.run(batch=True, poll_interval=0)
    with pytest.raises(InvalidParameterError, match=r"batch_limits.*batch=True"):
        grid.run(batch_limits=BatchLimits(max_requests=3))
    with pytest.raises(InvalidParameterError, match="batch_limits"):
        grid.run(batch=True, batch_limits={"max_requests": 3})  # type: ignore[arg-type]
    plain = Grid(PROMPTS, vars=ROWS, models="workbench-local", client=ChatOnly())
    with pytest.raises(InvalidParameterError, match="files and batches"):
        plain.run(batch=True)

    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    with pytest.raises(InvalidParameterError, match="tools"):
        batch_grid(server, tools=[shout]).run(batch=True)
    assert server.calls == [] and not log_path.exists()


def test_the_progress_line_shows_the_batches(log_path: Path) -> None:
    server = FakeBatchServer(lines_per_poll=6)
    grid = batch_grid(server)
    stream = io.StringIO()
    ProgressLine(grid, 12, stream, interval=0)
    grid.run(batch=True, display=False)
    text = stream.getvalue()
    assert "batches: 1 validating · 0/12 requests" in text
    assert "batches: 1 in_progress · 6/12 requests" in text
    assert text.endswith("\n") and "grid: 12/12 cells" in text


def test_polls_back_off_doubling_to_sixty_times_the_first() -> None:
    following = poll_delays(0.5)
    waits = [following() for _ in range(10)]
    assert waits[:4] == [0.5, 1.0, 2.0, 4.0] and waits[-1] == 30.0


def test_logged_batches_read_the_rows_of_this_grid_and_server_only(log_path: Path) -> None:
    server = FakeBatchServer()
    grid = batch_grid(server)
    grid.run(batch=True, display=False)
    other = batch_grid(server, params={"temperature": [0.5]})
    assert len(logged_batches(grid)) == 1 and logged_batches(other) == []


def test_the_estimate_at_the_batch_price_is_half_for_the_replies() -> None:
    inner, _ = priced_client()
    grid = Grid(["Hi", "Hello"], models="gpt-4o-mini", apis="chat", client=inner)
    live, batch = grid.estimate(), grid.estimate(batch=True)
    assert live.cost_usd is not None and batch.cost_usd == pytest.approx(live.cost_usd / 2)
    assert batch.prompt_tokens == live.prompt_tokens
    # The two print alike but for the price, so the batch one says which price it is.
    assert batch.batch and not live.batch
    assert repr(live).splitlines()[-1] == f"  cost: ~${live.cost_usd:,.4f}"
    assert repr(batch).splitlines()[-1] == (
        f"  cost: ~${batch.cost_usd:,.4f} (replies at the Batch API's price)"
    )
    mixed = Grid(["Hi"], models=["gpt-4o-mini", "workbench-local"], apis="chat", client=inner)
    last = repr(mixed.estimate(batch=True)).splitlines()[-1]
    assert last.endswith(
        "(no price for workbench-local); priced: gpt-4o-mini ~$0.0001"
        " (replies at the Batch API's price)"
    ), last


def test_a_file_uploaded_before_a_failed_create_is_reused_by_the_next_run(
    log_path: Path,
) -> None:
    server = FakeBatchServer(fail_creates=3)  # each try of the run
    grid = batch_grid(server, params=None)
    with pytest.warns(UserWarning, match="InternalServerError"):
        first = grid.run(batch=True, display=False)
    assert first.counts == {"error": 6} and "InternalServerError" in (first.cells[0].error or "")
    (row,) = log_rows(log_path)
    assert row["input_file_id"] and row["batch_id"] is None and row["merged"] == 0
    again = batch_grid(server, params=None).run(batch=True, display=False)
    assert again.counts == {"done": 6}
    assert server.calls.count("files.create") == 1, "the logged file, not a new upload"
    (row,) = log_rows(log_path)
    assert row["batch_id"] and row["merged"] == 1


def test_a_logged_file_gone_from_the_server_is_uploaded_again(log_path: Path) -> None:
    server = FakeBatchServer(fail_creates=3)  # each try of the run
    with pytest.warns(UserWarning, match="InternalServerError"):
        batch_grid(server, params=None).run(batch=True, display=False)
    (first_file,) = server.files
    del server.files[first_file]
    again = batch_grid(server, params=None).run(batch=True, display=False)
    assert again.counts == {"done": 6} and server.calls.count("files.create") == 2
    (row,) = log_rows(log_path)
    assert row["input_file_id"] != first_file and row["merged"] == 1


def test_a_sync_client_runs_its_batch_calls_off_the_loop(log_path: Path) -> None:
    server = FakeBatchServer(lines_per_poll=5)
    http = httpx.Client(transport=httpx.MockTransport(BatchHandler(server)))
    client = workbench.Client(base_url="https://batch.example.test/v1", http_client=http)
    grid = Grid(PROMPTS, vars=ROWS, models="workbench-local", client=client)
    assert grid.run(batch=True, display=False, poll_interval=0.01).counts == {"done": 6}
    assert server.calls.count("batches.retrieve") >= 3
    fake = Grid(PROMPTS, vars=ROWS, client=FakeBatchClient(FakeBatchServer(), blocking=True))
    assert fake.run(batch=True, display=False).counts == {"done": 6}


CHILD = """
import os, sys
sys.path.insert(0, {root!r})
from tests._batch_server import FakeBatchServer
from tests.test_grid_batch_run import batch_grid

server = FakeBatchServer(lines_per_poll=1)
grid = batch_grid(server)
grid.subscribe(lambda e: os._exit(3) if e.type == "batch.progress" and e.completed else None)
grid.run(batch=True, display=False)
"""


def run_until_killed(script: str, log_path: Path) -> None:
    """Run ``script`` (a template of ``root``) in a child process that kills itself (exit 3)."""
    root = str(Path(__file__).resolve().parent.parent)
    child = subprocess.run(
        [sys.executable, "-c", script.format(root=root)],
        env={**os.environ, "WORKBENCH_LOG": str(log_path)},
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert child.returncode == 3, child.stderr


def test_the_log_rows_outlive_a_process_killed_mid_batch(log_path: Path) -> None:
    run_until_killed(CHILD, log_path)
    (row,) = logged_batches(batch_grid(FakeBatchServer()))  # the same grid, this process
    assert row.batch_id and row.input_file_id and not row.merged
    assert row.status == "in_progress" and row.request_counts is not None
    assert len(row.custom_ids) == 12


def test_a_failed_poll_is_tried_again_and_a_refusal_stops_the_batch(
    log_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeBatchServer(fail_retrieves=[500, 500])
    assert batch_grid(server, params=None).run(batch=True, display=False).counts == {"done": 6}
    assert "polling batch" in caplog.text

    refused = FakeBatchServer(fail_retrieves=[401])
    grid = Grid(PROMPTS, vars=ROWS, params={"temperature": [0.5]}, client=FakeBatchClient(refused))
    with pytest.warns(UserWarning, match="AuthenticationError"):
        result = grid.run(batch=True, display=False)
    assert result.counts == {"error": 6} and "401" in (result.cells[0].error or "")
    assert log_rows(log_path)[-1]["merged"] == 0, "left for a later run to pick up"


def test_a_grid_with_log_writes_its_batch_cells_conversations_too(tmp_path: Path) -> None:
    path = tmp_path / "own.sqlite3"
    grid = batch_grid(FakeBatchServer(), params=None, log=path)
    grid.run(batch=True, display=False)
    assert len(log_rows(path)) == 1, "the batch in the grid's own log"
    with ConversationLog(path) as db:
        chats = db.conversations()
        assert len(chats) == 6
        loaded = db.load(grid.cells[0].conversation.id)
    assert loaded.meta["grid"] == {"version": grid.version, "cell": str(grid.cells[0].key)}
    roles = [m.role for m in loaded.messages]
    assert roles == ["user", "assistant"]
    assert loaded.messages[-1].batch_id == grid.cells[0].batch_id is not None
    assert loaded.messages[-1].content == grid.cells[0].output

    again = batch_grid(grid.client.server, params=None, log=path)  # a new kernel, say
    assert again.run(batch=True, display=False).counts == {"done": 6}
    with ConversationLog(path) as db:
        assert len(db.conversations()) == 6, "a batch read back is not logged again"


def test_an_openai_client_runs_a_batch_and_its_errors_are_translated(log_path: Path) -> None:
    server = FakeBatchServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(BatchHandler(server)))
    client = openai.AsyncOpenAI(
        api_key=KEY, base_url="https://batch.example.test/v1", http_client=http
    )
    grid = Grid(PROMPTS, vars=ROWS, models="workbench-local", client=client)
    assert grid.run(batch=True, display=False, poll_interval=0.01).counts == {"done": 6}
    server.fail_retrieves = [401]
    refused = Grid(["Hi"], models="workbench-local", client=client)
    with pytest.warns(UserWarning, match="BatchCallError: AuthenticationError"):
        result = refused.run(batch=True, display=False, poll_interval=0.01)
    assert result.counts == {"error": 1} and "401" in (result.cells[0].error or "")


def test_a_new_run_reads_a_merged_batch_back_and_submits_only_what_it_left(
    log_path: Path,
) -> None:
    server = FakeBatchServer(expire_after=8)
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 8, "error": 4}
    server.expire_after = None
    again = batch_grid(server)  # a new process, say: the first batch is read back
    finished: list[str] = []
    again.subscribe(lambda e: finished.append(str(e.cell.key)) if e.type == "cell.finished" else 0)
    with pytest.warns(UserWarning, match=r"\(expired\) left 4 cell\(s\) unanswered: sent anew"):
        result = again.run(batch=True, display=False)
    assert result.counts == {"done": 12} and len(result.batch_ids) == 2
    assert server.calls.count("batches.create") == 2
    second = list(server.batches.values())[1]
    assert second["request_counts"]["total"] == 4, "only the expired cells sent again"
    assert sorted(finished) == sorted(str(c.key) for c in again.cells), "each finished once"
    assert [r["merged"] for r in log_rows(log_path)] == [1, 1]


@pytest.mark.parametrize("status", [409, 400])
def test_a_cancel_the_server_refuses_merges_the_batch_as_it_ends(
    log_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The cancel meets a batch that finished meanwhile (a 409; OpenAI says 400): nothing to
    cancel, the batch is polled to its end and merged, no cell failed."""
    server = FakeBatchServer(fail_cancels=[status])
    grid = batch_grid(server)
    grid.subscribe(lambda e: grid.cancel() if getattr(e, "status", "") == "finalizing" else 0)
    result = grid.run(batch=True, display=False)
    assert server.calls.count("batches.cancel") == 1
    assert result.counts == {"done": 12} and result.batch_problems == []
    assert "cancelling batch" in caplog.text
    (row,) = log_rows(log_path)
    assert row["status"] == "completed" and row["merged"] == 1


@pytest.mark.parametrize("status", [503, 429])
def test_a_cancel_that_fails_in_a_way_that_may_pass_is_sent_again(
    log_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """One 503 (or 429) on ``batches.cancel`` does not drop the cancel: it is sent again at
    the next poll, and the batch ends ``cancelled`` instead of running (billed) to its end."""
    server = FakeBatchServer(lines_per_poll=4, fail_cancels=[status])
    grid = batch_grid(server)
    grid.subscribe(lambda e: grid.cancel() if e.type == "batch.progress" and e.completed else 0)
    result = grid.run(batch=True, display=False, poll_interval=0.01)
    assert server.calls.count("batches.cancel") == 2
    assert result.counts == {"done": 8, "cancelled": 4}
    assert "sent again" in caplog.text
    (row,) = log_rows(log_path)
    assert row["status"] == "cancelled" and row["merged"] == 1


async def test_a_batch_another_server_does_not_know_is_kept_for_its_own(log_path: Path) -> None:
    """Two servers behind one base URL (two accounts, say): the second answers 404 for the
    first's batch. The row is kept (``lost``, not merged), and polled when the first comes
    back; lost a second time, the second server's run sends the cells anew, saying so."""
    owner = FakeBatchServer(lines_per_poll=4)
    run = asyncio.create_task(batch_grid(owner).arun(batch=True, display=False))
    while not any(b["request_counts"]["completed"] for b in owner.batches.values()):
        await asyncio.sleep(0.01)
    run.cancel()  # the kernel dies while the batch runs
    with pytest.raises(asyncio.CancelledError):
        await run

    other = FakeBatchServer()
    with pytest.warns(UserWarning, match="batch_not_found"):
        stranger = await batch_grid(other).arun(batch=True, display=False)
    assert stranger.counts == {"error": 12} and "batches.create" not in other.calls
    assert "batch_not_found" in (stranger.cells[0].error or "")
    (row,) = log_rows(log_path)
    assert row["status"] == "lost" and row["merged"] == 0, "kept for the server that has it"

    back = await batch_grid(owner).arun(batch=True, display=False)
    assert back.counts == {"done": 12} and len(owner.batches) == 1, "polled, not resubmitted"
    (row,) = log_rows(log_path)
    assert row["status"] == "completed" and row["merged"] == 1

    lost_twice = FakeBatchServer()
    row_id = row["id"]
    with sqlite3.connect(log_path) as conn:
        conn.execute("UPDATE grid_batches SET status = 'lost', merged = 0 WHERE id = ?", (row_id,))
    with pytest.warns(UserWarning, match="again: its 12 unanswered cell"):
        anew = await batch_grid(lost_twice).arun(batch=True, display=False)
    assert anew.counts == {"done": 12} and len(lost_twice.batches) == 1


def test_a_download_that_fails_is_retried_and_a_merged_batch_never_resubmitted(
    log_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeBatchServer()
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 12}
    server.fail_contents = [503]  # a blip while a new kernel reads the merged batch back
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 12}
    assert "downloading file" in caplog.text

    server.fail_contents = [503] * 10  # down for longer than the retries
    with pytest.warns(UserWarning, match="could not be read"):
        down = batch_grid(server).run(batch=True, display=False)
    assert down.counts == {"error": 12} and "could not be read" in (down.cells[0].error or "")
    assert server.calls.count("batches.create") == 1, "the batch has them: not sent again"
    (row,) = log_rows(log_path)
    assert row["merged"] == 1
    server.fail_contents = []
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 12}


def test_a_merged_batch_whose_file_is_gone_is_given_up_and_its_cells_sent_anew(
    log_path: Path,
) -> None:
    """The output file of a merged batch is deleted (or expired: a 404) before a new run reads
    it back: it never comes back, so the batch is given up and its cells sent anew, once."""
    server = FakeBatchServer()
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 12}
    (first,) = server.batches.values()
    del server.files[first["output_file_id"]]
    with pytest.warns(UserWarning, match=r"is gone: left 12 cell\(s\) unanswered: sent anew"):
        again = batch_grid(server).run(batch=True, display=False)
    assert again.counts == {"done": 12} and server.calls.count("batches.create") == 2
    statuses = [(r["status"], r["merged"]) for r in log_rows(log_path)]
    assert statuses == [("lost", 1), ("completed", 1)]
    assert batch_grid(server).run(batch=True, display=False).counts == {"done": 12}
    assert server.calls.count("batches.create") == 2, "the new batch has them: not sent again"


def test_a_batch_whose_create_answer_is_lost_is_adopted_not_created_twice(
    log_path: Path,
) -> None:
    """The create goes through but its answer is lost (a 500 here): the client does not send
    it again on its own, and the run finds the batch by its input file."""
    server = FakeBatchServer(lose_creates=1)
    http = httpx.AsyncClient(transport=httpx.MockTransport(BatchHandler(server)))
    client = workbench.AsyncClient(base_url="https://batch.example.test/v1", http_client=http)
    grid = Grid(PROMPTS, vars=ROWS, models="workbench-local", client=client)
    result = grid.run(batch=True, display=False, poll_interval=0.01)
    assert result.counts == {"done": 6}
    assert server.calls.count("batches.create") == 1 and len(server.batches) == 1
    assert "batches.list" in server.calls
    (row,) = log_rows(log_path)
    assert row["batch_id"] == next(iter(server.batches)) and row["merged"] == 1


def test_a_batch_created_before_the_process_died_is_adopted_by_the_next_run(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.grid._batch_log import BatchLog

    update = BatchLog.update

    def die_logging_the_batch(self: BatchLog, row: Any, **changes: Any) -> None:
        if "batch_id" in changes:
            raise OSError("the process dies between the create and the log")
        update(self, row, **changes)

    server = FakeBatchServer()
    with monkeypatch.context() as patch, pytest.warns(UserWarning, match="the process dies"):
        patch.setattr(BatchLog, "update", die_logging_the_batch)
        batch_grid(server).run(batch=True, display=False)
    (row,) = log_rows(log_path)
    assert row["input_file_id"] and row["batch_id"] is None and len(server.batches) == 1

    result = batch_grid(server).run(batch=True, display=False)
    assert result.counts == {"done": 12}
    assert server.calls.count("batches.create") == 1, "the batch on the server, adopted"
    (row,) = log_rows(log_path)
    assert row["batch_id"] == next(iter(server.batches)) and row["merged"] == 1


def test_a_cancelled_batch_run_scores_what_it_answered_and_finishes_every_cell(
    log_path: Path,
) -> None:
    server = FakeBatchServer(lines_per_poll=4)
    grid = batch_grid(server, graders=[GREETS], scorers={"chars": len})
    grid.subscribe(lambda e: grid.cancel() if e.type == "batch.progress" and e.completed else 0)
    finished: list[str] = []
    grid.subscribe(lambda e: finished.append(str(e.cell.key)) if e.type == "cell.finished" else 0)
    result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 4, "cancelled": 8}
    assert sorted(finished) == sorted(str(c.key) for c in grid.cells), "each cell finishes once"
    done = [c for c in grid.cells if c.status == "done"]
    assert all(c.scores["chars"] > 0 and c.grades["greets"].passed for c in done)


def test_a_second_ctrl_c_stops_waiting_for_a_cancel_and_resume_picks_it_up(
    log_path: Path,
) -> None:
    """Ctrl-C cancels the batch; the batch stays ``cancelling``; a second Ctrl-C stops the
    wait, the grid free and the row unmerged, and ``resume()`` later merges it. (Before the
    fix, run() waited for the cancel for good: pytest-timeout fails it.)"""
    server = FakeBatchServer(lines_per_poll=4, stuck_cancelling=True)
    grid = batch_grid(server)
    pressed: list[str] = []

    def press(event: Any) -> None:
        if event.type != "batch.progress":
            return
        if (event.completed and not pressed) or (
            event.status == "cancelling" and len(pressed) == 1
        ):
            pressed.append(event.status)  # Ctrl-C: SIGINT to the main thread, waiting in run()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    grid.subscribe(press)
    with pytest.raises(KeyboardInterrupt):
        grid.run(batch=True, display=False)
    assert pressed == ["in_progress", "cancelling"] and not grid.running
    (row,) = log_rows(log_path)
    assert row["status"] == "cancelling" and row["merged"] == 0, "left for resume()"
    assert all(c.status == "cancelled" for c in grid.cells if c.status != "pending")

    server.stuck_cancelling = False
    result = batch_grid(server).resume(display=False)
    assert result.counts == {"done": 4, "cancelled": 8}
    assert server.calls.count("batches.create") == 1 and log_rows(log_path)[0]["merged"] == 1


async def test_two_runs_of_one_grid_at_once_submit_its_cells_once(log_path: Path) -> None:
    """Two kernels (two grids of one definition) run it together: the first claims the cells
    in the log before uploading, the second follows its batch instead of submitting again."""
    server = FakeBatchServer(lines_per_poll=4, pause_uploads=True)
    first, second = batch_grid(server), batch_grid(server)
    one, two = await asyncio.gather(
        first.arun(batch=True, display=False), second.arun(batch=True, display=False)
    )
    assert one.counts == two.counts == {"done": 12}
    assert server.calls.count("files.create") == 1 and len(server.batches) == 1
    assert one.batch_ids == two.batch_ids
    (row,) = log_rows(log_path)
    assert row["merged"] == 1 and row["status"] == "completed"


DIES_UPLOADING = """
import os, sys
sys.path.insert(0, {root!r})
from tests._batch_server import FakeBatchServer
from tests.test_grid_batch_run import batch_grid

grid = batch_grid(FakeBatchServer())
grid.subscribe(lambda e: os._exit(3) if getattr(e, "status", "") == "uploading" else None)
grid.run(batch=True, display=False)
"""


def test_the_claim_of_a_process_that_died_uploading_is_taken_over(log_path: Path) -> None:
    run_until_killed(DIES_UPLOADING, log_path)
    (row,) = log_rows(log_path)
    host, pid, nonce = row["status"].removeprefix("uploading by ").rsplit(":", 2)
    assert host == socket.gethostname() and int(pid) != os.getpid() and nonce
    assert row["input_file_id"] is None, "claimed, then the process died"
    server = FakeBatchServer()
    result = batch_grid(server).run(batch=True, display=False)
    assert result.counts == {"done": 12}, "its process is gone: taken over at once"
    assert server.calls.count("files.create") == 1
    (row,) = log_rows(log_path)
    assert row["merged"] == 1


def _claimed_by(log_path: Path, status: str, age: float) -> None:
    """Make the one row's claim read as ``status``, written ``age`` seconds ago."""
    with sqlite3.connect(log_path) as db:
        db.execute("UPDATE grid_batches SET status = ?, updated = updated - ?", (status, age))


@pytest.mark.parametrize(
    ("holder", "age"),
    [
        pytest.param(lambda: f"{os.getpid()}:0badc0de", 0.0, id="this pid, another process"),
        pytest.param(lambda: f"{os.getppid()}:0badc0de", 7200.0, id="a live pid, hours old"),
    ],
)
def test_a_claim_whose_process_is_gone_is_taken_over_not_waited_for(
    log_path: Path, holder: Any, age: float
) -> None:
    """A pid can be reused: by this very process (a container restarted with the same pid), or
    by an unrelated live one. Neither holds the claim: the run takes it over instead of waiting
    for a batch nobody will create."""
    run_until_killed(DIES_UPLOADING, log_path)
    _claimed_by(log_path, f"uploading by {socket.gethostname()}:{holder()}", age)
    server = FakeBatchServer()
    seen: list[str] = []
    grid = batch_grid(server)
    grid.subscribe(lambda e: seen.append(getattr(e, "status", "")))
    result = grid.run(batch=True, display=False)
    assert result.counts == {"done": 12} and "waiting" not in seen
    assert server.calls.count("files.create") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_worker_claims_under_its_own_pid_and_mark() -> None:
    from workbench.grid._batch_log import _claim_tag

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: write its tag and leave at once
        os.write(write, _claim_tag().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(read, 200).decode()
    os.close(read)
    os.close(write)
    ours = _claim_tag()
    assert theirs.rsplit(":", 2)[1] == str(child) != ours.rsplit(":", 2)[1]
    assert theirs.rsplit(":", 2)[2] != ours.rsplit(":", 2)[2]
