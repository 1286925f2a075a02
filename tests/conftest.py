"""Shared test fixtures: no real network, no API keys, and where the recorded data lives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
"""Recorded streams and responses and the reduced OpenAPI spec (provenance in its README)."""
SPEC_PATH = FIXTURES / "openai-chat-completions.openapi.json"
RESPONSES_SPEC_PATH = FIXTURES / "openai-responses.openapi.json"
"""The Responses paths of the spec, reduced the same way."""
FILES_BATCHES_SPEC_PATH = FIXTURES / "openai-files-batches.openapi.json"
"""The Files and Batches paths of the spec, reduced the same way."""


SKIP_BROWSER = "WORKBENCH_SKIP_BROWSER"
"""Set to a reason, the tests marked ``browser`` are skipped with it: ``python3 dev.py test``
sets it where Chromium cannot be installed (no apt-get, no root or sudo), and a person may set
it."""
SKIP_INTEROP = "WORKBENCH_SKIP_INTEROP"
"""Set to a reason, the tests marked ``interop`` (real servers, from the ``.interop/`` venvs that
``python3 dev.py test`` builds) are skipped with it; only a person sets it."""
SKIPPABLE = {"browser": SKIP_BROWSER, "interop": SKIP_INTEROP}
"""Each marker and the variable that skips its tests: the only ways a test of this suite is
skipped, each with its reason in pytest's summary."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, variable in SKIPPABLE.items():
        reason = os.environ.get(variable)
        if not reason:
            continue
        skip = pytest.mark.skip(reason=f"{variable}: {reason}")
        for item in items:
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_real_requests(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test away from real keys, real servers, proxies and the user's own log; the
    default local model unpaced, even where a test plays a Jupyter kernel (it is made once per
    process, so a paced one would slow every later test)."""
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "workbench-log.sqlite3"))
    monkeypatch.setenv("WORKBENCH_LOCAL_TOKENS_PER_SECOND", "0")
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "WORKBENCH_RECORD",
        "WORKBENCH_REPLAY",
        "WORKBENCH_RECORD_MISSING",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widgets talk to a comm that records what they send (see ``tests/_widgets.py``)."""
    import comm

    from tests._widgets import RecordingComm

    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright, once per module."""
    from tests._browser import CHROMIUM, CHROMIUM_FLAGS

    if os.environ.get(SKIP_BROWSER):
        pytest.skip(f"{SKIP_BROWSER}: {os.environ[SKIP_BROWSER]}")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `python3 dev.py test` installs Debian's chromium (or set"
            f" {SKIP_BROWSER}=<reason> to skip the browser tests)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any page error, console error or dialog."""
    page = browser.new_page()
    page.set_default_timeout(5000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    yield page
    page.close()
    assert errors == [], errors
