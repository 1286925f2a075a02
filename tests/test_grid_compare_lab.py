"""Two grid runs compared, and a regenerated reply's Diff, in a real JupyterLab (headless
Chromium): the comparison's HTML output and the widget's diff panel styled by Lab's own theme
variables, every text at least 4.5:1 in the light, dark and high-contrast themes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from . import _browser
from ._contrast import AA, CONTRAST
from .test_widget_theme import THEMES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK = "compare.ipynb"
CELLS = [
    "import workbench, workbench.widgets\n"
    "def short(output):\n"
    "    return len(output) < 215\n"
    "before = workbench.Grid(['Describe the sea', 'Say hi <b>there</b>'], models=['m1'],\n"
    "                        scorers={'short': short}).run(display=False)\n"
    "after = workbench.Grid(['Describe the sea in a line', 'Say hi <b>there</b>'],\n"
    "                       models=['m1'], scorers={'short': short}).run(display=False)\n"
    "before.compare(after)",
    "chat = workbench.Conversation(log=False)\n"
    "chat.send('Tell me a story about the sea')\n"
    "chat.regenerate()\n"
    "workbench.widgets.widget(chat)",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """JupyterLab with the notebook run, and the widget's Diff opened."""
    with _browser.notebook_in_lab(tmp_path_factory.mktemp("lab"), NOTEBOOK, CELLS) as page:
        page.locator(".wb-compare").wait_for(state="visible", timeout=90_000)
        reply = page.locator(".wb-widget .wb-entry-assistant").last
        reply.wait_for(state="visible", timeout=90_000)
        reply.hover()
        reply.locator(".wb-diff-button").click()
        page.locator(".wb-diff-panel").wait_for(state="visible")
        yield page


@pytest.mark.parametrize("theme", THEMES)
def test_the_comparison_and_the_diff_read_in_each_theme(page: Page, theme: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1100})
    _browser.switch_theme(page, theme)
    page.wait_for_timeout(300)  # the theme's style sheet applied
    page.mouse.move(1, 1)
    compare = page.locator(".wb-compare")
    assert "version" in str(compare.locator("p").first.text_content())
    rows = compare.locator("tbody tr")
    # The local model notes a request it has answered before: "Say hi" changed too.
    assert rows.count() == 2
    assert "pass -> fail" in str(rows.first.text_content())  # the longer reply, first
    assert rows.first.locator("del").count() and rows.first.locator("ins").count()
    assert compare.locator("tbody b").count() == 0  # the prompt's <b> stays text
    aligned = compare.locator("td").first.evaluate("n => getComputedStyle(n).textAlign")
    assert aligned == "left"  # not Lab's right-aligned numbers tables
    panel = page.locator(".wb-diff-panel")
    assert panel.locator("del, ins").count() >= 2
    measured: list[dict[str, Any]] = page.evaluate(CONTRAST, ".wb-compare, .wb-diff-panel")
    names = " ".join(row["element"] for row in measured)
    for needed in ("del", "ins", "wb-compare-muted", "wb-diff-title", "th"):
        assert needed in names, (needed, names)
    failed = [row for row in measured if row["ratio"] < AA]
    assert failed == [], "\n".join(
        f"{f['element']} {f['text']!r}: {f['ratio']}:1 ({f['colour']} on rgb({f['background']}))"
        for f in failed
    )
    slug = theme.lower().replace("jupyterlab ", "").replace(" ", "-")
    folder = _browser.artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    compare.screenshot(path=str(folder / f"lab-compare-{slug}.png"))
    panel.screenshot(path=str(folder / f"lab-diff-{slug}.png"))
    if theme == THEMES[0]:
        page.set_viewport_size({"width": 600, "height": 1100})
        page.wait_for_timeout(300)
        compare.screenshot(path=str(folder / "lab-compare-narrow.png"))
        _browser.widget_screenshot(page, "lab-diff-narrow.png")
