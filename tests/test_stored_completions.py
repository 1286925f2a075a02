"""Stored completions (retrieve, update, delete, list, messages.list) with cursor pages that walk
every page on their own, and the models endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import workbench
from tests._mock import (
    MESSAGES,
    Recorder,
    both,
    collect,
    completion_json,
    make_client,
    resolve,
)

IDS = ["cc-1", "cc-2", "cc-3", "cc-4", "cc-5"]


def paged(items: list[dict[str, Any]], *, page_size: int = 2, last_id: bool = True) -> Any:
    """A handler serving ``items`` in pages, as the API does: ``after`` is the last id seen."""

    def answer(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        start = 0 if after is None else [item["id"] for item in items].index(after) + 1
        page = items[start : start + page_size]
        body: dict[str, Any] = {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "has_more": start + page_size < len(items),
        }
        if last_id:
            body["last_id"] = page[-1]["id"] if page else None
        return httpx.Response(200, json=body)

    return answer


def completions() -> list[dict[str, Any]]:
    return [completion_json(f"answer {i}", id=i) for i in IDS]


def store_messages(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"cc-1-{i}", "role": "user", "content": f"question {i}", "content_parts": None}
        for i in range(n)
    ]


# -- retrieve, update, delete ----------------------------------------------------------------------


@both
async def test_retrieve(kind: str) -> None:
    handler = Recorder(httpx.Response(200, json=completion_json("stored", id="cc-9")))
    client = make_client(kind, handler)
    completion = await resolve(
        client.chat.completions.retrieve("cc-9", extra_query={"include": "x"})
    )
    assert isinstance(completion, workbench.types.ChatCompletion)
    assert completion.id == "cc-9"
    assert completion.choices[0].message.content == "stored"
    request = handler.last
    assert request.method == "GET"
    assert request.url.path == "/v1/chat/completions/cc-9"
    assert request.url.params["include"] == "x"
    assert request.content == b""


@both
@pytest.mark.parametrize("metadata", [{"topic": "weather", "run": "3"}, None])
async def test_update_sends_the_metadata(kind: str, metadata: dict[str, str] | None) -> None:
    handler = Recorder(httpx.Response(200, json=completion_json(id="cc-9")))
    client = make_client(kind, handler)
    completion = await resolve(client.chat.completions.update("cc-9", metadata=metadata))
    assert completion.id == "cc-9"
    assert handler.last.method == "POST"
    assert handler.last.url.path == "/v1/chat/completions/cc-9"
    assert handler.body == {"metadata": metadata}
    assert handler.last.headers["content-type"] == "application/json"


@both
async def test_delete(kind: str) -> None:
    deleted = {"object": "chat.completion.deleted", "id": "cc-9", "deleted": True}
    handler = Recorder(httpx.Response(200, json=deleted))
    result = await resolve(make_client(kind, handler).chat.completions.delete("cc-9"))
    assert isinstance(result, workbench.types.ChatCompletionDeleted)
    assert result.deleted is True
    assert result.id == "cc-9"
    assert handler.last.method == "DELETE"
    assert handler.last.url.path == "/v1/chat/completions/cc-9"


@both
@pytest.mark.parametrize("bad", ["", None, 42])
async def test_an_empty_or_non_string_id_fails_before_sending(kind: str, bad: Any) -> None:
    handler = Recorder()
    client = make_client(kind, handler)
    for call in (
        lambda: client.chat.completions.retrieve(bad),
        lambda: client.chat.completions.delete(bad),
        lambda: client.chat.completions.update(bad, metadata={}),
        lambda: client.models.retrieve(bad),
    ):
        with pytest.raises(workbench.InvalidParameterError):
            await resolve(call())
    with pytest.raises(workbench.InvalidParameterError):
        await collect(client.chat.completions.messages.list(bad))
    assert handler.calls == 0


# -- list and its pages ----------------------------------------------------------------------------


@both
async def test_list_sends_every_filter_as_query_parameters(kind: str) -> None:
    handler = Recorder(paged(completions(), page_size=10))
    client = make_client(kind, handler)
    items = await collect(
        client.chat.completions.list(
            after="cc-2",
            limit=10,
            order="asc",
            model="gpt-4o",
            metadata={"topic": "weather", "run": "3"},
        )
    )
    assert [c.id for c in items] == IDS[2:]
    request = handler.last
    assert request.method == "GET"
    assert request.url.path == "/v1/chat/completions"
    assert sorted(request.url.params.multi_items()) == sorted(
        [
            ("after", "cc-2"),
            ("limit", "10"),
            ("order", "asc"),
            ("model", "gpt-4o"),
            ("metadata[topic]", "weather"),
            ("metadata[run]", "3"),
        ]
    )


@both
async def test_list_without_filters_sends_no_query(kind: str) -> None:
    handler = Recorder(paged(completions(), page_size=10))
    await collect(make_client(kind, handler).chat.completions.list())
    assert handler.last.url.query == b""


def test_sync_iteration_walks_every_page() -> None:
    handler = Recorder(paged(completions()))
    client = make_client("sync", handler)
    page = client.chat.completions.list(limit=2, model="gpt-4o", metadata={"k": "v"})
    assert isinstance(page, workbench.SyncCursorPage)
    assert handler.calls == 1  # the first page is fetched at once, the rest on demand
    assert [c.id for c in page.data] == IDS[:2]
    assert page.has_more
    items = list(page)
    assert [c.id for c in items] == IDS
    assert all(isinstance(c, workbench.types.ChatCompletion) for c in items)
    assert [c.choices[0].message.content for c in items] == [f"answer {i}" for i in IDS]
    assert handler.calls == 3
    assert [r.url.params.get("after") for r in handler.requests] == [None, "cc-2", "cc-4"]
    for request in handler.requests:  # the filters go with every page
        assert request.url.params["limit"] == "2"
        assert request.url.params["model"] == "gpt-4o"
        assert request.url.params["metadata[k]"] == "v"


def test_raw_list_gives_the_first_response_and_a_walking_page() -> None:
    handler = Recorder(paged(completions()))
    raw = make_client("sync", handler).chat.completions.with_raw_response.list(limit=2)
    assert isinstance(raw, workbench.APIResponse)
    assert raw.status_code == 200 and handler.calls == 1
    page = raw.parse()
    assert isinstance(page, workbench.SyncCursorPage)
    assert [c.id for c in page] == IDS
    assert handler.calls == 3


async def test_async_raw_list_gives_the_first_response() -> None:
    handler = Recorder(paged(completions()))
    client = make_client("async", handler)
    raw = await client.chat.completions.with_raw_response.list(limit=2)
    assert isinstance(raw, workbench.APIResponse)
    page = raw.parse()
    assert isinstance(page, workbench.AsyncCursorPage)
    assert [c.id async for c in page] == IDS
    raw_models = await client.models.with_raw_response.list()
    assert isinstance(raw_models, workbench.APIResponse)


def test_sync_pages_one_by_one() -> None:
    handler = Recorder(paged(completions()))
    page = make_client("sync", handler).chat.completions.list(limit=2)
    pages = list(page.iter_pages())
    assert [[c.id for c in p.data] for p in pages] == [IDS[:2], IDS[2:4], IDS[4:]]
    assert [p.has_next_page() for p in pages] == [True, True, False]
    with pytest.raises(LookupError):
        pages[-1].get_next_page()
    second = page.get_next_page()
    assert [c.id for c in second.data] == IDS[2:4]


async def test_async_for_walks_every_page() -> None:
    handler = Recorder(paged(completions()))
    client = make_client("async", handler)
    paginator = client.chat.completions.list(limit=2, order="desc")
    assert handler.calls == 0  # nothing is sent until awaited or iterated
    items = [c async for c in paginator]
    assert [c.id for c in items] == IDS
    assert handler.calls == 3
    assert [r.url.params.get("after") for r in handler.requests] == [None, "cc-2", "cc-4"]
    assert all(r.url.params["order"] == "desc" for r in handler.requests)


async def test_await_gives_the_first_page() -> None:
    handler = Recorder(paged(completions()))
    client = make_client("async", handler)
    page = await client.chat.completions.list(limit=2)
    assert isinstance(page, workbench.AsyncCursorPage)
    assert [c.id for c in page.data] == IDS[:2]
    assert page.has_more and page.has_next_page()
    assert handler.calls == 1
    second = await page.get_next_page()
    assert [c.id for c in second.data] == IDS[2:4]
    rest = [c.id async for c in second]  # iterating a page walks on from that page
    assert rest == IDS[2:]
    pages = [p async for p in page.iter_pages()]
    assert [len(p.data) for p in pages] == [2, 2, 1]


@both
async def test_pages_without_last_id_follow_the_last_item(kind: str) -> None:
    handler = Recorder(paged(completions(), last_id=False))
    items = await collect(make_client(kind, handler).chat.completions.list())
    assert [c.id for c in items] == IDS
    assert [r.url.params.get("after") for r in handler.requests] == [None, "cc-2", "cc-4"]


@both
async def test_an_empty_list(kind: str) -> None:
    handler = Recorder(paged([]))
    assert await collect(make_client(kind, handler).chat.completions.list()) == []
    assert handler.calls == 1


# -- messages of a stored completion ---------------------------------------------------------------


@both
async def test_messages_list_walks_pages_with_its_filters(kind: str) -> None:
    handler = Recorder(paged(store_messages(5)))
    client = make_client(kind, handler)
    items = await collect(client.chat.completions.messages.list("cc-1", limit=2, order="asc"))
    assert [m.id for m in items] == [f"cc-1-{i}" for i in range(5)]
    assert all(isinstance(m, workbench.types.ChatCompletionStoreMessage) for m in items)
    assert [m.content for m in items] == [f"question {i}" for i in range(5)]
    assert all(r.url.path == "/v1/chat/completions/cc-1/messages" for r in handler.requests)
    assert [r.url.params.get("after") for r in handler.requests] == [None, "cc-1-1", "cc-1-3"]
    assert all(r.url.params["limit"] == "2" and r.url.params["order"] == "asc"
               for r in handler.requests)  # fmt: skip


@both
async def test_messages_list_starts_after_a_cursor(kind: str) -> None:
    handler = Recorder(paged(store_messages(5)))
    client = make_client(kind, handler)
    items = await collect(client.chat.completions.messages.list("cc-1", after="cc-1-2"))
    assert [m.id for m in items] == ["cc-1-3", "cc-1-4"]
    assert handler.requests[0].url.params["after"] == "cc-1-2"


@both
async def test_a_stored_message_with_content_parts(kind: str) -> None:
    message = {
        "id": "cc-1-0",
        "role": "user",
        "content": None,
        "content_parts": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    }
    handler = Recorder(paged([message]))
    (item,) = await collect(make_client(kind, handler).chat.completions.messages.list("cc-1"))
    assert item.content_parts[0].text == "What is this?"
    assert item.content_parts[1].image_url == {"url": "https://example.com/a.png"}


# -- models ----------------------------------------------------------------------------------------

MODELS = [
    {"id": f"model-{i}", "object": "model", "created": 1686935002 + i, "owned_by": "openai"}
    for i in range(3)
]


@both
async def test_models_list(kind: str) -> None:
    handler = Recorder(httpx.Response(200, json={"object": "list", "data": MODELS}))
    client = make_client(kind, handler)
    models = await collect(client.models.list())
    assert [m.id for m in models] == ["model-0", "model-1", "model-2"]
    assert all(isinstance(m, workbench.types.Model) for m in models)
    assert models[2].created == 1686935002 + 2
    page = await resolve(client.models.list())
    assert [m.owned_by for m in page.data] == ["openai"] * 3
    assert not page.has_next_page()
    assert all(r.method == "GET" and r.url.path == "/v1/models" for r in handler.requests)
    assert handler.calls == 2


@both
async def test_models_list_from_a_server_that_sends_little(kind: str) -> None:
    # Ollama and llama.cpp send a bare list with some fields left out.
    handler = Recorder(httpx.Response(200, json={"data": [{"id": "llama3.2:1b"}]}))
    (model,) = await collect(make_client(kind, handler).models.list())
    assert model.id == "llama3.2:1b"


@both
async def test_models_retrieve(kind: str) -> None:
    body = {**MODELS[0], "id": "ft:gpt-4o-mini:acme:suffix:abc123", "extra_field": 1}
    handler = Recorder(httpx.Response(200, json=body))
    model = await resolve(make_client(kind, handler).models.retrieve(body["id"]))
    assert isinstance(model, workbench.types.Model)
    assert model.id == body["id"]
    assert model.extra_field == 1
    assert handler.last.method == "GET"
    assert handler.last.url.path == f"/v1/models/{body['id']}"


@both
async def test_store_true_then_retrieve_the_same_completion(kind: str) -> None:
    stored: dict[str, Any] = {}

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = completion_json("kept", id="cc-stored")
            stored["cc-stored"] = body
            return httpx.Response(200, json=body)
        return httpx.Response(200, json=stored[request.url.path.rsplit("/", 1)[1]])

    handler = Recorder(server)
    client = make_client(kind, handler)
    created = await resolve(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, store=True, metadata={"k": "v"}
        )
    )
    again = await resolve(client.chat.completions.retrieve(created.id))
    assert again == created
    assert handler.requests[0].content and b'"store":true' in handler.requests[0].content
