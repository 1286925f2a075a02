"""Live views in a real kernel: what the kernel sends for ``%%chat`` and grids is what a notebook
saves, so plain nbval (no plugin) passes on a notebook a front end executed and saved.

A view shown live sends two outputs that never change (the widget with an empty ``text/plain``,
then a record of the finished text that JupyterLab hides); only a view finished after its cell
ended is updated in place. See ``workbench/widgets/_live.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests._browser import isolated_env
from tests._notebook import notebook

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Kernel:
    """A real ipykernel; ``run(code)`` returns the iopub messages of that execution (comms and
    status left out)."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env)

    def run(self, code: str, timeout: float = 60) -> list[dict[str, Any]]:
        msg_id = self.client.execute(code)
        own: list[dict[str, Any]] = []
        while True:
            message = self.client.get_iopub_msg(timeout=timeout)
            kind = message["msg_type"]
            mine = message["parent_header"].get("msg_id") == msg_id
            if kind == "status":
                if mine and message["content"]["execution_state"] == "idle":
                    break
                continue
            if mine and kind != "execute_input" and not kind.startswith("comm"):
                own.append(message)
        reply = self.client.get_shell_msg(timeout=timeout)
        assert reply["content"]["status"] == "ok", reply["content"]
        return own

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    home = tmp_path_factory.mktemp("kernel-home")
    env = {**isolated_env(home), "WORKBENCH_LOG": str(home / "log.sqlite3")}
    running = Kernel(env)
    running.run("%load_ext workbench\nimport workbench\nworkbench.Client()")  # the no-key note
    yield running
    running.close()


def displays(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["msg_type"], m["content"])
        for m in messages
        if m["msg_type"] in ("display_data", "update_display_data", "execute_result")
    ]


def assert_live_then_record(messages: list[dict[str, Any]], text_start: str) -> str:
    """The messages show a live widget (its text empty) then the record of the finished text,
    and never update either; returns the record's text."""
    shown = displays(messages)
    assert [kind for kind, _ in shown] == ["display_data", "display_data"], shown
    live, record = shown[0][1], shown[1][1]
    assert live["data"]["text/plain"] == ""
    assert live["data"][WIDGET_VIEW]["model_id"], "the live output is the widget itself"
    assert live["transient"].get("display_id"), "kept updatable for a view finished later"
    assert record["data"][WIDGET_VIEW]["model_id"] == "", "JupyterLab hides the record"
    text: str = record["data"]["text/plain"]
    assert text.startswith(text_start), text
    return text


def test_a_chat_turn_sends_the_live_widget_then_its_finished_text(kernel: Kernel) -> None:
    messages = kernel.run("%%chat\nHello there")
    text = assert_live_then_record(messages, "user:\n  Hello there\n\nassistant:\n  ")
    assert "[local model" in text


def test_a_line_chat_turn_ending_in_a_question_mark_is_sent(kernel: Kernel) -> None:
    messages = kernel.run("%chat What is two plus two?")
    assert_live_then_record(messages, "user:\n  What is two plus two?\n\nassistant:")
    streams = [m["content"]["text"] for m in messages if m["msg_type"] == "stream"]
    assert not any("not found" in text for text in streams), streams


def test_a_grid_sends_the_live_table_then_its_final_text(kernel: Kernel) -> None:
    code = (
        "import workbench\n"
        "grid = workbench.Grid(['Say hi', 'Name a colour'], models=['workbench-local'])\n"
        "result = grid.run()"
    )
    text = assert_live_then_record(kernel.run(code), "[1] Say hi\n")
    assert text.endswith("2 cells: 2 done")
    cell = kernel.run("%%grid -m workbench-local -m workbench-local-terse\nName a fruit")
    assert assert_live_then_record(cell, "[1] Name a fruit\n").endswith("2 cells: 2 done")


def test_a_view_finished_after_its_cell_is_updated_in_place(kernel: Kernel) -> None:
    shown = kernel.run(
        "from workbench.widgets import ConversationWidget, show_live\n"
        "later = workbench.Conversation()\n"
        "live = show_live(ConversationWidget(later))"
    )
    (kind, live), = displays(shown)  # fmt: skip
    assert kind == "display_data" and live["data"]["text/plain"] == ""
    finishing = kernel.run("later.send('Hello from later')\nlive.finish()")
    (kind, update), = displays(finishing)  # fmt: skip
    assert kind == "update_display_data", "no new output in a later cell"
    assert update["transient"]["display_id"] == live["transient"]["display_id"]
    assert "Hello from later" in update["data"]["text/plain"]
    assert update["data"][WIDGET_VIEW] == live["data"][WIDGET_VIEW], "the same widget"


# -- plain nbval on a notebook as a front end saves it ------------------------------------------

CELLS = [
    "%load_ext workbench",
    "%%chat --system 'Be brief.'\nTell me about tide pools.",
    "%chat What is two plus two?",
    "%chat And three plus three??",
    "import workbench\n"
    "grid = workbench.Grid(['Say hi', 'Name a colour'], models=['workbench-local'])\n"
    "result = grid.run()",
    "%%grid -m workbench-local -m workbench-local-terse\nName a fruit",
    "chat",
    "before = len(chat.messages)",
    # Bad input: one clear line, nothing sent, nothing changed.
    "%%chat\nWeather in {nowhere}?",
    "%%chat --system 'unclosed\nhi",
    "%%chat --bogus\nhi",
    "%%chat --temperature hot\nhi",
    "%wb params temperature=3",
    "print(len(chat.messages) - before, chat.params.temperature)",
]
BAD = range(8, 13)


def saved_notebook(folder: Path) -> Path:
    """CELLS executed by nbclient (which applies display updates as JupyterLab does) and saved;
    the bad-input cells are tagged ``raises-exception``, as a notebook author would."""
    source = notebook(CELLS)
    for index in BAD:
        source["cells"][index]["metadata"] = {"tags": ["raises-exception"]}  # type: ignore[index]
    path = folder / "saved.ipynb"
    path.write_text(json.dumps(source), encoding="utf-8")
    code = (
        "import sys, nbformat, nbclient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nbclient.NotebookClient(nb, timeout=120, kernel_name='python3', allow_errors=True,\n"
        "                        store_widget_state=False).execute()\n"
        "nbformat.write(nb, sys.argv[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return path


def _env(folder: Path) -> dict[str, str]:
    home = folder / "home"
    home.mkdir(exist_ok=True)
    return {**isolated_env(home), "WORKBENCH_LOG": str(folder / "log.sqlite3")}


def plain_nbval(path: Path) -> subprocess.CompletedProcess[str]:
    """``pytest --nbval`` with the sanitizer the README names and nothing else: run from the
    notebook's folder, so none of this project's configuration or plugins load."""
    command = [sys.executable, "-m", "pytest", "--nbval", path.name, "-p", "no:cacheprovider"]
    command += ["--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg"), "-q"]
    return subprocess.run(
        command,
        cwd=path.parent,
        env=_env(path.parent),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_plain_nbval_passes_on_what_a_front_end_saved(tmp_path: Path) -> None:
    path = saved_notebook(tmp_path)
    saved = nbformat.read(path, as_version=4).cells
    texts = [o.get("data", {}).get("text/plain", o.get("text")) for c in saved for o in c.outputs]
    assert any(t.startswith("user:\n  What is two plus two?") for t in texts), texts
    assert any(t.startswith("user:\n  And three plus three??") for t in texts), texts
    for index in BAD:  # one clear line each, on stderr, no traceback
        (output,) = saved[index]["outputs"]
        assert output["name"] == "stderr" and output["text"].startswith("UsageError: ")
        assert output["text"].count("\n") == 1, output["text"]
    assert saved[-1]["outputs"][0]["text"] == "0 None\n", "nothing sent, nothing changed"

    done = plain_nbval(path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(CELLS)} passed" in done.stdout, done.stdout[-2000:]


@pytest.mark.slow
def test_plain_nbval_fails_when_a_saved_reply_differs(tmp_path: Path) -> None:
    """The check can fail: an edited saved reply is caught."""
    path = saved_notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    record = nb.cells[1].outputs[-1].data
    record["text/plain"] = record["text/plain"].replace("tide pools", "rock pools")
    nbformat.write(nb, path)
    done = plain_nbval(path)
    assert done.returncode != 0 and "1 failed" in done.stdout, done.stdout[-2000:]
