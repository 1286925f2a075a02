"""Grades in the grid's live view: a mark per grader in each graded cell as it ends, the judges'
reasoning in an opened cell, pass counts and judge cost in the summary, the text fallback; and
grid.js in Chromium in the light, dark and high-contrast themes and at a narrow width.
"""

from __future__ import annotations

from typing import Any

import pytest

from workbench import Grid
from workbench.evals import Grade
from workbench.widgets._grid_view import GridTable, grid_text

from ._browser import artifacts_dir
from ._contrast import AA, CONTRAST, theme_css
from ._frontend import Bridge
from ._graders import Contains, Failing
from ._grid import local_client
from ._widgets import front_end, recorded
from .test_grid_view import Clock, GridFinished, GridStarted, ScriptedGrid
from .test_grid_view_cells import Result

pytestmark = pytest.mark.usefixtures("recording_comm")

REASONING = "The answer names Paris, the capital of France, and nothing else.\n" * 3


def _graded(grid: ScriptedGrid, index: int, text: str, grades: dict[str, Grade]) -> None:
    """Run cell ``index`` to its end with ``grades`` (set before it ends, as the grid does)."""
    cell = grid.cells[index]
    cell.grades = grades  # type: ignore[attr-defined]
    cell.cost_usd = 0.001
    grid.run_cell(cell, text)


def _table() -> tuple[ScriptedGrid, GridTable]:
    grid = ScriptedGrid(["Capital of France?", "Capital of Peru?"], ["model-a", "model-b"])
    return grid, GridTable(grid, clock=Clock())


def _script(grid: ScriptedGrid) -> None:
    """Four cells end: graded (pass, pass), (fail, failed grade), (pass, labelled fail), and
    one that failed and has no grades."""
    grid.emit(GridStarted(grid))
    _graded(grid, 0, "Paris.", {
        "exact": Grade(score=1.0, passed=True),
        "judge": Grade(score=0.9, passed=True, reasoning=REASONING, runs=(1.0, 0.8),
                       spread=0.1, agreement=1.0, cost_usd=0.0002),
    })  # fmt: skip
    grid.cells[0].judge_cost_usd = 0.0002  # type: ignore[attr-defined]
    _graded(grid, 1, "Lyon, I think.", {
        "exact": Grade(score=0.0, passed=False),
        "judge": Grade.failed("ValueError: the judge's reply is not JSON"),
    })  # fmt: skip
    _graded(grid, 2, "Lima.", {
        "exact": Grade(score=1.0, passed=True),
        "judge": Grade(score=0.2, passed=False, label="wrong", reasoning="Too short."),
    })  # fmt: skip
    grid.run_cell(grid.cells[3], error="rate limited")  # failed: no grades


def test_grades_travel_with_the_cell_end_and_the_reasoning_with_the_opened_cell() -> None:
    grid, table = _table()
    _script(grid)
    comm = recorded(table)
    ends = [m["content"] for m in comm.messages if m.get("content", {}).get("type") == "end"]
    assert ends[0]["grades"] == [
        {"name": "exact", "score": 1.0, "passed": True, "label": None, "error": ""},
        {"name": "judge", "score": 0.9, "passed": True, "label": None, "error": ""},
    ]
    assert "reasoning" not in str(ends), "the table never holds reasoning"
    assert ends[1]["grades"][1]["error"] == "ValueError: the judge's reply is not JSON"
    assert "grades" not in ends[3]
    front_end(table, {"action": "text", "i": 0})
    (full,) = [m["content"] for m in comm.messages if m.get("content", {}).get("type") == "full"]
    assert full["grades"][1]["reasoning"] == REASONING
    assert (full["grades"][1]["spread"], full["grades"][1]["agreement"]) == (0.1, 1.0)
    grid.emit(GridFinished(Result(1.0)))
    assert table.summary["passes"] == {"exact": [2, 3], "judge": [1, 2]}
    assert table.summary["judge_cost_usd"] == 0.0002
    assert "judge" in grid_text(grid) and "[exact 1 pass, judge 0.9 pass]" in grid_text(grid)
    assert "[exact 0 fail, judge failed]" in grid_text(grid)
    assert "judge wrong fail" in grid_text(grid)


def test_a_real_grid_sends_its_grades_to_the_view() -> None:
    grid = Grid(
        "Capital of {city}?",
        vars=[{"city": "France", "expected": "France"}],
        client=local_client()[0],
        graders=[Contains(), Failing()],
    )
    table = GridTable(grid, clock=Clock())
    grid.run(display=False)
    cells = table.cells
    nothing = {"score": None, "passed": None, "label": None}
    assert cells[0]["grades"] == [
        {"name": "contains", "score": 1.0, "passed": True, "label": None, "error": ""},
        {"name": "failing", **nothing, "error": "no verdict today"},
    ]
    assert table.summary["passes"] == {"contains": [1, 1]}


MARKS = """() => [...document.querySelectorAll('.wbg-cell')].map((c) =>
  [...c.querySelectorAll('.wbg-grade')].map((m) => [m.dataset.verdict, m.textContent]))"""


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark", "dark-high-contrast"])
def test_marks_verdicts_and_summary_in_the_browser(page: Any, theme: str) -> None:
    grid, table = _table()
    bridge = Bridge(page, table)
    page.add_style_tag(content=theme_css(theme))
    _script(grid)
    bridge.forward()
    assert page.evaluate(MARKS) == [
        [["pass", "✓ exact 1"], ["pass", "✓ judge 0.9"]],
        [["fail", "✗ exact 0"], ["error", "! judge failed"]],
        [["pass", "✓ exact 1"], ["fail", "✗ judge wrong"]],
        [],
    ]
    failed = page.locator(".wbg-cell[data-i='1'] .wbg-grade").nth(1)
    assert failed.get_attribute("title") == "ValueError: the judge's reply is not JSON"
    assert page.locator(".wbg-cell[data-i='3'] .wbg-grades").is_hidden()
    # A short reply opens too, to show its verdicts: the reasoning comes with the whole text.
    page.click(".wbg-cell[data-i='0'] .wbg-text")
    assert bridge.pump() == [{"action": "text", "i": 0}]
    verdicts = page.locator(".wbg-cell[data-i='0'] .wbg-verdicts")
    assert verdicts.is_visible()
    assert verdicts.locator(".wbg-verdict-head").all_text_contents() == [
        "✓ exact 1",
        "✓ judge 0.9 · spread 0.10 · agreement 100%",
    ]
    why = verdicts.locator(".wbg-verdict-why").first.text_content()
    assert why == REASONING
    page.click(".wbg-cell[data-i='1'] .wbg-text")
    bridge.pump()
    second = page.locator(".wbg-cell[data-i='1'] .wbg-verdict-why").all_text_contents()
    assert second == ["ValueError: the judge's reply is not JSON"]
    page.click(".wbg-cell[data-i='0'] .wbg-text")  # closed: the verdicts go with the text
    assert verdicts.is_hidden()
    page.click(".wbg-cell[data-i='0'] .wbg-text")
    assert verdicts.is_visible() and bridge.pump() == [], "asked once"
    grid.emit(GridFinished(Result(1.5)))
    bridge.forward()
    summary = str(page.locator(".wbg-counts").text_content())
    assert summary.endswith(
        "1 error · $0.0032 (judges $0.0002) · 1.5 s · exact 2/3 passed · judge 1/2 passed"
    ), summary
    page.mouse.move(0, 0)
    texts = page.evaluate(CONTRAST, ".wbg-grid")
    assert len(texts) > 12 and not [t for t in texts if t["ratio"] < AA]
    path = artifacts_dir() / f"grid-grades-{theme}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".wbg-grid").screenshot(path=str(path))
    if theme == "dark":
        page.set_viewport_size({"width": 420, "height": 900})
        page.wait_for_timeout(50)
        marks = page.locator(".wbg-cell[data-i='0'] .wbg-grade").evaluate_all(
            "ms => ms.map((m) => m.getBoundingClientRect().width)"
        )
        assert all(w > 20 for w in marks)
        page.locator(".wbg-grid").screenshot(path=str(artifacts_dir() / "grid-grades-narrow.png"))
