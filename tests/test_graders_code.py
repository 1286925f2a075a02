"""OpenAI's ``python`` and ``multi`` graders, and model graders registered from outside.

Examples marked "guide" are from https://developers.openai.com/api/docs/guides/graders.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from workbench.evals import (
    Grade,
    Grader,
    GraderError,
    GradingContext,
    MultiGrader,
    PythonGrader,
    Sample,
    _registry,
    grader_from,
    register_grader_type,
)


def run(grader: Grader, sample: Sample | str, item: Mapping[str, Any] | None = None) -> Grade:
    sample = Sample(sample) if isinstance(sample, str) else sample
    return asyncio.run(grader.grade(sample, item or {}, GradingContext()))


def python(source: str, **extra: Any) -> Grader:
    return grader_from({"type": "python", "name": "code", "source": source, **extra})


# python


def test_the_guides_python_grader_examples() -> None:
    # guide, "Python graders": the smallest grader, and image_tag accepted.
    one = python("def grade(sample, item):\n    return 1.0", image_tag="2025-05-08")
    assert run(one, "anything") == Grade(score=1.0)
    # guide: the rapidfuzz grader; its score is our fuzzy_match metric's on the same pair.
    source = (
        "from rapidfuzz import fuzz, utils\n\n"
        "def grade(sample, item) -> float:\n"
        '    output_text = sample["output_text"]\n'
        '    reference_answer = item["reference_answer"]\n'
        "    return fuzz.WRatio(output_text, reference_answer,"
        " processor=utils.default_process) / 100.0\n"
    )
    item = {"reference_answer": "fuzzy wuzzy had no hair"}
    fuzzy = grader_from(
        {
            "type": "text_similarity",
            "evaluation_metric": "fuzzy_match",
            "input": "{{sample.output_text}}",
            "reference": "{{item.reference_answer}}",
            "pass_threshold": 0.5,
        }
    )
    expected = run(fuzzy, "fuzzy wuzzy was a bear", item).score
    assert run(python(source), "fuzzy wuzzy was a bear", item).score == expected
    assert expected is not None and 0 < expected < 1


def test_python_grader_sees_the_sample_and_the_row() -> None:
    source = (
        "def grade(sample, item):\n"
        "    assert sample['output_json'] == {'city': 'Paris'}\n"
        "    assert sample['output_tools'][0]['function']['name'] == 'f'\n"
        "    return float(sample['output_text'] == item['expected'])\n"
    )
    call = {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    sample = Sample("Paris", {"city": "Paris"}, (call,))
    grader = python(source, pass_threshold=1)
    assert run(grader, sample, {"expected": "Paris"}) == Grade(score=1.0, passed=True)
    assert run(grader, sample, {"expected": "Lyon"}) == Grade(score=0.0, passed=False)


def test_python_grader_runs_off_the_event_loop_thread() -> None:
    seen: list[int] = []
    grader = python("import threading\ndef grade(sample, item):\n    return threading.get_ident()")
    assert isinstance(grader, PythonGrader)

    async def main() -> Grade:
        seen.append(threading.get_ident())
        return await grader.grade(Sample(""), {}, GradingContext())

    assert asyncio.run(main()).score != float(seen[0])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "    x = 1\n    return x / 0",
            "grade() raised at line 4: ZeroDivisionError: division by zero",
        ),
        ("    return 'high'", "grade() returned str, not a number"),
        ("    return None", "grade() returned NoneType, not a number"),
        ("    return float('nan')", "grade() returned NaN"),
    ],
)
def test_python_grade_that_fails_is_a_failed_grade(body: str, error: str) -> None:
    grader = python(f"import math\ndef grade(sample, item):\n{body}\n")
    assert run(grader, "x") == Grade.failed(error)


def test_python_grader_takes_ints_and_bools() -> None:
    assert run(python("def grade(s, i):\n    return 3"), "x").score == 3.0
    assert run(python("def grade(s, i):\n    return True"), "x").score == 1.0


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def grade(sample, item)\n    return 1", "graders[code]: 'source' line 1: expected ':'"),
        ("import no_such_module_here\n", "graders[code]: 'source' raised at line 1: "),
        ("def score(sample, item):\n    return 1", "graders[code]: 'source' defines no function"),
        ("grade = 1", "graders[code]: 'source' defines no function grade(sample, item)"),
        ("def grade(sample):\n    return 1", "graders[code]: grade must take two arguments"),
    ],
)
def test_python_source_is_checked_when_built(source: str, message: str) -> None:
    with pytest.raises(GraderError) as raised:
        python(source)
    assert str(raised.value).startswith(message), str(raised.value)


def test_python_definition_keys_are_checked() -> None:
    with pytest.raises(GraderError, match=r"graders\[code\]: python has no key 'sources'"):
        grader_from({"type": "python", "name": "code", "source": "", "sources": ""})
    with pytest.raises(GraderError, match=r"graders\[0\]: 'image_tag' must be a string, not int"):
        grader_from(
            {"type": "python", "source": "def grade(s, i): return 1", "image_tag": 5}, index=0
        )


# multi

GUIDE_MULTI = {
    # guide, "Multigraders": a fuzzy name and an exact email, averaged.
    "type": "multi",
    "graders": {
        "name": {
            "name": "name_grader",
            "type": "text_similarity",
            "input": "{{sample.output_json.name}}",
            "reference": "{{item.name}}",
            "evaluation_metric": "fuzzy_match",
            "pass_threshold": 0.9,
        },
        "email": {
            "name": "email_grader",
            "type": "string_check",
            "input": "{{sample.output_json.email}}",
            "reference": "{{item.email}}",
            "operation": "eq",
        },
    },
    "calculate_output": "(name + email) / 2",
}
ITEM = {"name": "John Doe", "email": "john.doe@gmail.com"}


def test_the_guides_multigrader_scores_as_it_says() -> None:
    # "samples with the wrong email score between 0 and 0.5, with the right email between
    # 0.5 and 1.0".
    grader = grader_from(GUIDE_MULTI)
    assert isinstance(grader, MultiGrader) and grader.references() == {"name", "email"}
    exact = Sample("", {"name": "John Doe", "email": "john.doe@gmail.com"})
    typo = Sample("", {"name": "Jon Doe", "email": "john.doe@gmail.com"})
    wrong = Sample("", {"name": "John Doe", "email": "jd@gmail.com"})
    assert run(grader, exact, ITEM).score == 1.0
    assert 0.5 < (run(grader, typo, ITEM).score or 0) < 1.0
    assert run(grader, wrong, ITEM).score == 0.5
    assert run(grader, exact, ITEM).passed is None  # no pass_threshold, no pass/fail


def test_the_guides_tool_call_multigrader() -> None:
    # guide, "Details on grading tool calls": name and arguments, each half the score.
    grader = grader_from(
        {
            "type": "multi",
            "graders": {
                "function_name": {
                    "name": "function_name",
                    "type": "string_check",
                    "input": "get_acceptors",
                    "reference": "{{sample.output_tools[0].function.name}}",
                    "operation": "eq",
                },
                "arguments": {
                    "name": "arguments",
                    "type": "string_check",
                    "input": '{"smiles": "{{item.smiles}}"}',
                    "reference": "{{sample.output_tools[0].function.arguments}}",
                    "operation": "eq",
                },
            },
            "calculate_output": "0.5 * function_name + 0.5 * arguments",
        }
    )

    def called(name: str, arguments: str) -> Sample:
        function = {"name": name, "arguments": arguments}
        return Sample("", None, ({"id": "1", "type": "function", "function": function},))

    item = {"smiles": "CCO"}
    assert run(grader, called("get_acceptors", '{"smiles": "CCO"}'), item).score == 1.0
    assert run(grader, called("get_donors", '{"smiles": "CCO"}'), item).score == 0.5
    assert run(grader, called("get_donors", '{"smiles": "C"}'), item).score == 0.0


def constant(score: float) -> dict[str, Any]:
    return {"type": "python", "source": f"def grade(s, i):\n    return {score}"}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # a = 0.25, b = 4, by hand.
        ("a + b", 4.25),
        ("b - a", 3.75),
        ("a * b", 1.0),
        ("a / b", 0.0625),
        ("b ^ 2", 16.0),
        ("2 * b ^ 2", 32.0),  # ^ binds tighter than *
        ("-b ^ 0.5", -2.0),  # and than unary minus
        ("min(a, b, 1)", 0.25),
        ("max(a, b)", 4.0),
        ("abs(a - b)", 3.75),
        ("floor(b + a)", 4.0),
        ("ceil(b + a)", 5.0),
        ("exp(0 * a)", 1.0),
        ("sqrt(b)", 2.0),
        ("log(exp(b))", 4.0),
        ("(a + b) / 2", 2.125),
    ],
)
def test_formula_operators_and_functions(formula: str, expected: float) -> None:
    grader = grader_from(
        {
            "type": "multi",
            "graders": {"a": constant(0.25), "b": constant(4)},
            "calculate_output": formula,
        }
    )
    assert run(grader, "x").score == pytest.approx(expected)


@pytest.mark.parametrize(
    ("formula", "error"),
    [
        ("a / (b - b)", "ZeroDivisionError"),
        ("log(a - a)", "ValueError: math domain error"),
        ("sqrt(a - b)", "ValueError: math domain error"),
        ("(a - b) ^ 0.5", "ValueError: a negative number to a fractional power"),
        ("exp(b * 1000)", "OverflowError"),
    ],
)
def test_a_formula_that_cannot_be_computed_fails_the_grade(formula: str, error: str) -> None:
    grader = grader_from(
        {
            "type": "multi",
            "graders": {"a": constant(0.25), "b": constant(4)},
            "calculate_output": formula,
        }
    )
    result = run(grader, "x")
    assert result.score is None and result.error is not None and error in result.error


def test_a_failed_sub_grade_fails_the_multi_grade_naming_it() -> None:
    grader = grader_from(
        {
            "type": "multi",
            "name": "both",
            "graders": {
                "ok": constant(1),
                "broken": {"type": "python", "source": "def grade(s, i):\n    raise KeyError('x')"},
            },
            "calculate_output": "ok * broken",
            "pass_threshold": 0.5,
        }
    )
    assert run(grader, "x") == Grade.failed("broken: grade() raised at line 2: KeyError: 'x'")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"calculate_output": "a + c"},
            "graders[m]: 'calculate_output' 'a + c': 'c' is not one"
            " of its graders (allowed: 'a', 'b')",
        ),
        (
            {"calculate_output": "round(a)"},
            "graders[m]: 'calculate_output' 'round(a)': 'round'"
            " is not a function (allowed: 'min', 'max', 'abs', 'floor', 'ceil', 'exp', 'sqrt',"
            " 'log')",
        ),
        (
            {"calculate_output": "sqrt(a, b)"},
            "graders[m]: 'calculate_output' 'sqrt(a, b)': sqrt() takes 1 argument",
        ),
        (
            {"calculate_output": "max()"},
            "graders[m]: 'calculate_output' 'max()': max() takes one or more arguments",
        ),
        ({"calculate_output": "a ** 2"}, "graders[m]: 'calculate_output' writes power as ^"),
        ({"calculate_output": "(a + b"}, "graders[m]: 'calculate_output' '(a + b' does not parse"),
        (
            {"calculate_output": "a if b else 1"},
            "graders[m]: 'calculate_output' 'a if b else 1': 'a if b else 1' is not allowed",
        ),
        ({"calculate_output": "a.real"}, "'a.real' is not allowed"),
        ({"calculate_output": "a > b"}, "'a > b' is not allowed"),
        ({"calculate_output": "'1' + a"}, "'1' is not a number"),
        ({"calculate_output": "__import__('os')"}, "'__import__' is not a function"),
        ({"calculate_output": 1}, "graders[m]: 'calculate_output' must be a string, not int"),
        ({"graders": [constant(1)]}, "graders[m]: 'graders' must be a dict of name -> grader"),
        ({"graders": {}}, "graders[m]: 'graders' must be a dict of name -> grader definition,"),
        ({"graders": {"a b": constant(1)}}, "graders[m]: 'graders' key 'a b' is not a name"),
        (
            {"graders": {"a": {"type": "multi", "graders": {}, "calculate_output": "1"}}},
            "graders[m.a]: a multi grader cannot hold another multi grader",
        ),
        (
            {"graders": {"a": {"type": "string_check", "name": "inner", "operation": "eq"}}},
            "graders[m.a]: string_check needs the key 'input'",
        ),
        ({"graders": {"a": {"type": "score_modle"}}}, "graders[m.a]: the grader has an unknown"),
        ({"pass_threshold": [1]}, "graders[m]: 'pass_threshold' must be a number, not list"),
        ({"calculate_outputs": "a"}, "graders[m]: multi has no key 'calculate_outputs'"),
    ],
)
def test_a_bad_multi_definition_is_a_grader_error(change: dict[str, Any], message: str) -> None:
    definition = {
        "type": "multi",
        "name": "m",
        "graders": {"a": constant(1), "b": constant(2)},
        "calculate_output": "a + b",
        **change,
    }
    with pytest.raises(GraderError) as raised:
        grader_from(definition)
    assert str(raised.value).startswith(message) or message in str(raised.value), str(raised.value)


# A model grader registered from outside, as the model graders are.


@dataclass(eq=False)
class FakeJudge(Grader):
    name: str
    score: float
    uses_model = True

    def judge_requests(self, repeats: int = 1) -> list[tuple[str, int]]:
        return [("judge-model", 100)] * repeats

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        return Grade(score=self.score, cost_usd=0.25)


def test_a_registered_type_builds_and_nests_in_multi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_registry, "_BUILDERS", dict(_registry._BUILDERS))

    def build(definition: Mapping[str, Any]) -> Grader:
        _registry.check_keys(definition, ("score",))
        return FakeJudge(definition.get("name", "judge"), definition["score"])

    register_grader_type("fake_judge", build)
    grader = grader_from(
        {
            "type": "multi",
            "graders": {
                "j1": {"type": "fake_judge", "score": 0.5},
                "j2": {"type": "fake_judge", "score": 1.0},
                "s": constant(1),
            },
            "calculate_output": "(j1 + j2) * s",
            "pass_threshold": 1.5,
        }
    )
    assert grader.uses_model and grader.judge_requests() == [("judge-model", 100)] * 2
    assert run(grader, "x") == Grade(score=1.5, passed=True, cost_usd=0.5)
    assert grader.graders["j1"].name == "j1"  # type: ignore[attr-defined]
    with pytest.raises(GraderError, match=r"graders\[m.j\]: fake_judge has no key 'scores'"):
        grader_from(
            {
                "type": "multi",
                "name": "m",
                "graders": {"j": {"type": "fake_judge", "name": "judge", "score": 1, "scores": 1}},
                "calculate_output": "j",
            }
        )
