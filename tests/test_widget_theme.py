"""The conversation widget's theme and layout in JupyterLab (headless Chromium): text contrast
measured from computed styles in every theme Lab ships, the layout at a narrow notebook, and the
per-message actions shown on hover and on keyboard focus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from . import _browser
from ._contrast import AA, CONTRAST

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK = "theme.ipynb"
CELLS = [
    "import workbench, workbench.widgets\n"
    f"{_browser.GET_WEATHER}\n"
    "chat = workbench.Conversation(tools=[get_weather], seed=1)\n"
    'chat.send("What\'s the weather in Paris?")\n'
    "chat.params.model = 'workbench-local-reasoning'  # a thinking block, then code\n"
    "chat.send('Show me some Python code')\n"
    "chat.regenerate()  # the seed is fixed: the same reply, and a note that says why\n"
    "workbench.widgets.widget(chat)",
]
THEMES = ("JupyterLab Light", "JupyterLab Dark", "JupyterLab Dark High Contrast")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """JupyterLab with the notebook run: a widget with a finished turn that called a tool."""
    with _browser.notebook_in_lab(tmp_path_factory.mktemp("lab"), NOTEBOOK, CELLS) as page:
        page.locator(".wb-widget .wb-tool-call").wait_for(state="visible", timeout=90_000)
        yield page


def _theme(page: Page, theme: str) -> None:
    _browser.switch_theme(page, theme)
    page.wait_for_timeout(300)  # the theme's style sheet applied


def _open_code_panel(page: Page) -> None:
    widget = page.locator(".wb-widget")
    if widget.locator(".wb-code-panel").is_hidden():
        widget.locator(".wb-code-button").click()
        widget.locator(".wb-code-panel .wb-code-snippet").wait_for(state="visible")


def _shot(page: Page, name: str) -> Path:
    """The widget's screenshot (docs/widget-*.png are copies, looked at)."""
    return _browser.widget_screenshot(page, name)


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_of_the_widget_has_aa_contrast(page: Page, theme: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1100})
    _theme(page, theme)
    _open_code_panel(page)
    thinking = page.locator(".wb-widget details.wb-thinking")
    if not thinking.evaluate("d => d.open"):
        thinking.locator("summary").click()
    page.mouse.move(1, 1)
    page.locator(".wb-widget .wb-entry-assistant .wb-copy").last.focus()  # its actions shown
    result: list[dict[str, Any]] = page.evaluate(CONTRAST, ".wb-widget")
    slug = theme.lower().replace("jupyterlab ", "").replace(" ", "-")
    _shot(page, f"widget-{slug}.png")
    # A value the validator refuses: its message is text the widget draws too.
    page.locator(".wb-widget .wb-param-max_completion_tokens").evaluate(
        "e => { e.value = '-5'; e.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    page.wait_for_function("document.querySelector('.wb-widget .wb-field-error')")
    with_error: list[dict[str, Any]] = page.evaluate(CONTRAST, ".wb-widget")
    page.locator(".wb-widget .wb-param-max_completion_tokens").evaluate(
        "e => { e.value = ''; e.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    names = {row["element"] for row in result + with_error}
    # What must have been measured: the tool call (its name, status, time and labels), the
    # copy-as-code panel, the thinking block, an error beside its field, labels, buttons, the
    # same-seed note.
    needed_texts = ("wb-tool-name", "wb-tool-state", "wb-tool-time", "wb-tool-label",
                    "wb-code-snippet", "wb-field-name", "wb-copy", "wb-footer",
                    "wb-thinking-text", "wb-role", "wb-field-error", "wb-same-seed")  # fmt: skip
    for needed in needed_texts:
        assert any(needed in n for n in names), (needed, sorted(names))
    failed = [row for row in result if row["ratio"] < AA]
    failed += [row for row in with_error if row["ratio"] < AA and row not in failed]
    assert failed == [], "\n".join(
        f"{f['element']} {f['text']!r}: {f['ratio']}:1 ({f['colour']} on rgb({f['background']}))"
        for f in failed
    )


# Where the transcript and the parameters are, and how wide the transcript is.
LAYOUT = """() => {
  const box = (s) => document.querySelector(`.wb-widget ${s}`).getBoundingClientRect();
  const widget = box(''), transcript = box('.wb-transcript'), settings = box('.wb-settings');
  return {widget: widget.width, transcript: transcript.width,
          below: settings.top >= transcript.bottom, beside: settings.left >= transcript.right};
}"""

# For each shown branch switcher: whether it keeps clear of its message's role label.
CLEAR_OF_LABELS = """() => [...document.querySelectorAll('.wb-widget .wb-entry')]
  .filter((e) => e.querySelector('.wb-branch') && e.querySelector('.wb-role'))
  .map((e) => {
    const a = e.querySelector('.wb-actions').getBoundingClientRect();
    const r = e.querySelector('.wb-role').getBoundingClientRect();
    const label = document.createRange();
    label.selectNodeContents(e.querySelector('.wb-role'));
    const text = label.getBoundingClientRect();
    return a.left >= text.right || a.top >= r.bottom || a.bottom <= r.top;
  })"""


def test_parameters_go_below_the_transcript_when_the_widget_is_narrow(page: Page) -> None:
    _theme(page, "JupyterLab Light")
    close = page.locator(".wb-widget .wb-code-close")
    if close.is_visible():
        close.click()  # a shorter widget for the screenshot
    page.set_viewport_size({"width": 1280, "height": 1100})
    wide = page.evaluate(LAYOUT)
    assert wide["beside"] and not wide["below"], wide

    # A narrow window: the notebook, and so the widget, is narrow.
    page.set_viewport_size({"width": 600, "height": 1600})  # tall: the whole widget in view
    page.wait_for_timeout(300)
    narrow = page.evaluate(LAYOUT)
    assert narrow["widget"] < 600 and narrow["below"], narrow
    assert narrow["transcript"] >= 0.95 * narrow["widget"], narrow
    page.mouse.move(1, 1)
    switchers = page.evaluate(CLEAR_OF_LABELS)
    assert switchers and all(clear for clear in switchers), switchers
    _shot(page, "widget-narrow.png")

    # The layout follows the widget, not the window: a wide window, a narrow output.
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.locator(".wb-widget").evaluate("e => { e.parentElement.style.width = '480px'; }")
    try:
        squeezed = page.evaluate(LAYOUT)
        assert squeezed["below"] and squeezed["transcript"] >= 0.95 * squeezed["widget"], squeezed
    finally:
        page.locator(".wb-widget").evaluate("e => { e.parentElement.style.width = ''; }")
    assert page.evaluate(LAYOUT)["beside"]


# The drawn opacity of an element: its own times its ancestors'.
OPACITY = """(el) => {
  let o = 1;
  for (let node = el; node; node = node.parentElement) o *= Number(getComputedStyle(node).opacity);
  return o;
}"""


def test_message_actions_show_on_hover_and_on_keyboard_focus(page: Page) -> None:
    _theme(page, "JupyterLab Light")
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.mouse.move(1, 1)
    page.locator(".wb-widget .wb-code-button").focus()
    entries = page.locator(".wb-widget .wb-transcript .wb-entry")
    first_copy = entries.first.locator(".wb-actions .wb-copy")
    last_copy = entries.last.locator(".wb-actions .wb-copy")
    assert first_copy.evaluate(OPACITY) == 0 and last_copy.evaluate(OPACITY) == 0

    entries.last.hover()
    assert last_copy.evaluate(OPACITY) == 1 and first_copy.evaluate(OPACITY) == 0
    page.mouse.move(1, 1)
    assert last_copy.evaluate(OPACITY) == 0

    # Tab from the header reaches the first message's Copy, which then shows, and Enter on it
    # copies (the button answers "Copied", or "Copy failed" where the page may not copy).
    page.locator(".wb-widget .wb-code-button").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.wb-actions button')"):
            break
    focused = page.evaluate_handle("document.activeElement")
    assert page.evaluate("document.activeElement.classList.contains('wb-copy')")
    assert page.evaluate(OPACITY, focused) == 1
    assert first_copy.evaluate(OPACITY) == 1 and last_copy.evaluate(OPACITY) == 0
    page.keyboard.press("Enter")
    page.wait_for_function("['Copied', 'Copy failed'].includes(document.activeElement.textContent)")
    _shot(page, "actions-focused.png")
