#!/usr/bin/env python3
"""Project tasks needing only python3: ``python3 dev.py test`` and ``python3 dev.py start``.

Each task creates ``.venv`` on first use (and refreshes it when pyproject.toml changes), installs
the project with its ``dev`` extra, then runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".workbench-installed"


def ensure_env() -> None:
    """Create the virtual environment and install the project, unless it is up to date."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing workbench[dev] into .venv", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", ".[dev]"], cwd=ROOT, check=True)
    STAMP.write_text(digest)


def run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True)


def test(extra: list[str]) -> None:
    """Lint, check the layering, then run the whole test suite."""
    ensure_env()
    run(str(BIN / "ruff"), "check", ".")
    run(str(BIN / "ruff"), "format", "--check", ".")
    run(str(BIN / "lint-imports"))
    run(str(BIN / "mypy"))
    run(str(PY), "-m", "pytest", *extra)


def start(extra: list[str]) -> None:
    """The main job: the quickstart example (a notebook replaces it when the notebooks land)."""
    ensure_env()
    run(str(PY), "examples/quickstart.py", *extra)


TASKS = {"test": test, "start": start}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 dev.py {{{','.join(TASKS)}}} [args...]")
    try:
        TASKS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
