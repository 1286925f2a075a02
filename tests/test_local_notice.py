"""The no-key notice: information, said once per process; in a Jupyter kernel a themed note in the
cell's output (HTML with a plain-text twin), on a terminal one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import workbench
import workbench.local
from tests._local import play_kernel
from tests._notebook import run_notebook
from workbench.local._kernel import note_html

WORDS = (
    "workbench: no OPENAI_API_KEY or OPENAI_BASE_URL set, so replies come from the offline local"
    " model (a simulator, not a real model). Set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL"
    " for a compatible server, to talk to a real model."
)


@pytest.fixture(autouse=True)
def _not_yet_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbench.local, "_noticed", False)


def test_on_a_terminal_it_is_one_line_on_stderr_once(capsys: pytest.CaptureFixture[str]) -> None:
    workbench.Client()
    workbench.AsyncClient()
    out, err = capsys.readouterr()
    assert err == WORDS + "\n" and out == ""


def test_in_a_kernel_it_is_an_informational_note_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = play_kernel(monkeypatch)
    workbench.Client()
    workbench.Client()
    workbench.AsyncClient()
    assert capsys.readouterr() == ("", ""), "nothing on stderr: no red banner"
    assert len(shell.displayed) == 1
    (bundle,) = shell.displayed
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == WORDS
    html = bundle["text/html"]
    for variable in ("--jp-info-color0", "--jp-layout-color2", "--jp-ui-font-size1"):
        assert f"var({variable}" in html, variable
    assert "OPENAI_API_KEY or OPENAI_BASE_URL set" in html
    assert "<script" not in html and "on" + "click" not in html


def test_no_notice_when_the_local_model_is_chosen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = play_kernel(monkeypatch)
    workbench.Client(local=True)
    assert shell.displayed == [] and capsys.readouterr().err == ""


def test_the_note_is_escaped_static_text() -> None:
    html = note_html('<img src=x onerror="alert(1)"> & co')
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in html
    assert html.count("<") == 2, "one div, nothing else"


def test_a_script_that_falls_back_imports_no_ipython() -> None:
    code = (
        "import sys, workbench\n"
        "workbench.Client()\n"
        "print(sorted(m for m in ('IPython', 'ipywidgets', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert done.stderr == WORDS + "\n"


@pytest.mark.slow
def test_in_a_real_kernel_the_notice_is_a_display_and_the_pace_visible(tmp_path: Path) -> None:
    cells = [
        "import workbench\nclient = workbench.Client()\nworkbench.Client()\nNone",
        "print(client.local_model.pacing.tokens_per_second)",
    ]
    # an empty variable counts as unset (the test process sets it to 0 for speed)
    executed, _ = run_notebook(tmp_path, cells, env={"WORKBENCH_LOCAL_TOKENS_PER_SECOND": ""})
    first, second = (nbformat.from_dict(c).outputs for c in json.loads(executed)["cells"])
    assert [o.output_type for o in first] == ["display_data"], "no stderr stream"
    assert "".join(first[0].data["text/plain"]) == WORDS
    assert "var(--jp-info-color0" in "".join(first[0].data["text/html"])
    assert [(o.name, "".join(o.text)) for o in second] == [("stdout", "40.0\n")]
