"""Run a notebook as Jupyter would, in a subprocess: nbclient executes it on an ipykernel (widget
state stored, as JupyterLab saves it) and nbconvert exports it to HTML (the lab template).

The subprocess keeps nbclient's and nbconvert's warnings out of the test process (where
warnings are errors) and gives the kernel exactly the environment the test chooses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests._browser import isolated_env

_RUNNER = r"""
import sys, nbformat, nbclient, nbconvert
source, executed, exported = sys.argv[1:4]
nb = nbformat.read(source, as_version=4)
client = nbclient.NotebookClient(
    nb, timeout=180, kernel_name="python3", store_widget_state=True, allow_errors=True,
    resources={"metadata": {"path": sys.argv[4]}},
)
client.execute()
nbformat.write(nb, executed)
html, _ = nbconvert.HTMLExporter(template_name="lab").from_notebook_node(nb)
with open(exported, "w", encoding="utf-8") as out:
    out.write(html)
"""


def notebook(cells: list[str]) -> dict[str, object]:
    """A version-4 notebook of code cells for the ``python3`` kernel."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
             "outputs": [], "execution_count": None}
            for i, source in enumerate(cells)
        ],
    }  # fmt: skip


def run_notebook(
    folder: Path, cells: list[str], env: dict[str, str] | None = None, timeout: float = 240
) -> tuple[str, str]:
    """Execute ``cells`` in a fresh kernel (its environment: an isolated one, updated with
    ``env``) and export the result; returns the executed ``.ipynb`` text and the HTML."""
    folder.mkdir(parents=True, exist_ok=True)
    source, executed, exported = (folder / n for n in ("in.ipynb", "out.ipynb", "out.html"))
    source.write_text(json.dumps(notebook(cells)), encoding="utf-8")
    home = folder / "home"
    home.mkdir(exist_ok=True)
    environment = {**isolated_env(home), "WORKBENCH_LOG": str(folder / "log.sqlite3")}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(source), str(executed), str(exported), str(folder)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return executed.read_text(encoding="utf-8"), exported.read_text(encoding="utf-8")
