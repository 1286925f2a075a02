"""A batch run's live view in JupyterLab (headless Chromium): a grid run with ``batch=True`` on
the in-process local model, its batch held ``in_progress`` (a clock the test releases) while the
bar is read and photographed in the light and dark themes and in a narrow notebook, then its end.
Screenshots go to ``artifacts_dir()``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from . import test_browser
from ._browser import LabServer, open_and_run_all, switch_theme
from ._contrast import AA, CONTRAST
from .test_grid_view_lab import ENDED, _shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

lab = test_browser.lab
page = test_browser.page

# The local model's batch clock: wall time, held at HOLD simulated seconds after the start
# until the test writes the file ``release`` (then far ahead: every line due at once). With a
# line every 2 s after 0.25 s of validating, the held batch has answered one line of six (the
# second is due at 4.25 s; the batch is created well within the first second).
CELLS = [
    "import time\nfrom pathlib import Path\n\nimport workbench\nimport workbench.widgets\n"
    "from workbench.local import BatchTiming, LocalModel",
    "HOLD = 3.5\n"
    "start = time.time()\n\n"
    "def held_clock():\n"
    "    elapsed = time.time() - start\n"
    "    return start + (elapsed + 1000 if Path('release').exists() else min(elapsed, HOLD))\n\n"
    "timing = BatchTiming(seconds_per_request=2, clock=held_clock)\n"
    "client = workbench.AsyncClient(local=LocalModel(batch_timing=timing))\n"
    "grid = workbench.Grid(\n"
    "    ['Name the colour of a ripe {fruit}.', 'Say where {fruit} trees grow.'],\n"
    "    vars=[{'fruit': 'apple'}, {'fruit': 'mango'}, {'fruit': 'lime'}],\n"
    "    client=client,\n"
    "    log=Path('batches.sqlite3'),\n"
    ")\n"
    "result = grid.run(batch=True, poll_interval=0.02)",
    "result.counts, len(result.batch_ids)",
]

COUNTS = "() => document.querySelector('.wbg-counts')?.textContent || ''"
# Whether the bar's text lies whole inside the bar and the cell's output (not clipped).
BAR_FITS = """() => {
  const bar = document.querySelector('.wbg-bar').getBoundingClientRect();
  const text = document.querySelector('.wbg-counts');
  const box = text.getBoundingClientRect();
  const area = text.closest('.jp-OutputArea-output').getBoundingClientRect();
  return {
    inside: box.left >= bar.left - 1 && box.right <= bar.right + 1 && box.bottom <= bar.bottom + 1,
    inArea: box.right <= area.right + 1,
    overflows: text.scrollWidth > text.clientWidth + 1,
  };
}"""


def _bar_contrast(page: Page) -> float:
    """The lowest contrast of the texts the view draws, the bar's among them."""
    texts: list[dict[str, Any]] = page.evaluate(CONTRAST, ".wbg-grid")
    assert any("batches:" in t["text"] for t in texts), texts
    low = [t for t in texts if t["ratio"] < AA]
    assert not low, low
    return min(t["ratio"] for t in texts if "batches:" in t["text"])


def test_a_batch_run_in_jupyterlab_light_dark_and_narrow(lab: LabServer, page: Page) -> None:
    log = test_browser.BrowserLog(page)
    lab.write_notebook("batch.ipynb", CELLS)
    with test_browser._reported(page, lab, log, "failure-batch-view.png"):
        open_and_run_all(page, lab, "batch.ipynb")
        # The batch at its hold: it has run one of its six lines (validating, then 0/6 first).
        page.wait_for_function(f"() => ({COUNTS})().includes('1/6 requests')", timeout=60_000)
        held = str(page.evaluate(COUNTS))
        assert held == "0/6 cells · batches: 1 in_progress · 1/6 requests", held
        meter = page.locator(".wbg-progress").evaluate("m => [m.value, m.max]")
        assert meter == [1, 6], "the meter follows the batch's requests"
        page.mouse.move(0, 0)
        print("held, light:", held, "contrast", _bar_contrast(page))
        _shot(page, "batch-running-light.png")
        switch_theme(page, "JupyterLab Dark")
        print("held, dark: contrast", _bar_contrast(page))
        _shot(page, "batch-running-dark.png")

        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.set_viewport_size({"width": 520, "height": 1100})
        page.wait_for_function(
            "() => document.querySelector('.wbg-bar').getBoundingClientRect().width < 500"
        )
        fits = page.evaluate(BAR_FITS)
        print("held, narrow:", fits)
        assert fits["inside"] and fits["inArea"] and not fits["overflows"], fits
        assert str(page.evaluate(COUNTS)) == held, "the status holds while the clock does"
        _shot(page, "batch-running-narrow-dark.png")

        (lab.root_dir / "release").write_text("", encoding="utf-8")
        page.wait_for_function(ENDED, timeout=60_000)
        summary = str(page.evaluate(COUNTS))
        print("ended:", summary)
        assert re.fullmatch(r"6 cells ended: 6 done · cost unknown · \d+(\.\d)? s", summary)
        statuses = page.locator(".wbg-cell").evaluate_all("cs => cs.map((c) => c.dataset.status)")
        assert statuses == ["done"] * 6, statuses
        fits = page.evaluate(BAR_FITS)
        assert fits["inside"] and fits["inArea"] and not fits["overflows"], fits
        _shot(page, "batch-ended-narrow-dark.png")
        page.set_viewport_size({"width": 1280, "height": 1100})
        _bar_contrast_end(page)
        _shot(page, "batch-ended-dark.png")
        switch_theme(page, "JupyterLab Light")
        _bar_contrast_end(page)
        _shot(page, "batch-ended-light.png")
        assert not log.widget_errors(), log


def _bar_contrast_end(page: Page) -> None:
    texts: list[dict[str, Any]] = page.evaluate(CONTRAST, ".wbg-grid")
    assert any(t["text"].startswith("6 cells ended") for t in texts), texts
    assert not [t for t in texts if t["ratio"] < AA]
