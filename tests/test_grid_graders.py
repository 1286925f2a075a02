"""Graders in a grid: built and checked before anything is sent, run on each answered cell with
their judges through the grid's client, limit and budget, and read into the DataFrame."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import workbench
from tests._graders import (
    CELL_COST,
    JUDGE_COST,
    RESPONSE_FORMAT,
    Contains,
    Failing,
    Judged,
    MockServer,
    chat_grid,
    mock_client,
    sync_mock_client,
)
from tests._grid import local_client
from tests.test_grid_batch import answer_batch
from workbench import InvalidParameterError
from workbench.evals import Grade, Grader, GraderError, GradingContext, Sample


class City(BaseModel):
    name: str
    population: int


DATA = [{"city": "France", "expected": "Paris"}, {"city": "Peru", "expected": "Lima"}]


def test_every_kind_of_grader_grades_each_answered_cell() -> None:
    server = MockServer([0.9, 0.2])

    async def mentions_paris(output: str) -> bool:
        return "Paris" in output

    def words(output: str, cell: workbench.Cell) -> int:
        return len(output.split()) + cell.repeat

    g = chat_grid(
        "Capital of {city}?",
        vars=DATA,
        client=mock_client(server),
        graders=[Contains(), Judged(), mentions_paris, {"words": words}, Failing()],
    )
    result = g.run(display=False)
    first, second = result.cells
    assert [c.status for c in result.cells] == ["done", "done"]  # failed grades change nothing
    assert first.grades["contains"].score == 1.0 and first.grades["contains"].passed is True
    assert second.grades["contains"].score == 0.0 and second.grades["contains"].passed is False
    assert first.grades["mentions_paris"].passed is True
    assert first.grades["words"].score == 4.0 and first.grades["words"].passed is None
    assert first.grades["failing"].error == "no verdict today"
    judged = sorted(c.grades["judged"].score for c in result.cells)  # type: ignore[type-var]
    assert judged == [0.2, 0.9]
    assert len(server.judges) == 2 and len(server.cells) == 2


def test_a_raising_grader_fails_its_grade_only() -> None:
    g = chat_grid(["Say hi"], client=local_client()[0], graders=[Failing("boom", raises=True)])
    cell = g.run(display=False).cells[0]
    assert cell.status == "done"
    assert cell.grades["boom"].error == "RuntimeError: the grader broke"
    assert cell.grades["boom"].score is None


def test_graders_do_not_run_on_failed_cells() -> None:
    client, _ = local_client({"FAIL": "500;times=99"})
    g = chat_grid(["Say hi", "FAIL now"], client=client, graders=[Judged()], rate_limit_retries=0)
    ok, failed = g.run(display=False).cells
    assert failed.status == "error" and failed.grades == {}
    assert ok.status == "done" and "judged" in ok.grades


def test_the_judge_asks_through_the_grid_client_and_is_priced() -> None:
    server = MockServer()
    g = chat_grid(
        "Capital of {city}?", vars=DATA[:1], client=mock_client(server), graders=[Judged()]
    )
    cell = g.run(display=False).cells[0]
    (request,) = server.judges
    assert request["model"] == "gpt-4o-mini" and "stream" not in request
    assert request["messages"][1] == {"role": "user", "content": "Answer: Paris is the capital"}
    assert request["response_format"] == RESPONSE_FORMAT
    assert request["temperature"] == 0 and request["max_completion_tokens"] == 50
    grade = cell.grades["judged"]
    assert grade.reasoning == "scored 0.8" and grade.cost_usd == pytest.approx(JUDGE_COST)
    assert cell.judge_cost_usd == pytest.approx(JUDGE_COST)
    assert cell.cost_usd == pytest.approx(CELL_COST)  # the judge's cost is its own


def test_a_sync_client_judges_too() -> None:
    server = MockServer([0.3])
    g = chat_grid(["Say hi"], client=sync_mock_client(server), graders=[Judged()])
    cell = g.run(display=False).cells[0]
    assert cell.grades["judged"].score == 0.3 and cell.grades["judged"].passed is False
    assert cell.judge_cost_usd == pytest.approx(JUDGE_COST)


def test_judge_requests_share_the_concurrency_limit() -> None:
    server = MockServer(delay=0.02)
    g = chat_grid(
        [f"Question {i}" for i in range(6)],
        client=mock_client(server),
        graders=[Judged("a"), Judged("b")],
        judge_repeats=2,
        concurrency=2,
    )
    g.run(display=False)
    assert len(server.judges) == 6 * 2 * 2
    assert server.most_in_flight == 2


def test_a_rate_limited_judge_request_is_sent_again() -> None:
    server = MockServer(judge_faults=[429, 429])
    g = chat_grid(["Say hi"], client=mock_client(server), graders=[Judged()])
    result = g.run(display=False)
    assert result.cells[0].grades["judged"].score == 0.8
    assert result.rate_limits == 2 and server.judge_faults == [] and len(server.judges) == 1
    too_many = MockServer(judge_faults=[429] * 5)
    g = chat_grid(
        ["Say hi"], client=mock_client(too_many), graders=[Judged()], rate_limit_retries=1
    )
    cell = g.run(display=False).cells[0]
    assert cell.status == "done"
    assert (cell.grades["judged"].error or "").startswith("RateLimitError")


def test_judge_repeats_give_spread_and_agreement() -> None:
    server = MockServer([1.0, 0.0, 1.0])
    g = chat_grid(["Say hi"], client=mock_client(server), graders=[Judged()], judge_repeats=3)
    grade = g.run(display=False).cells[0].grades["judged"]
    assert grade.runs == (1.0, 0.0, 1.0) and grade.score == pytest.approx(2 / 3)
    assert grade.agreement == pytest.approx(2 / 3) and grade.spread == pytest.approx(0.4714, 1e-3)
    frame = g.result().to_dataframe()
    assert frame["judged_spread"].iloc[0] == pytest.approx(grade.spread)
    assert frame["judged_agreement"].iloc[0] == pytest.approx(2 / 3)


# -- checked before anything is sent ---------------------------------------------------------


def test_a_missing_reference_column_is_refused_naming_grader_and_columns() -> None:
    server = MockServer()
    with pytest.raises(GraderError) as caught:
        chat_grid("Capital of {city}?", vars=DATA, client=mock_client(server), graders=[
            Contains("exact", column="answer")
        ])  # fmt: skip
    message = str(caught.value)
    assert "graders[exact]" in message and "'answer'" in message
    assert "city, expected" in message
    with pytest.raises(GraderError, match="none: the grid has no vars"):
        chat_grid(["Say hi"], client=mock_client(server), graders=[Contains()])
    assert server.cells == [] and server.judges == []


@pytest.mark.parametrize(
    ("graders", "message"),
    [
        ([Contains(), Contains()], r"graders\[contains\]: two graders have this name"),
        ([lambda output: 1], r"graders\[0\]: has no name"),
        ([42], r"graders\[0\]: must be a Grader, an OpenAI grader dict or a callable"),
        ("contains", "graders: must be a list of graders"),
        ([{"x": 3}], r"graders\[x\]: is not callable"),
        ([Contains("city")], r"'city' would clash with a vars column"),
        ([Contains("status")], r"'status' would clash with a result column"),
        ([Contains("a"), Failing("a_pass")], r"'a_pass' would clash with a grader's column"),
    ],
)
def test_bad_graders_are_refused(graders: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        chat_grid("Capital of {city}?", vars=DATA, client=local_client()[0], graders=graders)


def test_a_dict_of_callables_and_judge_repeats_checked() -> None:
    with pytest.raises(InvalidParameterError, match="'chars_pass' would clash with a scorers col"):
        chat_grid(
            ["Hi"], client=local_client()[0], scorers={"chars_pass": len}, graders={"chars": len}
        )
    g = chat_grid(["Say hi"], client=local_client()[0], graders={"chars": len})
    assert g.run(display=False).cells[0].grades["chars"].score > 0  # type: ignore[operator]
    alone = chat_grid(["Say hi"], client=local_client()[0], graders=Failing())
    assert [grader.name for grader in alone.graders] == ["failing"]
    assert [grader.name for grader in chat_grid(["Hi"], graders=len).graders] == ["len"]
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(InvalidParameterError, match="judge_repeats: must be an integer >= 1"):
            chat_grid(["Say hi"], client=local_client()[0], judge_repeats=bad)  # type: ignore[arg-type]


def test_an_openai_grader_dict_needs_grader_from(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = {"type": "string_check", "name": "exact", "operation": "eq"}
    monkeypatch.delattr(workbench.evals, "grader_from", raising=False)
    with pytest.raises(GraderError, match=r"graders\[exact\].*grader_from"):
        chat_grid(["Say hi"], client=local_client()[0], graders=[definition])
    built: list[dict[str, object]] = []

    def grader_from(given: dict[str, object]) -> Contains:
        built.append(given)
        return Contains("exact")

    monkeypatch.setattr(workbench.evals, "grader_from", grader_from, raising=False)
    g = chat_grid("Capital of {city}?", vars=DATA, client=local_client()[0], graders=[definition])
    assert built == [definition] and g.run(display=False).cells[0].grades["exact"].score == 0
    alone = chat_grid("Capital of {city}?", vars=DATA, client=local_client()[0], graders=definition)
    assert [grader.name for grader in alone.graders] == ["exact"] and len(built) == 2


# -- datasets --------------------------------------------------------------------------------


def test_vars_from_a_jsonl_file_with_reference_columns_in_the_results(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in DATA) + "\n\n")
    server = MockServer()
    g = chat_grid("Capital of {city}?", vars=path, client=mock_client(server), graders=[Contains()])
    frame = g.run(display=False).to_dataframe()
    assert list(frame["expected"]) == ["Paris", "Lima"]
    assert list(frame["contains"]) == [1.0, 0.0] and list(frame["contains_pass"]) == [True, False]
    assert [c["messages"][-1]["content"] for c in server.cells] == [
        "Capital of France?",
        "Capital of Peru?",
    ]
    wrapped = tmp_path / "openai.jsonl"
    wrapped.write_text("\n".join(json.dumps({"item": row}) for row in DATA))
    unwrapped = chat_grid("Capital of {city}?", vars=str(wrapped), client=local_client()[0])
    assert unwrapped.cells[1].vars == DATA[1]


def test_a_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"city": "France"}\n\n{"city": "Peru"\n')
    with pytest.raises(InvalidParameterError, match=r"data.jsonl, line 3: not valid JSON"):
        chat_grid("Capital of {city}?", vars=path, client=local_client()[0])
    path.write_text('{"city": "France"}\n[1, 2]\n')
    with pytest.raises(InvalidParameterError, match=r"line 2: a JSON object is needed, got list"):
        chat_grid("Capital of {city}?", vars=path, client=local_client()[0])
    with pytest.raises(InvalidParameterError, match="cannot read"):
        chat_grid("Capital of {city}?", vars=tmp_path / "missing.jsonl", client=local_client()[0])
    path.write_text("\n")
    with pytest.raises(InvalidParameterError, match="has no rows"):
        chat_grid("Capital of {city}?", vars=path, client=local_client()[0])


# -- results ---------------------------------------------------------------------------------


def test_dataframe_columns_per_grader() -> None:
    server = MockServer()
    g = chat_grid(
        "Capital of {city}?",
        vars=DATA,
        client=mock_client(server),
        graders=[Contains(), Judged(), Failing()],
    )
    frame = g.run(display=False).to_dataframe()
    columns = list(frame.columns)
    assert columns[columns.index("cost_usd") + 1] == "judge_cost_usd"
    assert columns[columns.index("version") + 1 :] == [
        "contains", "contains_pass", "contains_error",
        "judged", "judged_pass", "judged_reasoning", "judged_error",
        "failing", "failing_pass", "failing_error",
    ]  # fmt: skip
    assert str(frame["contains"].dtype) == "float64"
    assert str(frame["contains_pass"].dtype) == "boolean"
    assert str(frame["judged_reasoning"].dtype) == "str"
    assert list(frame["judged_reasoning"]) == ["scored 0.8"] * 2
    assert frame["failing"].isna().all() and frame["failing_pass"].isna().all()
    assert list(frame["failing_error"]) == ["no verdict today"] * 2
    assert frame["contains_error"].isna().all()
    assert list(frame["judge_cost_usd"]) == pytest.approx([JUDGE_COST] * 2)
    plain = chat_grid(["Say hi"], client=local_client()[0], graders=[Failing()])
    assert "judge_cost_usd" not in plain.run(display=False).to_dataframe().columns


# -- estimate and budget ---------------------------------------------------------------------


def test_the_estimate_counts_the_judges() -> None:
    server = MockServer()
    plain = chat_grid(["Say hi", "Say bye"], client=mock_client(server)).estimate()
    judged = chat_grid(
        ["Say hi", "Say bye"], client=mock_client(server), graders=[Judged()], judge_repeats=3
    ).estimate()
    assert judged.judge_requests == 2 * 3 and plain.judge_requests == 0
    assert judged.judge_cost_usd is not None and judged.judge_cost_usd > 0
    assert judged.cost_usd == pytest.approx(plain.cost_usd + judged.judge_cost_usd)  # type: ignore[operator]
    assert "judges: 6 requests" in repr(judged)
    assert server.cells == [] and server.judges == []
    unpriced = chat_grid(["Say hi"], client=mock_client(server), graders=[Judged(model="my-judge")])
    assert unpriced.estimate().cost_usd is None and "my-judge" in unpriced.estimate().unpriced
    with pytest.raises(workbench.WorkbenchError, match="price of 'my-judge'"):
        chat_grid(
            ["Hi"], client=mock_client(server), graders=[Judged(model="my-judge")], max_cost_usd=1
        )


def test_a_judge_grid_does_not_start_past_its_budget() -> None:
    server = MockServer()
    g = chat_grid(
        [f"Question {i}" for i in range(4)],
        client=mock_client(server),
        graders=[Judged()],
        judge_repeats=2,
        max_cost_usd=1e-4,
    )
    estimate = g.estimate()
    assert estimate.cost_usd is not None and estimate.cost_usd > 1e-4
    with pytest.raises(workbench.WorkbenchError, match=r"not started.*judges ~\$"):
        g.run(display=False)
    assert server.cells == [] and server.judges == [] and not g.running
    fits = chat_grid(
        ["Question"],
        client=mock_client(server),
        graders=[Judged()],
        max_cost_usd=estimate.cost_usd,
    )
    assert fits.run(display=False).cells[0].grades["judged"].score == 0.8


def test_the_run_stops_at_the_budget_counting_judge_cost() -> None:
    # Judges that cost far more than estimated: the first cell's judging spends the budget.
    costly = {"prompt_tokens": 200_000, "completion_tokens": 50, "total_tokens": 200_050}
    server = MockServer(judge_usage=costly)
    g = chat_grid(
        [f"Question {i}" for i in range(6)],
        client=mock_client(server),
        graders=[Judged()],
        judge_repeats=3,
        concurrency=1,
        max_cost_usd=0.02,
    )
    result = g.run(display=False)
    first, *rest = result.cells
    assert first.status == "done" and len(server.cells) == 1
    grade = first.grades["judged"]
    assert "not sent: the budget max_cost_usd=0.02" in (grade.error or "")
    assert len(server.judges) == 1  # the second and third judge requests were not sent
    assert first.judge_cost_usd == pytest.approx((200_000 * 0.15 + 50 * 0.6) / 1e6)
    assert all(c.status == "skipped" and "max_cost_usd" in (c.error or "") for c in rest)


# -- summary ---------------------------------------------------------------------------------


def test_summary_pass_rates_and_means_per_prompt_model_and_params() -> None:
    server = MockServer([1.0, 1.0, 0.0, 1.0])  # in order of sending: row by row
    rows = [*DATA, {"city": "Japan", "expected": "Tokyo"}, {"city": "Italy", "expected": "Paris"}]
    g = chat_grid(
        ["Capital of {city}?", "Which city rules {city}?"],
        vars=rows,
        params=[{"temperature": 0}, {"temperature": 1}],
        client=mock_client(server),
        graders=[Contains(), Judged()],
        concurrency=1,
    )
    summary = g.run(display=False).summary()
    assert list(summary.columns[:7]) == [
        "prompt", "model", "params", "cells", "answered", "cost_usd", "judge_cost_usd",
    ]  # fmt: skip
    assert len(summary) == 4
    assert list(summary["params"]) == ["temperature=0", "temperature=1"] * 2
    row = summary.iloc[0]
    assert row["cells"] == 4 and row["answered"] == 4
    assert row["contains_pass_rate"] == 0.5  # Paris twice in four
    low, high = workbench.grid._summary.wilson_interval(2, 4)
    assert (row["contains_pass_low"], row["contains_pass_high"]) == (low, high)
    assert row["judged_mean"] == 0.5 and row["judged_n"] == 4  # requests 0, 2, 4, 6: 1, 0, 1, 0
    assert row["cost_usd"] == pytest.approx(4 * CELL_COST)
    assert row["judge_cost_usd"] == pytest.approx(4 * JUDGE_COST)
    # Overall: both graders passed the cell: France (Paris, judged 1.0), not Italy (judged 0).
    assert row["pass_rate"] == 0.25
    assert summary.iloc[1]["judged_mean"] == 1.0  # requests 1, 3, 5, 7


def test_summary_has_no_overall_rate_when_a_grader_gives_no_verdict() -> None:
    g = chat_grid(["Say hi"], client=local_client()[0], graders={"chars": len})
    summary = g.run(display=False).summary()
    assert "pass_rate" not in summary.columns and "chars_pass_rate" not in summary.columns
    assert math.isnan(summary["chars_mean_low"].iloc[0])  # one score: no interval


def test_wilson_and_t_intervals_against_published_values() -> None:
    from workbench.grid._summary import mean_interval, t_quantile, wilson_interval

    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 10)[0] == 0.0 and round(wilson_interval(0, 10)[1], 4) == 0.2775
    assert t_quantile(10) == 2.2281 and round(t_quantile(40), 3) == 2.021
    assert round(t_quantile(120), 3) == 1.980
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and high - mean == pytest.approx(3.1824 * math.sqrt(5 / 3) / 2)


# -- more sources of cells -------------------------------------------------------------------


def test_batch_output_is_graded_with_the_judges_through_the_grid_client(tmp_path: Path) -> None:
    server = MockServer([0.7])
    g = chat_grid(
        "Capital of {city}?",
        vars=DATA,
        client=mock_client(server),
        graders=[Contains(), Judged()],
    )
    assert [type(x).__name__ for x in g.graders] == ["Contains", "Judged"]
    assert g.judge_repeats == 1
    [path] = g.to_batch_jsonl(tmp_path / "in.jsonl")
    lines = answer_batch(path, tmp_path / "out.jsonl", fail="p0-v1-s0-r0-gpt-4o-mini")
    (tmp_path / "out.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    done, failed = workbench.GridResult.from_batch_output(g, tmp_path / "out.jsonl").cells
    assert done.grades["judged"].score == 0.7 and done.judge_cost_usd == pytest.approx(JUDGE_COST)
    assert done.grades["contains"].score == 0.0  # the local model echoes: no "Paris"
    assert failed.status == "error" and failed.grades == {}
    assert len(server.judges) == 1 and server.cells == []


def test_structured_output_reaches_graders_as_json() -> None:
    seen: list[object] = []

    def named(output: City) -> bool:
        return isinstance(output, City)

    class Sees(Contains):
        async def grade(self, sample, item, context):  # type: ignore[no-untyped-def]
            seen.append(sample.output_json)
            return await super().grade(sample, item, context)

    g = chat_grid(
        "Describe {city}",
        vars=DATA[:1],
        response_format=City,
        client=local_client()[0],
        graders=[named, Sees("sees")],
    )
    cell = g.run(display=False).cells[0]
    assert cell.grades["named"].passed is True
    assert isinstance(seen[0], dict) and set(seen[0]) == {"name", "population"}


def test_summary_names_the_api_when_the_grid_compares_several() -> None:
    g = chat_grid(
        ["Say hi"], apis=["chat", "responses"], client=local_client()[0], graders={"n": len}
    )
    summary = g.run(display=False).summary()
    assert list(summary["api"]) == ["chat", "responses"]
    assert list(summary.columns[:4]) == ["prompt", "model", "api", "params"]


def test_judge_repeats_are_numbered_as_cell_repeats_are() -> None:
    server = MockServer()
    g = chat_grid(["Say hi"], client=mock_client(server), graders=[Judged()], judge_repeats=3)
    g.run(display=False)
    assert server.repeat_headers == [None, "1", "2"]
    local = chat_grid(
        ["Say hi"],
        client=local_client()[0],
        graders=[Judged(model="workbench-local", temperature=None)],  # sampled, not greedy
        judge_repeats=3,
    )
    grade = local.run(display=False).cells[0].grades["judged"]
    assert len(set(grade.runs)) == 3 and grade.spread is not None and grade.spread > 0, grade


async def test_a_cancel_while_grading_keeps_the_whole_reply_and_fails_the_grade() -> None:
    grading = asyncio.Event()

    class Slow(Grader):
        name = "slow"
        blocks = True

        async def grade(self, sample: Sample, item: Any, context: GradingContext) -> Grade:
            grading.set()
            if self.blocks:
                await asyncio.sleep(60)
            return Grade(score=1.0)

    counted: list[str] = []

    def n(output: str) -> int:
        counted.append(output)
        return len(output)

    async def given(name: str) -> None:
        while name not in g.cells[0].grades:
            await asyncio.sleep(0.01)

    slow = Slow()
    g = chat_grid(["Say hi"], client=local_client()[0], graders=[slow, n])
    task = asyncio.create_task(g.arun(display=False))
    await asyncio.wait_for(grading.wait(), 10)
    await asyncio.wait_for(given("n"), 10)
    g.cancel()
    result = await asyncio.wait_for(task, 10)
    (cell,) = result.cells
    assert cell.status == "done" and cell.output, "the reply came back whole"
    assert cell.grades["slow"].error == "cancelled before it was graded (the reply is whole)"
    assert cell.grades["n"].score == len(cell.output)  # given before the cancel: kept
    # Run again: the cell is graded, not sent again.
    slow.blocks = False
    sent, output = cell.attempts, cell.output
    again = await asyncio.wait_for(g.arun(display=False), 10)
    assert again.cells[0] is cell and (cell.attempts, cell.output) == (sent, output)
    assert cell.grades["slow"].score == 1.0 and cell.grades["n"].score == len(output)
    assert len(counted) == 1, "a grade given before the cancel is not asked again"
    assert list(cell.grades) == ["slow", "n"]  # in the graders' order


async def test_a_cancel_while_scoring_leaves_the_score_for_the_next_run() -> None:
    scoring = asyncio.Event()
    blocks = [True]

    async def slow(output: str) -> int:
        scoring.set()
        if blocks[0]:
            await asyncio.sleep(60)
        return len(output)

    g = chat_grid(["Say hi"], client=local_client()[0], scorers={"slow": slow})
    task = asyncio.create_task(g.arun(display=False))
    await asyncio.wait_for(scoring.wait(), 10)
    g.cancel()
    (cell,) = (await asyncio.wait_for(task, 10)).cells
    assert cell.status == "done" and "slow" not in cell.scores
    blocks[0] = False
    sent = cell.attempts
    await asyncio.wait_for(g.arun(display=False), 10)
    assert cell.attempts == sent and cell.scores["slow"] == len(cell.output)
    assert cell.status == "done"


def test_a_row_without_a_reference_value_is_refused_or_its_grade_fails() -> None:
    import pandas

    exact = {
        "type": "string_check",
        "name": "exact",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.expected }}",
        "operation": "ne",
    }
    rows = [{"q": "a", "expected": "x"}, {"q": "b"}]
    with pytest.raises(GraderError, match=r"graders\[exact\]: .*'expected'.* vars\[1\]"):
        chat_grid("Say {q}", vars=rows, client=local_client()[0], graders=[exact])
    frame = pandas.DataFrame({"q": ["a", "b", "c"], "expected": ["x", None, float("nan")]})
    g = chat_grid("Say {q}", vars=frame, client=local_client()[0], graders=[exact])
    cells = g.run(display=False).cells
    assert cells[0].grades["exact"].passed is True  # "ne": the reply is not "x"
    for cell in cells[1:]:  # not a pass on "ne" against the text "NaN" or "null"
        grade = cell.grades["exact"]
        assert grade.score is None and grade.error == "{{ item.expected }} has no value in this row"
