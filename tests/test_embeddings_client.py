"""``client.embeddings.create``: the request as the API takes it, validation before sending,
base64 vectors decoded to floats, errors and retries, both clients, and openai 1.106.1's
signature."""

from __future__ import annotations

import array
import base64
import inspect
from typing import Any

import httpx
import pytest
from openai.resources.embeddings import AsyncEmbeddings as OpenAIAsyncEmbeddings
from openai.resources.embeddings import Embeddings as OpenAIEmbeddings

import workbench
from tests._mock import KINDS, Recorder, both, close, make_client, patch_sleep, resolve
from workbench.types import CreateEmbeddingResponse, Embedding

VECTORS = [[0.25, -0.5, 1.0], [0.0, 0.125, -2.0]]


def b64(vector: list[float]) -> str:
    return base64.b64encode(array.array("f", vector).tobytes()).decode()


def answer(vectors: list[Any], model: str = "text-embedding-3-small") -> httpx.Response:
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    usage = {"prompt_tokens": 7, "total_tokens": 7}
    return httpx.Response(
        200, json={"object": "list", "data": data, "model": model, "usage": usage}
    )


async def embed(client: Any, **kwargs: Any) -> CreateEmbeddingResponse:
    kwargs.setdefault("model", "text-embedding-3-small")
    return await resolve(client.embeddings.create(**kwargs))  # type: ignore[no-any-return]


@both
async def test_base64_is_asked_for_by_default_and_decoded(kind: str) -> None:
    recorder = Recorder(answer([b64(v) for v in VECTORS]))
    client = make_client(kind, recorder)
    response = await embed(client, input=["a cat", "a dog"])
    await close(client)
    assert recorder.last.url.path == "/v1/embeddings" and recorder.last.method == "POST"
    assert recorder.body == {
        "input": ["a cat", "a dog"],
        "model": "text-embedding-3-small",
        "encoding_format": "base64",
    }
    assert isinstance(response, CreateEmbeddingResponse)
    assert [d.embedding for d in response.data] == VECTORS  # exact in float32
    assert all(isinstance(d, Embedding) for d in response.data)
    assert response.usage is not None and response.usage.prompt_tokens == 7


@both
async def test_every_parameter_is_sent_and_floats_pass_through(kind: str) -> None:
    recorder = Recorder(answer(VECTORS[:1]))
    client = make_client(kind, recorder)
    response = await embed(
        client,
        input="a cat",
        dimensions=3,
        encoding_format="float",
        user="u-1",
        extra_body={"x": 1},
        extra_headers={"X-Test": "1"},
    )
    await close(client)
    assert recorder.body == {
        "input": "a cat",
        "model": "text-embedding-3-small",
        "dimensions": 3,
        "encoding_format": "float",
        "user": "u-1",
        "x": 1,
    }
    assert recorder.last.headers["x-test"] == "1"
    assert response.data[0].embedding == VECTORS[0]


@both
async def test_an_explicit_base64_is_decoded_too(kind: str) -> None:
    recorder = Recorder(answer([b64(VECTORS[1])]))
    client = make_client(kind, recorder)
    response = await embed(client, input=[1, 2, 3], encoding_format="base64")
    await close(client)
    assert recorder.body["input"] == [1, 2, 3] and recorder.body["encoding_format"] == "base64"
    assert response.data[0].embedding == VECTORS[1]


def test_a_bad_base64_vector_is_a_validation_error() -> None:
    client = make_client("sync", Recorder(answer(["not base64!"])))
    with pytest.raises(workbench.APIResponseValidationError, match="base64"):
        client.embeddings.create(input="x", model="m")


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["a", ""]}, "input[1]"),
        ({"input": ["a" for _ in range(2049)]}, "input"),
        ({"input": [[1, 2], "a"]}, "input[1]"),
        ({"input": [[1], []]}, "input[1]"),
        ({"input": 3}, "input"),
        ({"input": {"text": "a"}}, "input"),
        ({"input": "a", "model": ""}, "model"),
        ({"input": "a", "dimensions": 0}, "dimensions"),
        ({"input": "a", "dimensions": True}, "dimensions"),
        ({"input": "a", "encoding_format": "hex"}, "encoding_format"),
        ({"input": "a", "user": 5}, "user"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_parameters_are_refused_before_sending(
    kind: str, kwargs: dict[str, Any], param: str
) -> None:
    recorder = Recorder()
    client = make_client(kind, recorder)
    with pytest.raises(workbench.InvalidParameterError) as info:
        await embed(client, **kwargs)
    await close(client)
    assert info.value.param == param and recorder.calls == 0
    if param == "encoding_format":
        assert "'float', 'base64'" in str(info.value)


@both
async def test_a_404_is_not_found_and_a_500_is_retried(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch_sleep(monkeypatch)
    missing = httpx.Response(404, json={"error": {"message": "Unknown route", "type": "x"}})
    client = make_client(kind, Recorder(missing))
    with pytest.raises(workbench.NotFoundError, match="Unknown route"):
        await embed(client, input="a")
    await close(client)
    recorder = Recorder(httpx.Response(500, json={"error": {"message": "boom"}}), answer(VECTORS))
    client = make_client(kind, recorder)
    response = await embed(client, input=["a", "b"])
    await close(client)
    assert recorder.calls == 2 and len(response.data) == 2


@both
async def test_with_raw_response_gives_headers_and_parses(kind: str) -> None:
    client = make_client(kind, Recorder(answer([b64(VECTORS[0])])))
    raw = await resolve(client.embeddings.with_raw_response.create(input="a", model="m"))
    await close(client)
    assert raw.status_code == 200
    assert raw.parse().data[0].embedding == VECTORS[0]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("Embeddings", OpenAIEmbeddings), ("AsyncEmbeddings", OpenAIAsyncEmbeddings)],
)
def test_create_takes_what_openai_1_106_takes(ours: str, theirs: type) -> None:
    client = workbench.Client(api_key="sk-x") if ours == "Embeddings" else None
    resource = client.embeddings if client else workbench.AsyncClient(api_key="sk-x").embeddings
    assert type(resource).__name__ == ours
    mine = inspect.signature(resource.create).parameters
    openai_params = inspect.signature(theirs.create).parameters
    assert list(mine) == [p for p in openai_params if p != "self"]
    for name, parameter in mine.items():
        assert parameter.kind == openai_params[name].kind, name
        assert (parameter.default is inspect.Parameter.empty) == (
            openai_params[name].default is inspect.Parameter.empty
        ), name
