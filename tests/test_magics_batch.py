"""``%%grid --batch`` in a real ``InteractiveShell``: the grid runs through the (fake) Batch
API, re-running the cell picks up its batch, and a bad combination is one ``UsageError``."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests import test_magics
from tests._batch_server import FakeBatchClient, FakeBatchServer
from tests.test_magics import error_of, run

shell = test_magics.shell  # that fixture: the extension loaded, a clean namespace


@pytest.fixture
def server(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakeBatchServer:
    """The fake Batch API as the magics' client, and a log of the test's own."""
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "log.sqlite3"))
    fake = FakeBatchServer()
    shell.magics_manager.registry["WorkbenchMagics"].use_client(FakeBatchClient(fake))
    return fake


def test_grid_batch_runs_through_the_batch_api_and_again_picks_it_up(
    shell: InteractiveShell, server: FakeBatchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "%%grid --batch --poll 0.01\nSay hi\nName a color"
    assert error_of(run(shell, source)) is None
    result = shell.user_ns["grid_result"]
    assert result.counts == {"done": 2} and len(result.batch_ids) == 1
    assert server.calls.count("batches.create") == 1
    assert error_of(run(shell, source)) is None, "the same cell again"
    assert shell.user_ns["grid_result"].counts == {"done": 2}
    assert server.calls.count("batches.create") == 1, "its batch picked up, none submitted"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("%%grid --batch --concurrency 4", "--batch with --concurrency"),
        ("%%grid --poll 1", "--poll"),
    ],
)
def test_a_bad_batch_combination_is_a_usage_error(
    shell: InteractiveShell, server: FakeBatchServer, line: str, said: str
) -> None:
    error = error_of(run(shell, f"{line}\nSay hi"))
    assert isinstance(error, UsageError) and said in str(error)
    assert server.calls == []


def test_grid_batch_on_the_default_client_runs_on_the_local_models_batches(
    shell: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "log.sqlite3"))
    assert error_of(run(shell, "%%grid --batch\nSay hi\nName a color")) is None
    result = shell.user_ns["grid_result"]
    assert result.counts == {"done": 2} and len(result.batch_ids) == 1
    assert all(cell.batch_id == result.batch_ids[0] for cell in result.cells)
