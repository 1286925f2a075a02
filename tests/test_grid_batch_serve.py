"""The acceptance of batch runs, on ``python -m workbench serve`` offline: a grid of 2,000 cells
runs as a batch, its process is killed (SIGKILL) while the batch is in progress, a new process
resumes it by the log, submits nothing new, and gets the same DataFrame as a live run of the same
grid on a fresh server (timing, request ids and the batch marker aside)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench
from tests._local import ServerProcess, serving
from workbench import Grid

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ["Say hi to {name}", "Name a color for {name}"]
NOT_COMPARED = ["latency_s", "ttft_s", "request_id", "batch_id"]


def acceptance_grid(url: str) -> Grid:
    """2 prompts x 250 rows x 2 temperatures x 2 repeats: 2,000 cells on the server at ``url``."""
    rows = [{"name": f"guest {i}"} for i in range(250)]
    client = workbench.AsyncClient(base_url=url, api_key="sk-local")
    return Grid(PROMPTS, vars=rows, params={"temperature": [0, 1]}, repeats=2, client=client)


_FIRST = """
import sys
sys.path.insert(0, {root!r})
from tests.test_grid_batch_serve import acceptance_grid

grid = acceptance_grid({url!r})

def tell(event):
    if event.type == "batch.progress" and event.status == "in_progress":
        print("in_progress", flush=True)

grid.subscribe(tell)
grid.run(batch=True, display=False, poll_interval=0.05)
print("finished", flush=True)  # the test kills it before
"""

_SECOND = """
import sys
sys.path.insert(0, {root!r})
from tests.test_grid_batch_serve import acceptance_grid

grid = acceptance_grid({url!r})
result = grid.{call}
result.to_dataframe().to_pickle({out!r})
print(len(result.batch_ids), result.counts, flush=True)
"""


def _child(source: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", source],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _on_server(proc: ServerProcess) -> dict[str, Any]:
    """What the server holds: its batches, and its input files (purpose ``batch``)."""
    with workbench.Client(base_url=proc.url, api_key="sk-local") as client:
        batches = {b.id: b.status for b in client.batches.list(limit=100).data}
        inputs = [f.id for f in client.files.list(purpose="batch").data]
    return {"batches": batches, "inputs": sorted(inputs)}


@pytest.fixture(scope="module")
def live() -> pd.DataFrame:
    """The same grid run live on a fresh server."""
    with serving() as fresh:
        return acceptance_grid(fresh.url).run(display=False).to_dataframe()


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "call",
    ["run(batch=True, display=False, poll_interval=0.05)", "resume(display=False)"],
    ids=["run", "resume"],
)
def test_a_killed_batch_run_resumes_in_a_new_process_as_a_live_run_would(
    tmp_path: Path, call: str, live: pd.DataFrame
) -> None:
    out = tmp_path / "batch.pkl"
    with serving() as proc:
        first = _child(_FIRST.format(root=str(ROOT), url=proc.url))
        try:
            assert first.stdout is not None
            line = first.stdout.readline().strip()
            assert line == "in_progress", first.stderr.read() if first.stderr else line
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate()
        assert first.returncode == -signal.SIGKILL
        before = _on_server(proc)
        assert len(before["batches"]) == 1 and len(before["inputs"]) == 1
        assert list(before["batches"].values()) != ["completed"], "killed while it ran"

        source = _SECOND.format(root=str(ROOT), url=proc.url, call=call, out=str(out))
        second = _child(source)
        said, err = second.communicate(timeout=200)
        assert second.returncode == 0, err
        assert said.split()[0] == "1", "one batch, picked up"
        after = _on_server(proc)
        assert after["inputs"] == before["inputs"], "no file uploaded again"
        assert list(after["batches"]) == list(before["batches"]), "no batch submitted again"
        assert list(after["batches"].values()) == ["completed"]
    batch = pd.read_pickle(out)
    assert len(batch) == 2000 and (batch["status"] == "done").all()
    assert batch["batch_id"].nunique() == 1 and "batch_id" not in live.columns
    assert batch["cost_usd"].isna().all() and live["cost_usd"].isna().all(), "unpriced here"
    pd.testing.assert_frame_equal(
        batch.drop(columns=NOT_COMPARED), live.drop(columns=NOT_COMPARED[:-1])
    )
