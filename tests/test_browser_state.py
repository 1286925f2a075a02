"""The widget in JupyterLab follows changes made from code, and shows how a reply ended.

Python cells switch a branch, cut a reply at the token limit, undo it, set the system prompt
and clear the conversation; after each the page (headless Chromium) must show what the
conversation holds: the "1/2" label and the reply of that version, the cut reply's mark, the
transcript without it, the system box, an empty transcript. The protocol switch follows
``chat.api`` set in a cell, and sets it from the page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import _browser
from ._browser import LabServer
from ._contrast import AA, CONTRAST
from .test_browser import BrowserLog, _cell, _output, _reported

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NOTEBOOK = "state.ipynb"
CELLS = [
    "import workbench\n"
    "import workbench.widgets\n"
    "chat = workbench.Conversation(temperature=1.5)\n"
    "chat.send('hello')\n"
    "chat.send('Tell me about tide pools')\n"
    "first = chat.messages[-1]\n"
    "second = chat.regenerate()\n"
    "print('ids:', first.id, second.id)\n"
    "chat",
    "",  # the test types each change from code here
]
CODE_CELL = 1
MARK = ".wb-widget .wb-ending"
# What the page shows of the transcript: each entry's id and branch label.
SHOWN = """() => [...document.querySelectorAll('.wb-widget .wb-transcript .wb-entry')].map((e) => ({
  id: e.dataset.id,
  branch: (e.querySelector('.wb-branch')?.innerText || '').replace(/[<>\\s]+/g, ' ').trim(),
}))"""


def _run(page: Page, code: str, done: str) -> None:
    """Replace the code cell's text with ``code``, run it and wait for its output ``done``."""
    editor = _cell(page, CODE_CELL).locator(".jp-InputArea-editor")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{code}\nprint({done!r})")
    page.keyboard.press("Control+Enter")
    expect(_output(page, CODE_CELL)).to_contain_text(done, timeout=30_000)


def _entries(page: Page, count: int) -> list[dict[str, str]]:
    page.wait_for_function(
        f"() => document.querySelectorAll('.wb-widget .wb-transcript .wb-entry').length === {count}"
        " && !document.querySelector('.wb-widget .wb-entry-streaming')",
        timeout=30_000,
    )
    shown: list[dict[str, str]] = page.evaluate(SHOWN)
    return shown


def _mark_contrast(page: Page) -> list[float]:
    """The contrast of every text of the ending marks (WCAG, from computed styles)."""
    return [found["ratio"] for found in page.evaluate(CONTRAST, MARK)]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabServer]:
    with LabServer(tmp_path) as server:
        server.write_notebook(NOTEBOOK, CELLS)
        yield server


@pytest.fixture
def page(lab: LabServer, tmp_path: Path) -> Iterator[Page]:
    with _browser.lab_page(lab, tmp_path / "chromium-profile") as page:
        yield page


def _shot(page: Page, name: str) -> None:
    """A screenshot of the widget with its transcript scrolled to the end."""
    page.evaluate(
        "() => { const t = document.querySelector('.wb-widget .wb-transcript');"
        " t.scrollTop = t.scrollHeight; }"
    )
    _browser.widget_screenshot(page, name)


def test_changes_from_code_and_a_cut_reply_show_in_jupyterlab(lab: LabServer, page: Page) -> None:
    started = time.monotonic()
    log = BrowserLog(page)
    with _reported(page, lab, log, "failure-state.png"):
        _browser.open_and_run_all(page, lab, NOTEBOOK)
        page.locator(".wb-widget").wait_for(state="visible", timeout=60_000)
        expect(_output(page, 0)).to_contain_text("ids:", timeout=60_000)
        found = re.search(r"ids: (\S+) (\S+)", _output(page, 0).inner_text())
        assert found is not None
        first, second = found.groups()
        widget = page.locator(".wb-widget")

        shown = _entries(page, 4)
        assert shown[-1] == {"id": second, "branch": "2/2"}, shown

        _run(page, "chat.switch(3, 0)", "switched")
        shown = _entries(page, 4)
        assert shown[-1] == {"id": first, "branch": "1/2"}, shown

        _run(page, "chat.params.max_completion_tokens = 3\nchat.send('Tell me a story')", "cut")
        mark = widget.locator(".wb-entry").last.locator(".wb-ending-length")
        expect(mark).to_contain_text("cut short: the reply reached the token limit of 3 tokens")
        assert min(_mark_contrast(page)) >= AA, _mark_contrast(page)
        _shot(page, "widget-cut-reply-light.png")
        page.set_viewport_size({"width": 560, "height": 1100})
        _shot(page, "widget-cut-reply-narrow.png")
        page.set_viewport_size({"width": 1280, "height": 1100})
        _browser.switch_theme(page, "JupyterLab Dark")
        page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=10_000)
        _shot(page, "widget-cut-reply-dark.png")
        assert min(_mark_contrast(page)) >= AA, _mark_contrast(page)  # dark too
        assert (_browser.artifacts_dir() / "widget-cut-reply-dark.png").exists()

        # The case: every token of the limit went to reasoning, no text at all.
        reasoning = "chat.send('Tell me a story', model='workbench-local-reasoning')"
        _run(page, reasoning, "reasoned")
        mark = widget.locator(".wb-entry").last.locator(".wb-ending-length")
        expect(mark).to_contain_text("no answer: the token limit of 3 tokens was spent on")
        expect(mark).to_contain_text("raise max_completion_tokens")
        _shot(page, "widget-reasoning-only-dark.png")
        _browser.switch_theme(page, "JupyterLab Dark High Contrast")
        page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=10_000)
        assert min(_mark_contrast(page)) >= AA, _mark_contrast(page)
        _shot(page, "widget-endings-high-contrast.png")

        _run(page, "chat.undo()\nchat.undo()", "undone")
        shown = _entries(page, 4)
        assert shown[-1] == {"id": first, "branch": "1/2"}, shown
        assert widget.locator(".wb-ending").count() == 0

        _run(page, "chat.system = 'Answer in one line.'", "system set")
        expect(widget.locator(".wb-system")).to_have_value("Answer in one line.")

        _run(page, "chat.clear()", "cleared")
        assert _entries(page, 0) == []

        assert not log.dialogs, log
        assert not log.widget_errors(), log
        print(f"browser state test: {time.monotonic() - started:.1f} s")


# -- the protocol switch (chat.api) ---------------------------------------------------------------
# chat.api set in a cell redraws the widget's switch and marks seed (no equivalent in the
# Responses API); the switch set in the page sets chat.api in the kernel; a turn sent from the
# page with seed set under Responses is refused beside the seed, its text kept in the box; the
# marked field keeps its contrast in light and dark themes.

API_NOTEBOOK = "api.ipynb"
API_CELLS = [
    "import workbench\n"
    "import workbench.widgets\n"
    "chat = workbench.Conversation(seed=1)\n"
    "print('ready')\n"
    "chat",
    "",  # the test types each change from code here
]
SEED = ".wb-widget label.wb-field:has(.wb-param-seed)"
MARKED = re.compile(r"\bwb-unmapped\b")


def _seed_contrast(page: Page) -> float:
    return min(found["ratio"] for found in page.evaluate(CONTRAST, SEED))


def test_the_api_switch_follows_code_and_the_page_in_jupyterlab(lab: LabServer, page: Page) -> None:
    log = BrowserLog(page)
    with _reported(page, lab, log, "failure-api.png"):
        lab.write_notebook(API_NOTEBOOK, API_CELLS)
        _browser.open_and_run_all(page, lab, API_NOTEBOOK)
        page.locator(".wb-widget").wait_for(state="visible", timeout=60_000)
        expect(_output(page, 0)).to_contain_text("ready", timeout=60_000)
        switch = page.locator(".wb-widget select.wb-api")
        seed = page.locator(SEED)
        expect(switch).to_have_value("auto")  # the default; the local model takes chat
        expect(seed).not_to_have_class(MARKED)

        _run(page, "chat.api = 'responses'", "api set")
        expect(switch).to_have_value("responses")
        expect(seed).to_have_class(MARKED)
        assert (seed.get_attribute("title") or "").startswith("not sent under the Responses")
        assert _seed_contrast(page) >= AA
        _browser.widget_screenshot(page, "widget-api-lab-light.png")
        _browser.switch_theme(page, "JupyterLab Dark")
        page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=10_000)
        assert _seed_contrast(page) >= AA
        _browser.widget_screenshot(page, "widget-api-lab-dark.png")

        page.locator(".wb-widget .wb-input").fill("Hello")
        page.locator(".wb-widget .wb-send").click()
        error = seed.locator(".wb-field-error")
        expect(error).to_contain_text("no equivalent in the Responses API")
        expect(page.locator(".wb-widget .wb-input")).to_have_value("Hello")  # not lost
        _browser.widget_screenshot(page, "widget-api-lab-refused.png")

        switch.select_option("chat")
        expect(seed).not_to_have_class(MARKED)
        expect(error).to_have_count(0)
        _run(page, "print('api:', chat.api, len(chat.messages))", "read")
        expect(_output(page, 1)).to_contain_text("api: chat 0")
        assert not log.widget_errors(), log
