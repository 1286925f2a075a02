"""The local model's ``/v1/embeddings``: deterministic vectors in which similar texts are close,
``dimensions`` honoured, usage counted, requests checked; in-process and through
``python -m workbench serve`` with the official openai 1.106.1 unchanged."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest

import workbench
from tests._local import ServerProcess, serving
from tests._mock import KEY, close, resolve
from workbench.local import LOCAL_EMBEDDING_MODEL, LocalModel, LocalTransport
from workbench.local._embeddings import DEFAULT_DIMENSIONS, embed, embeddings

SIMILAR = ("The cat sat on the mat.", "A cat sat on the mat")
OTHER = "Quarterly revenue grew by twelve percent"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # the vectors have length 1


def test_vectors_are_unit_length_deterministic_and_close_for_similar_texts() -> None:
    first, second, other = embed(SIMILAR[0]), embed(SIMILAR[1]), embed(OTHER)
    assert len(first) == DEFAULT_DIMENSIONS
    assert math.isclose(math.fsum(v * v for v in first), 1.0)
    assert embed(SIMILAR[0]) == first
    assert cosine(first, second) > 0.8
    assert cosine(first, other) < 0.2
    assert cosine(embed("colour"), embed("color")) > cosine(embed("colour"), embed("width"))


def test_the_body_has_a_vector_per_input_in_order_and_counts_tokens() -> None:
    body = embeddings({"input": [SIMILAR[0], OTHER], "model": "any-name", "dimensions": 32})
    assert body["object"] == "list" and body["model"] == "any-name"
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert [d["embedding"] for d in body["data"]] == [embed(SIMILAR[0], 32), embed(OTHER, 32)]
    assert body["usage"] == {"prompt_tokens": 13, "total_tokens": 13}
    tokens = embeddings({"input": [[5, 6, 7], [5, 6]], "model": "m"})
    assert tokens["usage"]["prompt_tokens"] == 5 and len(tokens["data"]) == 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m"}, "input"),
        ({"input": "a"}, "model"),
        ({"input": [], "model": "m"}, "input"),
        ({"input": ["a", ""], "model": "m"}, "input[1]"),
        ({"input": "a", "model": "m", "dimensions": 0}, "dimensions"),
        ({"input": "a", "model": "m", "dimensions": 5000}, "dimensions"),
        ({"input": "a", "model": "m", "encoding_format": "hex"}, "encoding_format"),
    ],
)
def test_bad_requests_are_400s_naming_the_parameter(body: dict[str, Any], param: str) -> None:
    with httpx.Client(transport=LocalTransport(LocalModel())) as http:
        answer = http.post("http://local/v1/embeddings", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


def test_a_model_without_embeddings_answers_404() -> None:
    client = workbench.Client(local=LocalModel(embeddings=False), max_retries=0)
    with pytest.raises(workbench.NotFoundError, match="/v1/embeddings"):
        client.embeddings.create(input="a", model=LOCAL_EMBEDDING_MODEL)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with serving("--api-key", KEY) as proc:
        yield proc


KINDS = ["openai-http", "openai-async-http", "workbench-local", "workbench-async-http"]


@pytest.fixture(params=KINDS)
async def client(request: pytest.FixtureRequest, server: ServerProcess) -> AsyncIterator[Any]:
    kind: str = request.param
    made: Any
    if kind.startswith("openai"):
        factory: Any = openai.AsyncOpenAI if "async" in kind else openai.OpenAI
        made = factory(base_url=server.url, api_key=KEY, max_retries=0)
    elif kind.endswith("local"):
        made = workbench.Client(local=True, max_retries=0)
    else:
        made = workbench.AsyncClient(base_url=server.url, api_key=KEY, max_retries=0)
    yield made
    await close(made)


async def test_clients_get_the_local_vectors(client: Any) -> None:
    for encoding in ({}, {"encoding_format": "float"}):  # openai's default asks for base64
        response = await resolve(
            client.embeddings.create(
                input=[SIMILAR[0], OTHER], model=LOCAL_EMBEDDING_MODEL, dimensions=64, **encoding
            )
        )
        vectors = [d.embedding for d in response.data]
        expected = [embed(SIMILAR[0], 64), embed(OTHER, 64)]
        for got, want in zip(vectors, expected, strict=True):
            assert got == pytest.approx(want, abs=1e-6)  # base64 carries float32
        assert response.model == LOCAL_EMBEDDING_MODEL
        assert response.usage.prompt_tokens == 13


async def test_serve_without_embeddings_is_a_404_to_openai() -> None:
    with serving("--no-embeddings") as proc:
        made = openai.OpenAI(base_url=proc.url, api_key=KEY, max_retries=0)
        with pytest.raises(openai.NotFoundError):
            made.embeddings.create(input="a", model="m")
        made.close()
