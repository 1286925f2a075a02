#!/usr/bin/env python3
"""Project tasks needing only python3: ``python3 dev.py test`` and ``python3 dev.py start``.

Each task creates ``.venv`` on first use (and refreshes it when pyproject.toml changes), installs
the project with its ``dev`` extra, then runs. ``test`` also makes sure Debian's ``chromium`` is at
/usr/bin/chromium (apt-get, as root or through sudo) for the browser tests; where it cannot be
installed (no apt-get, no root or sudo) they are skipped with that reason. And it builds the real
servers' environments for the interop tests (``.interop/llama``, ``.interop/litellm``), each from
its pinned requirements file in tests/interop/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".workbench-installed"
CHROMIUM = Path("/usr/bin/chromium")
SKIP_BROWSER = "WORKBENCH_SKIP_BROWSER"
"""Set to a reason, the browser tests are skipped with it (tests/conftest.py)."""
SKIP_INTEROP = "WORKBENCH_SKIP_INTEROP"
"""Set to a reason, the interop tests are skipped with it and their environments not built."""
INTEROP = ROOT / ".interop"
"""The real servers' virtual environments, one per server (they cannot share the project's: the
LiteLLM proxy needs openai>=2.20, the project's tests pin openai==1.106.1)."""
INTEROP_REQUIREMENTS = ROOT / "tests" / "interop"
INTEROP_ENVS = ("llama", "litellm")
"""``.interop/NAME`` is built from ``tests/interop/requirements-NAME.txt``."""
LAB_SETTINGS = {
    # No "Would you like to get notified about official Jupyter news?" prompt, no news fetched.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


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
    """Install Debian's chromium for the browser tests unless it is there (playwright drives it;
    ``playwright install`` downloads browsers from elsewhere, which is not possible here).

    Where it cannot be installed at all (no apt-get, or neither root nor sudo), the browser
    tests are skipped with that reason, shown in pytest's summary (``WORKBENCH_SKIP_BROWSER``),
    and everything else runs. A failing apt-get is an error: a machine that has apt is expected
    to install it.
    """
    if CHROMIUM.exists() or os.environ.get(SKIP_BROWSER):
        return
    need = f"the browser tests need {CHROMIUM} (Debian's chromium package)"
    if not shutil.which("apt-get"):
        skip_browser(f"{need}, and apt-get was not found to install it")
        return
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo"):
        sudo = ["sudo"]
    else:
        skip_browser(f"{need}; installing it needs root, and sudo was not found")
        return
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


def skip_browser(reason: str) -> None:
    """Skip the browser tests (pytest reports each as skipped with ``reason``)."""
    print(f"skipping the browser tests: {reason}", flush=True)
    os.environ[SKIP_BROWSER] = reason


def ensure_interop() -> None:
    """Build or refresh the interop tests' environments, unless ``WORKBENCH_SKIP_INTEROP`` is set.

    A venv that cannot be built stops the run with the reason: these tests are part of the suite,
    and a person may skip them, by choice, with ``WORKBENCH_SKIP_INTEROP=<reason>``.
    """
    reason = os.environ.get(SKIP_INTEROP)
    if reason:
        print(f"skipping the interop tests ({SKIP_INTEROP}): {reason}", flush=True)
        return
    for name in INTEROP_ENVS:
        ensure_interop_env(name)


def ensure_interop_env(name: str) -> None:
    """``.interop/NAME`` from ``tests/interop/requirements-NAME.txt``, rebuilt from scratch when
    that file changes (a stamp holds its hash, as for .venv).

    llama-cpp-python has no wheel on PyPI for Linux: pip compiles it (6 to 10 minutes on 2 cores)
    once, and its wheel cache makes every later build of the same version take seconds.
    """
    requirements = INTEROP_REQUIREMENTS / f"requirements-{name}.txt"
    where = INTEROP / name
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    stamp = where / ".workbench-installed"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and python.exists():
        return
    shown = f"{where.relative_to(ROOT)} from {requirements.relative_to(ROOT)}"
    print(f"building {shown} (for the interop tests)", flush=True)
    started = time.monotonic()
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        run(*pip, "-r", str(requirements))
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            f"the interop tests need {shown}, which could not be built: {exc}. Fix that (the"
            f" output above says why), or set {SKIP_INTEROP}=<reason> to skip those tests."
        )
    stamp.write_text(digest)
    print(f"built {where.relative_to(ROOT)} in {time.monotonic() - started:.0f} s", flush=True)


def run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True)


def test(extra: list[str]) -> None:
    """Lint, check the layering, run the test suite, check the notebooks with nbval, and check
    that the Binder requirements install and run the notebooks. Arguments (``-k name``, a test
    path) run only pytest with them."""
    ensure_env()
    if extra:
        ensure_chromium()
        ensure_interop()
        run(str(PY), "-m", "pytest", *extra)
        return
    run(str(BIN / "ruff"), "check", ".")
    run(str(BIN / "ruff"), "format", "--check", ".")
    run(str(BIN / "lint-imports"))
    run(str(BIN / "mypy"))
    ensure_chromium()
    ensure_interop()
    run(str(PY), "-m", "pytest")
    check_notebooks(PY)
    check_binder()


def notebook_env(home: Path) -> dict[str, str]:
    """An environment for checking the notebooks offline: no key, no base URL, no proxy, the
    conversation log in a scratch folder, and the local model unpaced (in a kernel it streams at
    40 tokens/s for people to watch, which made the check about 45 s longer; the saved outputs
    do not depend on the pace)."""
    dropped = ("OPENAI_", "WORKBENCH_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    env["WORKBENCH_LOG"] = str(home / "log.sqlite3")
    env["WORKBENCH_LOCAL_TOKENS_PER_SECOND"] = "0"
    return env


def check_notebooks(python: Path) -> None:
    """Every notebook, top to bottom, against its stored outputs (nbval; no --nbval-lax)."""
    with tempfile.TemporaryDirectory(prefix="workbench-nbval-") as scratch:
        command = [str(python), "-m", "pytest", "--nbval", "notebooks", "-p", "no:cacheprovider"]
        command += ["--nbval-sanitize-with", "notebooks/sanitize.cfg"]
        print("+", " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env=notebook_env(Path(scratch)), check=True)


def check_binder() -> None:
    """binder/requirements.txt installs into a fresh virtual environment, and the notebooks run
    there (executed top to bottom with nbclient, as Binder's JupyterLab would)."""
    with tempfile.TemporaryDirectory(prefix="workbench-binder-") as scratch:
        where = Path(scratch)
        print(f"checking binder/requirements.txt in a fresh venv ({where})", flush=True)
        venv.EnvBuilder(with_pip=True).create(where / "venv")
        bin_dir = where / "venv" / ("Scripts" if os.name == "nt" else "bin")
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        run(*pip, "-q", "-r", "binder/requirements.txt")
        env = notebook_env(where)
        for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
            command = [str(bin_dir / "jupyter"), "nbconvert", "--to", "notebook", "--execute"]
            command += ["--output-dir", str(where / "out"), str(notebook)]
            print("+", " ".join(command), flush=True)
            subprocess.run(command, cwd=ROOT / "notebooks", env=env, check=True)


def start(extra: list[str]) -> None:
    """The main job: JupyterLab on notebooks/quickstart.ipynb, on 127.0.0.1 (the local model
    answers unless OPENAI_API_KEY or OPENAI_BASE_URL is set). Extra arguments go to JupyterLab
    (``--port 8899``, ``--no-browser``)."""
    ensure_env()
    write_lab_settings()
    lab = [str(BIN / "jupyter"), "lab", "notebooks/quickstart.ipynb", "--ServerApp.ip=127.0.0.1"]
    lab.append("--LabApp.news_url=None")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lab.append("--allow-root")  # a container or a CI machine: Lab refuses root otherwise
    run(*lab, *extra)


def write_lab_settings() -> None:
    """JupyterLab's settings for this environment only (``.venv/share/jupyter/lab/settings``)."""
    folder = VENV / "share" / "jupyter" / "lab" / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_SETTINGS, indent=2) + "\n")


TASKS = {"test": test, "start": start}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 dev.py {{{','.join(TASKS)}}} [args...]")
    try:
        TASKS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
