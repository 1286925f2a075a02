"""A graded grid in JupyterLab (headless Chromium): a dataset with an ``expected`` column, a
Python grader and a model judge (the local model, asked twice) graded live; the marks in every
cell, an opened cell's reasoning, the summary's passes, in the light and dark themes and in a
narrow notebook. Screenshots go to ``artifacts_dir()``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from . import test_browser
from ._browser import KERNEL_DISPLAY_NAME, LabServer
from ._contrast import AA, CONTRAST
from .test_grid_view_lab import ENDED, _dark_theme, _shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

lab = test_browser.lab
page = test_browser.page

JUDGE = '''
import json
from workbench.evals import Grade, Grader

class Judge(Grader):
    """Asks the local model for {"score", "reasoning"}; passes at 0.5."""

    name, uses_model, pass_threshold = "judge", True, 0.5
    schema = {"type": "json_schema", "json_schema": {"name": "grade", "strict": True, "schema": {
        "type": "object", "additionalProperties": False, "required": ["score", "reasoning"],
        "properties": {"score": {"type": "number"}, "reasoning": {"type": "string"}}}}}

    def judge_requests(self):
        return [("workbench-local", 100)]

    async def grade(self, sample, item, context):
        runs, why = [], None
        for _ in range(context.judge_repeats):
            reply = await context.judge("workbench-local", [
                {"role": "user", "content": f"Grade: {sample.output_text}"}
            ], response_format=self.schema)
            verdict = json.loads(reply.text)
            runs.append(min(1.0, float(verdict["score"]) / 10))
            why = why or f"The judge said: {verdict['reasoning']}"
        mean = sum(runs) / len(runs)
        return Grade(score=mean, passed=mean >= 0.5, reasoning=why, runs=tuple(runs),
                     spread=0.0, agreement=1.0)
'''

CELLS = [
    "import workbench\nimport workbench.widgets",
    JUDGE,
    "def names_it(output, cell):\n    return cell.vars['expected'] in output\n\n"
    "grid = workbench.Grid(\n"
    "    'What is the capital of {country}?',\n"
    "    vars=[{'country': 'France', 'expected': 'France'},"
    " {'country': 'Peru', 'expected': 'Lima'}],\n"
    "    models=['workbench-local', 'workbench-local-terse'],\n"
    "    graders=[names_it, Judge()],\n"
    "    judge_repeats=2,\n"
    ")\n"
    "result = grid.run()",
    "result.summary()[['model', 'names_it_pass_rate', 'judge_mean']]",
]

MARKS = """() => [...document.querySelectorAll('.wbg-cell')].map((c) =>
  [...c.querySelectorAll('.wbg-grade')].map((m) => m.dataset.verdict + ' ' + m.textContent))"""


def test_a_graded_grid_in_jupyterlab_light_dark_and_narrow(lab: LabServer, page: Page) -> None:
    log = test_browser.BrowserLog(page)
    lab.write_notebook("graded.ipynb", CELLS)
    with test_browser._reported(page, lab, log, "failure-graded-grid.png"):
        page.goto(lab.lab_url("graded.ipynb"))
        status = page.locator("#jp-main-statusbar").get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle")
        status.wait_for(state="visible", timeout=60_000)
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        page.wait_for_function(ENDED, timeout=60_000)

        marks = page.evaluate(MARKS)
        assert len(marks) == 4 and all(len(m) == 2 for m in marks), marks
        # The replies quote the prompt: they name France, never Lima.
        names = [m[0] for m in marks]
        assert names == ["pass ✓ names_it 1"] * 2 + ["fail ✗ names_it 0"] * 2, names
        assert all(re.fullmatch(r"(pass ✓|fail ✗) judge [\d.]+", m[1]) for m in marks), marks
        summary = str(page.locator(".wbg-counts").text_content())
        assert re.search(r"4 cells ended: 4 done · cost unknown · [\d.]+ s · names_it 2/4", summary)

        text = page.locator(".wbg-cell").nth(0).locator(".wbg-text")
        text.click()
        why = page.locator(".wbg-cell").nth(0).locator(".wbg-verdict-why")
        why.first.wait_for(state="visible")
        assert why.last.text_content().startswith("The judge said: ")  # type: ignore[union-attr]
        page.mouse.move(0, 0)
        for theme in ("light", "dark"):
            if theme == "dark":
                _dark_theme(page)
            texts = page.evaluate(CONTRAST, ".wbg-grid")
            assert len(texts) > 12 and not [t for t in texts if t["ratio"] < AA]
            _shot(page, f"grid-graded-{theme}.png")
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.set_viewport_size({"width": 520, "height": 1100})
        page.wait_for_function(
            "() => { const s = document.querySelector('.wbg-scroll');"
            " return s.scrollWidth > s.clientWidth + 20; }"
        )
        _shot(page, "grid-graded-narrow-dark.png")
        assert not log.widget_errors(), log
