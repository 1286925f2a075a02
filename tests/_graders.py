"""Helpers for the grid's grader tests: small graders of each kind (deterministic, judged,
failing) and a mock OpenAI server that streams cells and answers judges."""

from __future__ import annotations

import asyncio
import json
import statistics
from collections.abc import Mapping
from typing import Any

import httpx

import workbench
from tests._mock import KEY, chunk_json, completion_json, sse_body, sse_response, text_chunks
from workbench.evals import Grade, Grader, GradingContext, Sample

CELL_USAGE = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}
JUDGE_USAGE = {"prompt_tokens": 600, "completion_tokens": 50, "total_tokens": 650}
CELL_COST = (1000 * 0.15 + 500 * 0.60) / 1e6
"""gpt-4o-mini: $0.15 / M input, $0.60 / M output."""
JUDGE_COST = (600 * 0.15 + 50 * 0.60) / 1e6


class Contains(Grader):
    """1 when the reply contains ``{{ item.<column> }}``, else 0; passes at 0.5."""

    def __init__(self, name: str = "contains", column: str = "expected") -> None:
        self.name = name
        self.column = column
        self.pass_threshold = 0.5

    def references(self) -> set[str]:
        return {self.column}

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        score = 1.0 if str(item[self.column]) in sample.output_text else 0.0
        return Grade(score=score, passed=score >= 0.5)


RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "grade",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"score": {"type": "number"}, "reasoning": {"type": "string"}},
            "required": ["score", "reasoning"],
            "additionalProperties": False,
        },
    },
}


class Judged(Grader):
    """Asks its judge ``context.judge_repeats`` times for ``{"score", "reasoning"}``."""

    uses_model = True

    def __init__(
        self, name: str = "judged", model: str = "gpt-4o-mini", temperature: float | None = 0
    ) -> None:
        self.name = name
        self.model = model
        self.pass_threshold = 0.5
        self.params: dict[str, Any] = {"max_completion_tokens": 50}
        if temperature is not None:
            self.params["temperature"] = temperature

    def judge_requests(self) -> list[tuple[str, int]]:
        return [(self.model, 50)]

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        assert context.judge is not None
        messages = [
            {"role": "system", "content": "Grade the answer from 0 to 1."},
            {"role": "user", "content": f"Answer: {sample.output_text}"},
        ]
        scores: list[float] = []
        reasoning: str | None = None
        cost = 0.0
        for _ in range(context.judge_repeats):
            try:
                reply = await context.judge(
                    self.model,
                    messages,
                    response_format=RESPONSE_FORMAT,
                    params=self.params,
                )
                verdict = json.loads(reply.text)
            except Exception as exc:
                return Grade.failed(f"{type(exc).__name__}: {exc}", cost_usd=cost or None)
            cost += reply.cost_usd or 0.0
            scores.append(float(verdict["score"]))
            reasoning = reasoning or verdict["reasoning"]
        mean = statistics.fmean(scores)
        passes = [s >= 0.5 for s in scores]
        majority = max(passes.count(True), passes.count(False))
        return Grade(
            score=mean,
            passed=mean >= 0.5,
            reasoning=reasoning,
            runs=tuple(scores),
            spread=statistics.pstdev(scores),
            agreement=majority / len(scores),
            cost_usd=cost,
        )


class Failing(Grader):
    """Always a failed grade (or, with ``raises``, an exception, breaking its promise)."""

    def __init__(self, name: str = "failing", raises: bool = False) -> None:
        self.name = name
        self.raises = raises

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        if self.raises:
            raise RuntimeError("the grader broke")
        return Grade.failed("no verdict today")


class MockServer:
    """Streams "Paris is the capital" to cells and answers judge requests (not streamed) with
    ``{"score", "reasoning"}``; counts requests and the most in flight at once."""

    def __init__(
        self,
        judge_scores: list[float] | None = None,
        *,
        delay: float = 0.0,
        judge_usage: Mapping[str, int] = JUDGE_USAGE,
        judge_faults: list[int] | None = None,
    ) -> None:
        self.judge_scores = list(judge_scores or [0.8])
        self.delay = delay
        self.judge_usage = dict(judge_usage)
        self.judge_faults = list(judge_faults or [])
        self.cells: list[dict[str, Any]] = []
        self.judges: list[dict[str, Any]] = []
        self.repeat_headers: list[str | None] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if not body.get("stream"):
            self.repeat_headers.append(request.headers.get("x-workbench-repeat"))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self.answer(body)
        finally:
            self.in_flight -= 1

    def answer(self, body: dict[str, Any]) -> httpx.Response:
        if body.get("stream"):
            self.cells.append(body)
            usage = {**chunk_json(), "choices": [], "usage": CELL_USAGE}
            return sse_response(sse_body(*text_chunks("Paris is", " the capital"), usage))
        if self.judge_faults:
            status = self.judge_faults.pop(0)
            return httpx.Response(status, headers={"retry-after": "0"}, json={"error": {}})
        self.judges.append(body)
        score = self.judge_scores[(len(self.judges) - 1) % len(self.judge_scores)]
        reply = completion_json(json.dumps({"score": score, "reasoning": f"scored {score}"}))
        reply["usage"] = self.judge_usage
        return httpx.Response(200, json=reply)


def chat_grid(*args: Any, **kwargs: Any) -> workbench.Grid:
    """A ``Grid`` whose cells go through Chat Completions, the protocol ``MockServer`` speaks
    (its priced OpenAI URL would otherwise take the Responses API by default)."""
    kwargs.setdefault("apis", "chat")
    return workbench.Grid(*args, **kwargs)


def mock_client(server: MockServer) -> workbench.AsyncClient:
    """An ``AsyncClient`` for ``https://api.openai.com/v1`` (priced) over ``server``."""
    return workbench.AsyncClient(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
        max_retries=0,
    )


def sync_mock_client(server: MockServer) -> workbench.Client:
    """A sync ``Client`` over ``server`` (its async handler run to its end)."""

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return asyncio.run(server(request))

    return workbench.Client(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        max_retries=0,
    )
