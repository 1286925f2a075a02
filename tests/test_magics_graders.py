"""``%%grid --graders VAR --judge-repeats N`` in a real ``InteractiveShell``, on the local model:
the cells are graded as a grid run grades them, and a bad grader is one ``UsageError`` line."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests import test_magics
from tests.test_magics import error_of, run

shell = test_magics.shell  # that fixture: the extension loaded, a clean namespace, no log

ROWS = [{"city": "Oslo", "expected": "Oslo"}, {"city": "Lima", "expected": "Lima"}]
EXACT = {
    "type": "string_check",
    "name": "mentions",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.expected }}",
    "operation": "ilike",
}
JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "workbench-local",
    "input": [{"role": "user", "content": "Is {{ sample.output_text }} about {{ item.city }}?"}],
    "range": [0, 1],
    "pass_threshold": 0.5,
}


@pytest.fixture
def ip(shell: InteractiveShell) -> InteractiveShell:
    """The shell with the rows in ``rows``."""
    shell.user_ns["rows"] = ROWS
    return shell


def failure(ip: InteractiveShell, source: str) -> BaseException | None:
    return error_of(run(ip, source))


def long_enough(text: str) -> bool:
    return len(text.split()) >= 3


def test_a_list_of_graders_grades_each_cell_and_the_judge_repeats(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["checks"] = [EXACT, long_enough, JUDGE]
    source = "%%grid --vars rows --graders checks --judge-repeats 3\nWrite about {city}."
    assert failure(ip, source) is None
    grid, result = ip.user_ns["grid"], ip.user_ns["grid_result"]
    assert grid.judge_repeats == 3 and result.counts == {"done": 2}
    for cell in grid.cells:
        assert list(cell.grades) == ["mentions", "long_enough", "judge"]
        assert len(cell.grades["judge"].runs) == 3, "the judge asked three times"
        assert all(grade.error is None for grade in cell.grades.values())
    out = capsys.readouterr().out
    assert "[mentions " in out and ", judge " in out, "the grades in the text table"
    frame = result.to_dataframe()
    assert {"mentions_pass", "long_enough", "judge_reasoning", "judge_agreement"} <= set(frame)
    assert set(result.summary()["mentions_pass_rate"]) <= {0.0, 0.5, 1.0}


def test_one_grader_alone_or_a_comma_list_of_variables(ip: InteractiveShell) -> None:
    ip.user_ns.update(exact=EXACT, words=long_enough)
    assert failure(ip, "%%grid --vars rows --graders words\nWrite about {city}.") is None
    assert [list(c.grades) for c in ip.user_ns["grid"].cells] == [["long_enough"]] * 2
    assert failure(ip, "%%grid --vars rows --graders exact,words\nSay {city}.") is None
    grades = ip.user_ns["grid"].cells[0].grades
    assert list(grades) == ["mentions", "long_enough"] and grades["mentions"].passed is not None


@pytest.mark.parametrize(
    ("namespace", "line", "expected"),
    [
        ({}, "--graders nowhere", "--graders nowhere: no such variable"),
        ({"checks": [EXACT]}, "--graders checks,gone", "--graders gone: no such variable"),
        ({"checks": [42]}, "--graders checks", "graders[0]"),
        ({"checks": [{**EXACT, "reference": "{{ item.answer }}"}]}, "--graders checks", "answer"),
        ({"checks": [{**EXACT, "type": "guess"}]}, "--graders checks", "guess"),
        ({"checks": [JUDGE]}, "--graders checks --judge-repeats 0", "judge_repeats"),
    ],
)
def test_a_bad_grader_is_one_line_and_nothing_runs(
    ip: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    namespace: dict[str, Any],
    line: str,
    expected: str,
) -> None:
    ip.user_ns.update(namespace)
    error = failure(ip, f"%%grid --vars rows {line}\nWrite about {{city}}.")
    assert isinstance(error, UsageError) and expected in str(error)
    assert "grid_result" not in ip.user_ns and "grid" not in ip.user_ns
    err = capsys.readouterr().err
    assert "Traceback" not in err and len([x for x in err.splitlines() if x.strip()]) == 1
