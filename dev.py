#!/usr/bin/env python3
"""Project tasks needing only python3: ``python3 dev.py test`` and ``python3 dev.py start``.

Each task creates ``.venv`` on first use (and refreshes it when pyproject.toml changes), installs
the project with its ``dev`` extra, then runs. ``test`` also makes sure Debian's ``chromium`` is at
/usr/bin/chromium (apt-get, as root or through sudo) for the real-browser test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".workbench-installed"
CHROMIUM = Path("/usr/bin/chromium")


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


def ensure_chromium() -> None:
    """Install Debian's chromium for tests/test_browser.py unless it is there (playwright drives
    it; ``playwright install`` downloads browsers from elsewhere, which is not possible here)."""
    if CHROMIUM.exists():
        return
    need = f"the real-browser test needs {CHROMIUM}: install Debian's chromium package"
    if not shutil.which("apt-get"):
        sys.exit(f"{need} (apt-get was not found)")
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo"):
        sudo = ["sudo"]
    else:
        sys.exit(f"{need} (this needs root, and sudo was not found)")
    # The lock timeout waits for another apt or dpkg run to finish instead of failing on its lock.
    apt = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    try:
        run(*apt, *lock, "update")
        run(*apt, *lock, "install", "-y", "chromium")
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"{need}: apt-get failed ({exc})")
    if not CHROMIUM.exists():
        sys.exit(f"{need}: apt-get installed chromium but {CHROMIUM} is still missing")


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
    ensure_chromium()
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
