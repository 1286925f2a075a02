"""Model graders (judges) within a grid's ``max_cost_usd``: the estimate counts each judge's own
prompt (a long rubric included), a cell's judge requests in flight count against its
reservation and the budget, and samples graded outside a run (an eval's samples, Batch API
output) keep to the budget too."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

import workbench
from tests._graders import MockServer, chat_grid, mock_client
from workbench.evals import GradingContext, Sample, grader_from
from workbench.grid._estimate import Budget, judge_cell_estimate, price_of
from workbench.grid._judge import CellJudge
from workbench.grid._limiter import AdaptiveLimiter
from workbench.grid._sender import Sender
from workbench.protocol._token_estimate import prompt_estimate
from workbench.types import CompletionUsage

OPENAI = "https://api.openai.com/v1"
RUBRIC = "Judge carefully. " * 3000  # about 12,750 tokens
JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "gpt-4o-mini",
    "range": [0, 1],
    "input": [
        {"role": "system", "content": RUBRIC},
        {"role": "user", "content": "{{ item.city }}: {{ sample.output_text }}"},
    ],
}


class Judge:
    """A judge server as ``client.chat.completions``: scores 1, with the usage of what it was
    sent (``prompt_estimate``) or ``prompt_tokens`` when given; records the budget in flight."""

    def __init__(self, budget: Budget | None = None, prompt_tokens: int | None = None) -> None:
        self.budget = budget
        self.prompt_tokens = prompt_tokens
        self.models: list[str] = []
        self.in_flight: list[float] = []
        self.chat = types.SimpleNamespace(completions=self)
        self.base_url = OPENAI

    async def create(self, **request: Any) -> Any:
        self.models.append(request["model"])
        if self.budget is not None:
            self.in_flight.append(self.budget.reserved)
        await asyncio.sleep(0.01)
        sent = self.prompt_tokens or prompt_estimate(request["messages"], [])
        message = types.SimpleNamespace(content='{"steps": [], "result": 1}')
        usage = CompletionUsage(prompt_tokens=sent, completion_tokens=200, total_tokens=sent + 200)
        choice = types.SimpleNamespace(message=message)
        return types.SimpleNamespace(choices=[choice], model=request["model"], usage=usage)


def test_a_judges_own_prompt_is_estimated_from_its_messages() -> None:
    grader = grader_from(JUDGE)
    item = {"city": "France"}
    reply = "x" * 400  # 100 tokens
    messages = grader.prompt(Sample(reply), item)  # type: ignore[attr-defined]
    sent = prompt_estimate(messages, [grader.response_format])  # type: ignore[attr-defined]
    assert grader.judge_prompt_tokens(item, 100) == [sent]  # as the grid's judge counts it
    assert sent > len(RUBRIC) // 4
    multi = grader_from(
        {"type": "multi", "name": "m", "graders": {"a": JUDGE}, "calculate_output": "a"}
    )
    assert multi.judge_prompt_tokens(item, 100) == [sent]


def test_the_estimate_counts_a_long_rubric_and_the_grid_does_not_start() -> None:
    # The reviewer's repro (/tmp/b1.py): the rubric alone costs more than the budget.
    server = MockServer()
    g = chat_grid(
        "Capital of {city}?",
        vars=[{"city": "France"}],
        client=mock_client(server),
        graders=[JUDGE],
        judge_repeats=3,
        max_cost_usd=0.005,
    )
    requests, tokens, by_model = judge_cell_estimate(g._spec, 0, 0, OPENAI)
    assert requests == 3 and tokens > 3 * len(RUBRIC) // 4
    judges = by_model["gpt-4o-mini"]
    assert judges is not None and judges > 3 * price_of("gpt-4o-mini", 12_750, 0, OPENAI)  # type: ignore[operator]
    assert g.estimate().judge_cost_usd == pytest.approx(judges)
    with pytest.raises(workbench.WorkbenchError, match=r"not started.*judges ~\$0\.007"):
        g.run(display=False)
    assert server.cells == [] and server.judges == []


async def test_judge_requests_in_flight_count_against_the_cell_and_the_budget() -> None:
    # The repeats of a cell ask at once: each counts the others' estimates still in flight.
    grader = grader_from(JUDGE)
    messages = grader.prompt(Sample("Paris"), {"city": "France"})  # type: ignore[attr-defined]
    sent = prompt_estimate(messages, [grader.response_format])  # type: ignore[attr-defined]
    one = price_of("gpt-4o-mini", sent, 1024, OPENAI)
    assert one is not None
    spec = chat_grid(["Hi"], client=mock_client(MockServer()))._spec
    budget = Budget(1.5 * one, spec, OPENAI)
    budget.reserved += one  # the cell reserved one request's worth
    client = Judge(budget)
    judge = CellJudge(Sender(client, OPENAI), AdaptiveLimiter(8), budget, one, 2)
    grade = await grader.grade(Sample("Paris"), {"city": "France"}, GradingContext(judge, 3))
    assert client.models == ["gpt-4o-mini"] and judge.calls == 1
    assert len(grade.runs) == 1 and len(grade.failed_runs) == 2
    assert all("not sent: the budget max_cost_usd=" in run for run in grade.failed_runs)
    assert judge.cost_usd < one and budget.stopped is not None

    # Past the reservation, the budget holds each request's excess while it is in flight.
    budget = Budget(2.5 * one, spec, OPENAI)
    client = Judge(budget)
    judge = CellJudge(Sender(client, OPENAI), AdaptiveLimiter(8), budget, 0.0, 2)
    grade = await grader.grade(Sample("Paris"), {"city": "France"}, GradingContext(judge, 3))
    assert len(client.models) == 2 and len(grade.failed_runs) == 1
    assert max(client.in_flight) == pytest.approx(2 * one)
    assert budget.reserved == pytest.approx(2 * one)  # until the cell settles
    judge.release()
    assert budget.reserved == pytest.approx(0.0)


SAMPLES = [
    {"item": {"q": f"q{i}"}, "sample": {"output_text": "Paris", "model": "gpt-4o-mini"}}
    for i in range(20)
]
SCORE = {
    "type": "score_model",
    "name": "judge",
    "model": "gpt-4o-mini",
    "range": [0, 1],
    "pass_threshold": 0.5,
    "input": [{"role": "user", "content": "Grade: {{ sample.output_text }}"}],
}
EXACT = {
    "type": "string_check",
    "name": "exact",
    "input": "{{ sample.output_text }}",
    "reference": "Paris",
    "operation": "eq",
}


def grade_samples(client: Judge, limit: float, concurrency: int) -> workbench.GridResult:
    """The samples graded by a judge and a ``string_check``, through ``client``."""
    return workbench.GridResult.from_openai_samples(
        {"testing_criteria": [SCORE, EXACT]},
        SAMPLES,
        client=client,
        max_cost_usd=limit,
        concurrency=concurrency,
    )


def test_eval_samples_are_not_graded_past_the_budget() -> None:
    # The reviewer's repro (/tmp/s1.py): $0.312 of judging under max_cost_usd=0.001.
    client = Judge(prompt_tokens=100_000)
    with pytest.raises(workbench.WorkbenchError, match=r"not started.*max_cost_usd=0.001"):
        grade_samples(client, 0.001, 4)
    assert client.models == []


def test_eval_samples_stop_at_the_budget_when_judges_cost_more_than_estimated() -> None:
    client = Judge(prompt_tokens=100_000)  # $0.0151 a request, estimated far less
    result = grade_samples(client, 0.05, 1)
    # A request goes while what is spent and reserved leaves room for its estimate: the
    # fourth takes the spending past the limit (it cost 20 times its estimate), and no
    # request follows it.
    assert len(client.models) == 4
    each = (100_000 * 0.15 + 200 * 0.6) / 1e6
    spent = sum(c.judge_cost_usd or 0.0 for c in result.cells)
    assert spent == pytest.approx(4 * each) and 3 * each < 0.05 < 4 * each
    refused = [cell for cell in result.cells if cell.judge_cost_usd is None]
    assert len(refused) == 16
    for cell in refused:
        assert "not sent: the budget max_cost_usd=0.05" in (cell.grades["judge"].error or "")
        assert cell.grades["exact"].score == 1.0  # graders that ask no model still grade


def test_samples_whose_judging_does_not_fit_fail_only_their_model_grades(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past the start check (left out here), each cell reserves its judging in turn: a cell
    # that does not fit is graded by the graders that ask no model, its judge grade failing.
    monkeypatch.setattr("workbench.grid._judge.check_start", lambda *args, **kwargs: None)
    client = Judge()
    result = grade_samples(client, 0.001, 4)
    graded = [c for c in result.cells if c.judge_cost_usd is not None]
    assert 0 < len(graded) == len(client.models) < len(SAMPLES)
    assert sum(c.judge_cost_usd or 0.0 for c in graded) <= 0.001
    for cell in result.cells:
        assert list(cell.grades) == ["judge", "exact"] and cell.grades["exact"].score == 1.0
        if cell.judge_cost_usd is None:
            error = cell.grades["judge"].error or ""
            assert error.startswith("not graded: the budget max_cost_usd=0.001")
