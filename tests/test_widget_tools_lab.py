"""Tool calls, the response-format menu and errors in JupyterLab (headless Chromium).

A notebook runs two turns that call tools (one short result, one of 24 lines) and sets a pydantic
response format from code; the page must show each call labelled (status, time, "arguments",
"result"), the long result collapsed until opened, the menu naming the model, and an invalid
value's message beside its field, gone with the next action; every text of these with AA
contrast in the light and dark themes. Screenshots: docs/widget-tool-call.png and
docs/widget-error.png are copies of two of them, looked at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from . import _browser
from ._browser import LabServer
from ._contrast import AA, CONTRAST
from .test_browser import BrowserLog, _reported

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NOTEBOOK = "tools.ipynb"
FORECAST = (
    "def get_forecast(city: str) -> str:\n"
    '    """Get the hourly forecast for a city.\n'
    "\n"
    "    Args:\n"
    "        city: the city's name.\n"
    '    """\n'
    '    return "\\n".join(f"{h:02d}:00  sunny, {18 + h % 6} °C in {city}" for h in range(24))'
)
CELLS = [
    "import pydantic\n"
    "import workbench, workbench.widgets\n"
    f"{_browser.GET_WEATHER}\n"
    f"{FORECAST}\n"
    "class Trip(pydantic.BaseModel):\n"
    "    city: str\n"
    "    days: int\n"
    "chat = workbench.Conversation(tools=[get_weather, get_forecast], seed=1)\n"
    'chat.send("What\'s the weather in Paris?")\n'
    "chat.send('And the hourly forecast for Lyon?')\n"
    "chat.params.response_format = Trip\n"
    "workbench.widgets.widget(chat)",
]
CALLS = ".wb-widget .wb-tool-call"


@pytest.fixture
def lab_and_page(tmp_path: Path) -> Iterator[tuple[LabServer, Page]]:
    """JupyterLab with the notebook, and a page of Chromium (closed before Lab stops)."""
    with LabServer(tmp_path) as lab, _browser.lab_page(lab, tmp_path / "profile") as page:
        lab.write_notebook(NOTEBOOK, CELLS)
        yield lab, page


def _contrast(page: Page, selector: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = page.evaluate(CONTRAST, selector)
    assert rows, selector
    return [row for row in rows if row["ratio"] < AA]


def _show(page: Page, selector: str) -> None:
    """Scroll the transcript so that ``selector`` is at its top (for the screenshots)."""
    page.locator(selector).first.evaluate(
        "e => { const t = e.closest('.wb-transcript');"
        " t.scrollTop += e.getBoundingClientRect().top - t.getBoundingClientRect().top - 8; }"
    )


def _check_calls(page: Page) -> None:
    calls = page.locator(CALLS)
    expect(calls).to_have_count(2, timeout=60_000)
    first, second = calls.nth(0), calls.nth(1)
    expect(first.locator(".wb-tool-name")).to_have_text("get_weather")
    expect(first.locator(".wb-tool-state")).to_have_text("done")
    expect(first.locator(".wb-tool-time")).to_contain_text("took ")
    labels = first.locator(".wb-tool-label").all_inner_texts()
    assert [t.strip() for t in labels] == ["arguments", "result"], labels
    assert first.locator("details").count() == 0, "short parts are shown open"
    expect(first.locator(".wb-tool-result")).to_contain_text('"temperature_c": 21')

    long = second.locator("details.wb-tool-result")
    expect(long.locator("summary")).to_have_text("result (24 lines)")
    assert not long.evaluate("d => d.open")
    _show(page, ".wb-widget .wb-entry-assistant:has(details.wb-tool-result)")
    _browser.widget_screenshot(page, "widget-tool-call-collapsed-light.png")
    long.locator("summary").click()
    expect(long.locator(".wb-plain")).to_contain_text("23:00")
    _browser.widget_screenshot(page, "widget-tool-call-opened-light.png")


def test_tool_calls_the_format_menu_and_an_error_in_jupyterlab(
    lab_and_page: tuple[LabServer, Page],
) -> None:
    lab, page = lab_and_page
    started = time.monotonic()
    log = BrowserLog(page)
    with _reported(page, lab, log, "failure-tools.png"):
        _browser.open_and_run_all(page, lab, NOTEBOOK)
        page.locator(".wb-widget").wait_for(state="visible", timeout=60_000)
        _check_calls(page)

        kind = page.locator(".wb-widget .wb-response-format-kind")
        expect(kind).to_have_value("pydantic:Trip")
        shown = kind.evaluate("s => s.options[s.selectedIndex].textContent")
        assert shown == "pydantic: Trip"
        assert page.locator(".wb-widget .wb-schema-editor").is_hidden()

        _show(page, ".wb-widget .wb-entry-assistant:has(.wb-tool-call)")
        assert _contrast(page, CALLS) == []
        _browser.widget_screenshot(page, "widget-tool-call-light.png")

        # An invalid value: its message beside its field, not at the bottom.
        field = page.locator(".wb-widget .wb-param-max_completion_tokens")
        field.fill("-5")
        field.evaluate("e => e.dispatchEvent(new Event('change', {bubbles: true}))")
        note = page.locator(".wb-widget .wb-field:has(.wb-param-max_completion_tokens)")
        note = note.locator(".wb-field-error")
        expect(note).to_have_text("-5 is out of range (allowed: >= 1)")
        assert page.locator(".wb-widget .wb-error-line").is_hidden()
        assert _contrast(page, ".wb-widget .wb-field-error") == []
        _browser.widget_screenshot(page, "widget-error-light.png")
        page.set_viewport_size({"width": 600, "height": 1600})
        page.wait_for_timeout(300)
        _browser.widget_screenshot(page, "widget-error-narrow.png")
        _show(page, ".wb-widget .wb-entry-assistant:has(.wb-tool-call)")
        _browser.widget_screenshot(page, "widget-tool-call-narrow.png")
        page.set_viewport_size({"width": 1280, "height": 1100})

        _browser.switch_theme(page, "JupyterLab Dark")
        page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=10_000)
        page.wait_for_timeout(300)
        assert _contrast(page, CALLS) == []
        assert _contrast(page, ".wb-widget .wb-field-error") == []
        _browser.widget_screenshot(page, "widget-error-dark.png")
        _show(page, ".wb-widget .wb-entry-assistant:has(.wb-tool-call)")
        _browser.widget_screenshot(page, "widget-tool-call-dark.png")

        # The next action (here: Copy on a reply, whose text the kernel sends) takes it away.
        page.locator(".wb-widget .wb-entry-assistant .wb-copy").last.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".wb-widget .wb-field-error")).to_have_count(0)
        assert not log.dialogs, log
        assert not log.widget_errors(), log
        print(f"tools lab test: {time.monotonic() - started:.1f} s")
