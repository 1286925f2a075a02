"""JupyterLab and headless Chromium for the real-browser test: a private Lab server, a notebook."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"
# What the environment of Lab, its kernels and Chromium must not inherit: real keys and servers
# (the kernel must use the offline local model), proxies, and the user's own Jupyter set-up.
_DROPPED_PREFIXES = ("OPENAI_", "JUPYTER_", "JPY_")
_DROPPED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}


# A tool for the notebooks' conversations (the local model calls it for a question on weather).
GET_WEATHER = (
    "def get_weather(city: str) -> dict:\n"
    '    """Get the current weather for a city.\n'
    "\n"
    "    Args:\n"
    "        city: the city's name.\n"
    '    """\n'
    '    return {"city": city, "temperature_c": 21, "sky": "sunny"}'
)


@contextlib.contextmanager
def notebook_in_lab(folder: Path, notebook: str, cells: list[str]) -> Iterator[Any]:
    """A page of a private Lab server (in ``folder``) with ``notebook``, written from
    ``cells``, open and run; the page closes and the server stops after."""
    server = LabServer(folder)
    try:
        server.start()
        server.write_notebook(notebook, cells)
        with lab_page(server, server.home / "chromium-profile") as page:
            open_and_run_all(page, server, notebook)
            yield page
    finally:
        server.stop()


@contextlib.contextmanager
def lab_page(lab: LabServer, profile: Path) -> Iterator[Any]:
    """A page of a fresh headless Chromium with the Lab server's environment (its private
    ``HOME``: Chromium writes there), closed before the server stops."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `python3 dev.py test` installs Debian's chromium package"
    )
    env: dict[str, str | float | bool] = dict(lab.env)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            env=env,
            viewport={"width": 1280, "height": 1100},
        )
        try:
            context.set_default_timeout(30_000)
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def open_and_run_all(page: Any, lab: LabServer, notebook: str) -> None:
    """Open ``notebook`` in Lab and run all its cells once its kernel is there."""
    page.goto(lab.lab_url(notebook))
    # The toolbar's indicator says idle before the kernel exists; the status bar waits for it.
    status = page.locator("#jp-main-statusbar").get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle")
    status.wait_for(state="visible", timeout=60_000)
    page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()


def switch_theme(page: Any, theme: str) -> None:
    """Choose one of JupyterLab's themes (``JupyterLab Dark``, ...) from its Settings menu."""
    page.locator("#jp-MainMenu").get_by_text("Settings", exact=True).click()
    menu = page.locator("li.lm-Menu-item")
    menu.filter(has_text=re.compile(r"^\s*Theme\s*$")).hover()
    menu.filter(has_text=re.compile(rf"^\s*{re.escape(theme)}\s*$")).click()
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=theme, timeout=15_000
    )


def artifacts_dir() -> Path:
    """Where screenshots go: ``$WORKBENCH_ARTIFACTS/browser`` (default ``.artifacts/browser``)."""
    base = os.environ.get("WORKBENCH_ARTIFACTS") or str(ROOT / ".artifacts")
    return Path(base) / "browser"


def widget_screenshot(page: Any, name: str) -> Path:
    """A screenshot of the page's widget, saved as ``name`` in ``artifacts_dir()``."""
    path = artifacts_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".wb-widget").screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment with a private ``HOME`` and Jupyter folders under it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
    }
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    return env


def notebook(cells: list[str]) -> dict[str, Any]:
    """A version-4 notebook of code cells for the ``python3`` kernel."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": KERNEL_DISPLAY_NAME},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """``jupyter lab`` on a free loopback port with a token, a private ``HOME`` and a kernel that
    runs this interpreter; ``stop()`` shuts it down with its kernels, whatever state it is in."""

    def __init__(self, workdir: Path) -> None:
        self.home = workdir / "home"
        self.root_dir = workdir / "notebooks"
        self.log_path = workdir / "jupyter-lab.log"
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = isolated_env(self.home)
        self._proc: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
            trust_env=False,
        )

    def start(self, timeout: float = 60) -> None:
        self.root_dir.mkdir(parents=True)
        self._write_kernelspec()
        self._write_settings()
        args = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",  # no PyPI queries from the extension manager
            "--KernelSpecManager.ensure_native_kernel=False",
        ]
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                args,
                env=self.env,
                cwd=self.root_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kernels included in a last kill
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited ({self._proc.returncode}):\n{self.log()}")
            try:
                if self._http.get("/api/status").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log()}")

    def _write_kernelspec(self) -> None:
        """``python3`` runs this very interpreter (the project's venv), found before any other."""
        spec_dir = Path(self.env["JUPYTER_DATA_DIR"]) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": KERNEL_DISPLAY_NAME,
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")

    def _write_settings(self) -> None:
        """No news or update toast over the page."""
        settings = Path(self.env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings"
        path = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        path = self.root_dir / name
        path.write_text(json.dumps(notebook(cells), indent=1), encoding="utf-8")
        return path

    def lab_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]
        except OSError:
            return ""

    def __enter__(self) -> LabServer:
        """Start the server (``with LabServer(dir) as lab:`` stops it at the end, however)."""
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Delete the sessions (their kernels stop), ask the server to shut down, and kill what
        is left of its process group."""
        proc, self._proc = self._proc, None
        try:
            if proc is None:
                return
            if proc.poll() is None:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    for session in self._http.get("/api/sessions").json():
                        self._http.delete(f"/api/sessions/{session['id']}")
                    self._http.post("/api/shutdown")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=15)
            # Kernels live in the server's process group; nothing of it may outlive the test.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            self._http.close()
