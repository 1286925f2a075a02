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
from ._browser import LabServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK = "theme.ipynb"
CELLS = [
    "import workbench, workbench.widgets\n"
    f"{_browser.GET_WEATHER}\n"
    "chat = workbench.Conversation(tools=[get_weather], seed=1)\n"
    'chat.send("What\'s the weather in Paris?")\n'
    "chat.params.model = 'workbench-local-reasoning'  # a thinking block, then code\n"
    "chat.send('Show me some Python code')\n"
    "workbench.widgets.widget(chat)",
]
THEMES = ("JupyterLab Light", "JupyterLab Dark", "JupyterLab Dark High Contrast")
AA = 4.5

# Every element of the widget that draws text (its own text nodes, or a form control's value or
# placeholder) and is visible and not disabled: its text colour and effective background,
# composited through the alpha of colours and the opacity of the element and its ancestors, and
# the contrast ratio.
CONTRAST = """(minimum) => {
  const root = document.querySelector('.wb-widget');
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (!a) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg[3] > 0) layers.push(bg);
      if (bg && bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas under a page with no background at all
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacity = (el) => {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      o *= Number(getComputedStyle(node).opacity);
    }
    return o;
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const name = (el) => el.tagName.toLowerCase()
    + (el.className && typeof el.className === 'string'
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const checked = [], failed = [];
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || !el.getClientRects().length) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) continue;
    const alpha = opacity(el);
    if (alpha === 0) continue;  // not drawn (the actions of an entry not hovered nor focused)
    if (el.matches(':disabled')) continue;  // WCAG 1.4.3 exempts inactive controls
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    const texts = [];
    if (own.length) texts.push([style.color, own.map((n) => n.textContent).join('').trim()]);
    if ((el.tagName === 'INPUT' && !['range', 'checkbox', 'radio'].includes(el.type))
        || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
      if (el.value) texts.push([style.color, el.value]);
      else if (el.placeholder) {
        texts.push([getComputedStyle(el, '::placeholder').color, el.placeholder]);
      }
    }
    const bg = background(el);
    for (const [colour, text] of texts) {
      const fg = parse(colour);
      const drawn = over([fg[0], fg[1], fg[2], fg[3] * alpha], bg);
      const r = ratio(drawn, bg);
      const row = {element: name(el), text: text.slice(0, 40), colour,
                   background: bg.map(Math.round).join(','), ratio: Math.round(r * 100) / 100};
      checked.push(row);
      if (r < minimum) failed.push(row);
    }
  }
  return {checked: checked.length, elements: [...new Set(checked.map((c) => c.element))], failed};
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = LabServer(tmp_path_factory.mktemp("lab"))
    try:
        server.start()
        server.write_notebook(NOTEBOOK, CELLS)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(lab: LabServer) -> Iterator[Page]:
    """JupyterLab with the notebook run: a widget with a finished turn that called a tool."""
    with _browser.lab_page(lab, lab.home / "chromium-profile") as page:
        _browser.open_and_run_all(page, lab, NOTEBOOK)
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
    result: dict[str, Any] = page.evaluate(CONTRAST, AA)
    slug = theme.lower().replace("jupyterlab ", "").replace(" ", "-")
    _shot(page, f"widget-{slug}.png")
    # A value the validator refuses: its message is text the widget draws too.
    page.locator(".wb-widget .wb-param-max_completion_tokens").evaluate(
        "e => { e.value = '-5'; e.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    page.wait_for_function("document.querySelector('.wb-widget .wb-error-line').textContent")
    with_error: dict[str, Any] = page.evaluate(CONTRAST, AA)
    page.locator(".wb-widget .wb-param-max_completion_tokens").evaluate(
        "e => { e.value = ''; e.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    names = set(result["elements"]) | set(with_error["elements"])
    # What must have been measured: the tool call, the copy-as-code panel, the thinking block,
    # an error, labels, buttons.
    needed_texts = ("wb-tool-name", "wb-code-snippet", "wb-field-name", "wb-copy", "wb-footer",
                    "wb-thinking-text", "wb-role", "wb-error-line")  # fmt: skip
    for needed in needed_texts:
        assert any(needed in n for n in names), (needed, sorted(names))
    failed = result["failed"] + [f for f in with_error["failed"] if f not in result["failed"]]
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
