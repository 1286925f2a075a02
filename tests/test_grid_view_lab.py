"""The grid's live view in JupyterLab (headless Chromium): a real grid run on the local model,
its end state, an opened cell, the contrast of every text it draws in the light and dark
themes (from computed styles), and a narrow notebook. Screenshots go to ``artifacts_dir()``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from . import test_browser
from ._browser import KERNEL_DISPLAY_NAME, LabServer, artifacts_dir
from ._contrast import AA, CONTRAST

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

lab = test_browser.lab  # the fixtures: a private Lab server, a page of a fresh Chromium
page = test_browser.page

NOTEBOOK = "grid.ipynb"
LONG_PROMPT = "Compare these two options in detail. " + "Keep the answer short. " * 20
CELLS = [
    "import workbench\nimport workbench.widgets",
    "grid = workbench.Grid(\n"
    f"    ['Say hi', 'Tell me three facts about tide pools.', {LONG_PROMPT!r}],\n"
    "    models=['workbench-local', 'workbench-local-terse'],\n"
    "    repeats=2,\n"
    ")\n"
    "result = grid.run()",
]

ENDED = "() => document.querySelector('.wbg-bar')?.dataset.ended === 'true'"
CLAMPED = """() => [...document.querySelectorAll('.wbg-text')].filter(
  (t) => getComputedStyle(t).webkitLineClamp === '3' && t.scrollHeight > t.clientHeight + 4
).length"""


def _shot(page: Page, name: str) -> Path:
    path = artifacts_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".wbg-grid").scroll_into_view_if_needed()
    page.locator(".wbg-grid").screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def _check_contrast(page: Page) -> list[dict[str, Any]]:
    texts = page.evaluate(CONTRAST, ".wbg-grid")
    assert len(texts) > 20, texts  # labels, headers, the summary, every cell's text
    low = [t for t in texts if t["ratio"] < AA]
    assert not low, low
    return texts


def _dark_theme(page: Page) -> None:
    page.locator("#jp-MainMenu").get_by_text("Settings", exact=True).click()
    menu = page.locator("li.lm-Menu-item")
    menu.filter(has_text=re.compile(r"^\s*Theme\s*$")).hover()
    menu.filter(has_text=re.compile(r"^\s*JupyterLab Dark\s*$")).click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")


def test_the_grid_view_in_jupyterlab_light_dark_and_narrow(lab: LabServer, page: Page) -> None:
    log = test_browser.BrowserLog(page)
    lab.write_notebook(NOTEBOOK, CELLS)
    with test_browser._reported(page, lab, log, "failure-grid-view.png"):
        page.goto(lab.lab_url(NOTEBOOK))
        status = page.locator("#jp-main-statusbar").get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle")
        status.wait_for(state="visible", timeout=60_000)
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        page.wait_for_function(ENDED, timeout=60_000)

        # The end: a summary in place of the progress bar, no Stop; repeats labelled.
        assert page.locator(".wbg-stop").is_hidden() and page.locator(".wbg-progress").is_hidden()
        summary = str(page.locator(".wbg-counts").text_content())
        assert re.fullmatch(r"12 cells ended: 12 done · cost unknown · \d+(\.\d)? s", summary)
        assert page.locator(".wbg-repeat").all_text_contents() == ["#1", "#2"] * 6
        assert page.evaluate(CLAMPED) >= 6, "the cells show the start of each reply"

        # The long reply (692 characters, over the 400 the table holds) opens whole, and closes.
        text = page.locator(".wbg-cell").nth(10).locator(".wbg-text")
        closed = text.evaluate("t => t.clientHeight")
        text.click()
        page.wait_for_function(
            "(t) => t.textContent.length > 450 && !t.textContent.endsWith('…')",
            arg=text.element_handle(),
        )
        assert text.evaluate("t => t.clientHeight") > 3 * closed
        text.press("Enter")
        assert text.get_attribute("aria-expanded") == "false"
        assert text.evaluate("t => t.clientHeight") == closed
        page.locator(".wbg-cell").nth(2).locator(".wbg-text").click()  # one open in the shots

        page.mouse.move(0, 0)  # no hover in the shots
        light = _check_contrast(page)
        _shot(page, "grid-light.png")
        _dark_theme(page)
        header = page.locator(".wbg-col").first.evaluate("h => getComputedStyle(h).backgroundColor")
        assert header == "rgb(66, 66, 66)", "the header takes the dark theme's --jp-layout-color2"
        dark = _check_contrast(page)
        _shot(page, "grid-dark.png")
        print("lowest contrast, light:", min(t["ratio"] for t in light))
        print("lowest contrast, dark:", min(t["ratio"] for t in dark))

        # A narrow notebook: the columns keep their width and the table scrolls sideways; the
        # prompts' column gets slimmer (a container query) and stays in view.
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.set_viewport_size({"width": 520, "height": 1100})
        scroller = page.locator(".wbg-scroll")
        page.wait_for_function(
            "() => { const s = document.querySelector('.wbg-scroll');"
            " return s.scrollWidth > s.clientWidth + 20; }"
        )
        widths = page.locator(".wbg-col").evaluate_all(
            "hs => hs.map((h) => h.getBoundingClientRect().width)"
        )
        em = float(scroller.evaluate("s => parseFloat(getComputedStyle(s).fontSize)"))
        assert min(widths) >= 12 * em, widths
        prompts = page.locator(".wbg-row").first
        assert prompts.evaluate("r => r.getBoundingClientRect().width") <= 8 * em
        scroller.evaluate("s => { s.scrollLeft = 120; }")
        left = scroller.evaluate("s => s.getBoundingClientRect().left")
        assert abs(prompts.evaluate("r => r.getBoundingClientRect().left") - left) < 3
        _shot(page, "grid-narrow-dark.png")

        # The cell's conversation still opens below the table.
        page.set_viewport_size({"width": 1280, "height": 1100})
        cell = page.locator(".wbg-cell").nth(0)
        cell.hover()
        cell.locator(".wbg-chat").click()
        page.locator(".wb-widget .wb-role-user").first.wait_for(state="visible")
        assert "Say hi" in str(page.locator(".wb-widget .wb-transcript").text_content())
        assert not log.widget_errors(), log


API_CELLS = [
    "import workbench\nimport workbench.widgets",
    "grid = workbench.Grid(\n"
    "    ['Say hi', 'Tell me three facts about tide pools.'],\n"
    "    models=['workbench-local', 'workbench-local-terse'],\n"
    "    apis=['chat', 'responses'],\n"
    ")\n"
    "result = grid.run()",
]


def _contrast_ok(page: Page) -> None:
    texts = page.evaluate(CONTRAST, ".wbg-grid")
    assert len(texts) > 12, texts  # the headers, the labels, the summary, every cell's text
    assert not [t for t in texts if t["ratio"] < AA]


def test_a_grid_across_both_apis_names_the_api_in_its_columns(lab: LabServer, page: Page) -> None:
    log = test_browser.BrowserLog(page)
    lab.write_notebook("grid-apis.ipynb", API_CELLS)
    with test_browser._reported(page, lab, log, "failure-grid-apis.png"):
        page.goto(lab.lab_url("grid-apis.ipynb"))
        status = page.locator("#jp-main-statusbar").get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle")
        status.wait_for(state="visible", timeout=60_000)
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        page.wait_for_function(ENDED, timeout=60_000)
        assert page.locator(".wbg-col").all_text_contents() == [
            "workbench-local · chat",
            "workbench-local · responses",
            "workbench-local-terse · chat",
            "workbench-local-terse · responses",
        ]
        summary = str(page.locator(".wbg-counts").text_content())
        assert summary.startswith("8 cells ended: 8 done"), summary
        page.mouse.move(0, 0)
        _contrast_ok(page)
        _shot(page, "grid-apis-light.png")
        _dark_theme(page)
        _contrast_ok(page)
        _shot(page, "grid-apis-dark.png")
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.set_viewport_size({"width": 520, "height": 1100})
        page.wait_for_function(
            "() => { const s = document.querySelector('.wbg-scroll');"
            " return s.scrollWidth > s.clientWidth + 20; }"
        )
        _shot(page, "grid-apis-narrow-dark.png")
        assert not log.widget_errors(), log
