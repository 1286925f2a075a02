"""dev.py, the two set-up commands: where Chromium cannot be installed the browser tests are
skipped with the reason (never silently), and ``start`` turns JupyterLab's news prompt off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dev

ROOT = Path(__file__).resolve().parents[1]
CHOSEN = os.environ.get(dev.SKIP_BROWSER)  # a person's own choice, before any test ran


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dev, "CHROMIUM", tmp_path / "no-chromium")
    # Set, then removed: the monkeypatch restores the variable as it was (unset) afterwards, so
    # what ensure_chromium sets does not leak into the rest of the suite.
    monkeypatch.setenv(dev.SKIP_BROWSER, "")
    monkeypatch.delenv(dev.SKIP_BROWSER)
    ran: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *args: ran.append(args))


def test_without_apt_the_browser_tests_are_skipped_with_the_reason(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: None)
    dev.ensure_chromium()
    reason = os.environ[dev.SKIP_BROWSER]
    assert "apt-get was not found" in reason and "chromium" in reason
    assert reason in capsys.readouterr().out


def test_without_root_or_sudo_the_browser_tests_are_skipped_with_the_reason(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: "/usr/bin/apt-get" * (name == "apt-get"))
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)
    dev.ensure_chromium()
    assert "sudo was not found" in os.environ[dev.SKIP_BROWSER]


def test_with_apt_chromium_is_installed_not_skipped(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *args: calls.append(args))
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    with pytest.raises(SystemExit, match="still missing"):  # the fake apt-get installs nothing
        dev.ensure_chromium()
    assert [c[-1] for c in calls] == ["update", "chromium"]
    assert dev.SKIP_BROWSER not in os.environ


def pytest_with_skip(variable: str, reason: str, *modules: str) -> str:
    """pytest on these modules with ``variable`` set to ``reason``: its output, after checking
    that each test was skipped with the reason."""
    command = [sys.executable, "-m", "pytest", *modules, "-rs", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, variable: reason},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "SKIPPED" in done.stdout and reason in done.stdout
    assert " passed" not in done.stdout.splitlines()[-1], "every test there is one to skip"
    return done.stdout


def test_a_skipped_browser_test_shows_its_reason_in_the_summary() -> None:
    reason = "no apt-get on this machine"
    pytest_with_skip(dev.SKIP_BROWSER, reason, "tests/test_widget_frontend.py")


def test_the_skip_does_not_leak_into_other_tests() -> None:
    assert os.environ.get(dev.SKIP_BROWSER) == CHOSEN  # runs after the tests above set it


def test_start_turns_off_the_news_prompt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dev, "VENV", tmp_path / "venv")
    monkeypatch.setattr(dev, "BIN", tmp_path / "venv" / "bin")
    monkeypatch.setattr(dev, "ensure_env", lambda: None)
    ran: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *args: ran.append(args))
    dev.start(["--port", "8899", "--no-browser"])
    (command,) = ran
    assert command[-2:] == ("8899", "--no-browser") and "--LabApp.news_url=None" in command
    assert "notebooks/quickstart.ipynb" in command
    written = tmp_path / "venv/share/jupyter/lab/settings/overrides.json"
    notification = json.loads(written.read_text())["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}


@pytest.fixture
def interop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, ...]]:
    """``.interop`` in a scratch folder, a venv that is only its python, pip recorded."""
    monkeypatch.setattr(dev, "INTEROP", tmp_path / ".interop")
    monkeypatch.delenv(dev.SKIP_INTEROP, raising=False)

    class FakeBuilder:
        def __init__(self, **options: object) -> None:
            assert options == {"with_pip": True, "clear": True}

        def create(self, where: Path) -> None:
            (where / "bin").mkdir(parents=True, exist_ok=True)
            (where / "bin" / "python").write_text("")

    monkeypatch.setattr(dev.venv, "EnvBuilder", FakeBuilder)
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    for name in dev.INTEROP_ENVS:
        (requirements / f"requirements-{name}.txt").write_text(f"{name}==1\n")
    monkeypatch.setattr(dev, "INTEROP_REQUIREMENTS", requirements)
    ran: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *args: ran.append(args))
    return ran


def test_the_interop_venvs_are_built_once_from_their_requirements(
    interop: list[tuple[str, ...]],
) -> None:
    requirements = dev.INTEROP_REQUIREMENTS
    dev.ensure_interop()
    assert [c[-1] for c in interop] == [
        str(requirements / f"requirements-{name}.txt") for name in dev.INTEROP_ENVS
    ]
    dev.ensure_interop()  # stamped: nothing to do
    assert len(interop) == len(dev.INTEROP_ENVS)
    (requirements / "requirements-llama.txt").write_text("llama==2\n")
    dev.ensure_interop()  # that file changed: that venv again
    assert interop[-1][-1].endswith("requirements-llama.txt") and len(interop) == 3


def test_an_interop_venv_that_cannot_be_built_stops_the_run(
    interop: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: str) -> None:
        raise subprocess.CalledProcessError(1, args)

    monkeypatch.setattr(dev, "run", fail)
    with pytest.raises(SystemExit, match=f"could not be built.*{dev.SKIP_INTEROP}=<reason>"):
        dev.ensure_interop()


def test_skipped_interop_tests_show_the_reason_in_the_summary() -> None:
    modules = ["tests/test_interop_llama.py", "tests/test_interop_litellm.py"]
    pytest_with_skip(dev.SKIP_INTEROP, "no compiler on this machine", *modules)


def test_skipping_the_interop_tests_builds_nothing(
    interop: list[tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(dev.SKIP_INTEROP, "no compiler here")
    dev.ensure_interop()
    assert interop == [] and "no compiler here" in capsys.readouterr().out


def test_the_interop_requirements_are_pinned() -> None:
    """Every line names one exact version: what was found to work is what gets installed."""
    for name in dev.INTEROP_ENVS:
        lines = (dev.INTEROP_REQUIREMENTS / f"requirements-{name}.txt").read_text().splitlines()
        pins = [line for line in lines if line and not line.startswith("#")]
        assert len(pins) > 10 and all("==" in line for line in pins), name
