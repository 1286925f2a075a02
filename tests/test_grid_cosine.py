"""``text_similarity`` with ``cosine`` in a grid: both texts embedded through the grid's client
(the local model's own embedding model by default, OpenAI's ``text-embedding-3-small`` on its
URL, or the definition's ``embedding_model``), priced into the judge cost, and a failed grade
on a server without embeddings."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import workbench
from tests._graders import MockServer, chat_grid
from tests._mock import KEY
from workbench.evals import GraderError, GradingContext, Sample, grader_from
from workbench.evals._similarity import cosine_similarity
from workbench.local import LOCAL_EMBEDDING_MODEL, LocalModel, LocalTransport
from workbench.local._embeddings import embed

DATA = [{"city": "France", "expected": "Paris"}, {"city": "Peru", "expected": "Lima"}]
COSINE = {
    "type": "text_similarity",
    "name": "near",
    "evaluation_metric": "cosine",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.expected }}",
    "pass_threshold": 0.2,
}


class Recording(LocalTransport):
    """The local model in-process, keeping the body of every embeddings request."""

    def __init__(self, model: LocalModel) -> None:
        super().__init__(model)
        self.embedded: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/embeddings"):
            self.embedded.append(json.loads(await request.aread()))
        return await super().handle_async_request(request)


def local_grid(model: LocalModel, *definitions: dict[str, Any]) -> tuple[workbench.Grid, Recording]:
    transport = Recording(model)
    client = workbench.AsyncClient(
        local=model, http_client=httpx.AsyncClient(transport=transport), max_retries=0
    )
    graders = [*definitions, {**COSINE, "name": "exact", "evaluation_metric": "fuzzy_match"}]
    return workbench.Grid(
        "Capital of {city}?", vars=DATA, client=client, graders=graders
    ), transport


def test_cosine_grades_each_cell_on_the_local_model() -> None:
    grid, transport = local_grid(LocalModel(), COSINE)
    result = grid.run(display=False)
    assert len(result.cells) == 2 and len(transport.embedded) == 2
    for cell in result.cells:
        grade = cell.grades["near"]
        assert grade.error is None, grade.error
        want = cosine_similarity(embed(cell.output), embed(cell.vars["expected"]))
        assert grade.score == pytest.approx(want, abs=1e-6)
        assert grade.passed is (grade.score >= 0.2)
        assert cell.grades["exact"].error is None
        assert cell.judge_cost_usd is None  # the local model has no price
    texts = sorted(tuple(body["input"]) for body in transport.embedded)
    assert texts == sorted((c.output, c.vars["expected"]) for c in result.cells)
    assert {body["model"] for body in transport.embedded} == {LOCAL_EMBEDDING_MODEL}
    frame = result.to_dataframe()
    assert list(frame["near"]) == [c.grades["near"].score for c in result.cells]


def test_the_same_text_scores_1_and_the_definition_chooses_the_model() -> None:
    same = {**COSINE, "reference": "{{ sample.output_text }}", "embedding_model": "my-embedder"}
    grid, transport = local_grid(LocalModel(), same)
    result = grid.run(display=False)
    assert [c.grades["near"].score for c in result.cells] == [pytest.approx(1.0)] * 2
    assert {body["model"] for body in transport.embedded} == {"my-embedder"}


def test_a_sync_client_over_its_own_pool_embeds_too() -> None:
    model = LocalModel()
    client = workbench.Client(
        local=model, http_client=httpx.Client(transport=LocalTransport(model))
    )
    grid = workbench.Grid("Capital of {city}?", vars=DATA, client=client, graders=[COSINE])
    for cell in grid.run(display=False).cells:
        want = cosine_similarity(embed(cell.output), embed(cell.vars["expected"]))
        assert cell.grades["near"].score == pytest.approx(want, abs=1e-6)


def test_a_server_without_embeddings_fails_the_grade_only() -> None:
    grid, _ = local_grid(LocalModel(embeddings=False), COSINE)
    result = grid.run(display=False)
    for cell in result.cells:
        assert cell.status == "done" and cell.output
        grade = cell.grades["near"]
        assert grade.score is None and grade.error is not None
        assert "no embeddings endpoint (404" in grade.error
        assert cell.grades["exact"].score is not None  # the other grader is unaffected


def test_on_openai_it_embeds_with_text_embedding_3_small_priced_as_judge_cost() -> None:
    server = MockServer()
    embedded: list[dict[str, Any]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/embeddings"):
            return await server(request)
        body = json.loads(await request.aread())
        embedded.append(body)
        vectors = [[1.0, 0.0], [0.6, 0.8]]  # cosine 0.6
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": 50_000, "total_tokens": 50_000}
        answer = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return httpx.Response(200, json=answer)

    client = workbench.AsyncClient(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        max_retries=0,
    )
    grid = chat_grid("Capital of {city}?", vars=DATA[:1], client=client, graders=[COSINE])
    cell = grid.run(display=False).cells[0]
    assert [body["model"] for body in embedded] == ["text-embedding-3-small"]
    assert embedded[0]["input"] == ["Paris is the capital", "Paris"]
    assert cell.grades["near"].score == pytest.approx(0.6)
    assert cell.judge_cost_usd == pytest.approx(50_000 * 0.02 / 1e6)  # $0.02 per M tokens


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"evaluation_metric": "bleu", "embedding_model": "m"}, "for the cosine metric"),
        ({"embedding_model": ""}, "non-empty string"),
        ({"embedding_model": 3}, "non-empty string"),
    ],
)
def test_a_bad_embedding_model_is_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(GraderError, match=message):
        grader_from({**COSINE, **extra})


def test_cosine_is_clipped_and_empty_texts_need_no_request() -> None:
    assert cosine_similarity([1.0, 0.0], [-1.0, 0.0]) == 0.0
    assert cosine_similarity([0.0, 0.0], [1.0, 0.0]) == 0.0
    assert cosine_similarity([2.0, 0.0], [3.0, 0.0]) == 1.0

    async def never(texts: list[str], model: str | None = None) -> list[list[float]]:
        raise AssertionError("no request for an empty text")

    grader = grader_from(COSINE)
    context = GradingContext(embed=never)
    empty = asyncio.run(grader.grade(Sample(""), {"expected": "Paris"}, context))
    both_empty = asyncio.run(grader.grade(Sample(""), {"expected": ""}, context))
    assert (empty.score, both_empty.score) == (0.0, 1.0)
