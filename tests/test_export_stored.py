"""Stored completions: ``stored_dataframe`` lists them, ``Conversation.from_stored`` reopens one."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

import workbench
from tests.test_export import DTYPES, get_weather
from workbench.conversation import Conversation
from workbench.local import LocalModel

COLUMNS = {
    "id": "str",
    "created": DTYPES["created"],
    "model": "str",
    "metadata": "object",
    "first_user_message": "str",
    "reply": "str",
    "finish_reason": "str",
    **{name: DTYPES[name] for name in ("prompt_tokens", "completion_tokens", "total_tokens")},
    **{name: DTYPES[name] for name in ("cached_tokens", "reasoning_tokens", "usage", "cost_usd")},
    "request_id": "str",
    "params": "object",
    "service_tier": "str",
}


@pytest.fixture
def client() -> workbench.Client:
    return workbench.Client(local=LocalModel())


def stored_chats(client: workbench.Client) -> list[Conversation]:
    """Three stored conversations (two models, two metadata values) and one not stored."""
    chats = []
    for model, run in (("gpt-4o-mini", "a"), ("gpt-4o", "b"), ("gpt-4o-mini", "b")):
        chat = Conversation(
            model=model, client=client, log=False, store=True, metadata={"run": run}
        )
        chat.send(f"Question for {model} in run {run}")
        chats.append(chat)
    Conversation(client=client, log=False).send("Not stored")
    return chats


def test_stored_completions_as_a_table(client: workbench.Client) -> None:
    chats = stored_chats(client)
    df = workbench.stored_dataframe(client)
    assert {k: str(v) for k, v in df.dtypes.items()} == COLUMNS
    assert len(df) == 3, "only the stored ones"
    newest_first = list(reversed(chats))
    for row, chat in zip(df.itertuples(), newest_first, strict=True):
        user, reply = chat.messages
        assert row.first_user_message == user.content
        assert row.reply == reply.content
        assert row.model == reply.model and row.finish_reason == "stop"
        assert reply.usage is not None and row.total_tokens == reply.usage.total_tokens
        assert row.usage == reply.usage.model_dump()
        assert row.metadata == chat.params.metadata
        assert abs(row.created.timestamp() - reply.created) < 2
        assert pd.isna(row.cost_usd), "the local model has no price"
    oldest_first = workbench.stored_dataframe(client, order="asc")
    assert oldest_first["id"].tolist() == df["id"].tolist()[::-1]


def test_filters_and_limit(client: workbench.Client) -> None:
    stored_chats(client)
    assert workbench.stored_dataframe(client, model="gpt-4o")["model"].tolist() == ["gpt-4o"]
    runs = workbench.stored_dataframe(client, metadata={"run": "b"})
    assert [m["run"] for m in runs["metadata"]] == ["b", "b"]
    assert len(workbench.stored_dataframe(client, limit=2)) == 2
    assert len(workbench.stored_dataframe(client, limit=0)) == 0
    quick = workbench.stored_dataframe(client, messages=False)
    assert quick["first_user_message"].isna().all() and quick["reply"].notna().all()


def test_an_async_client_lists_too() -> None:
    model = LocalModel()
    stored_chats(workbench.Client(local=model))
    df = workbench.stored_dataframe(workbench.AsyncClient(local=model))
    assert len(df) == 3 and df["first_user_message"].notna().all()


def test_reopen_a_stored_completion_as_a_live_conversation(client: workbench.Client) -> None:
    chat = Conversation(
        model="gpt-4o-mini",
        client=client,
        system="Be brief.",
        tools=[get_weather],
        log=False,
        store=True,
        temperature=0.4,
    )
    chat.send("What is the weather in Paris?")
    last = workbench.stored_dataframe(client, limit=1)["id"][0]
    reopened = Conversation.from_stored(client, last, tools=[get_weather], log=False)
    assert reopened.to_messages() == chat.to_messages()
    assert reopened.system == "Be brief."
    reply, original = reopened.messages[-1], chat.messages[-1]
    assert reply.usage == original.usage and reply.model == original.model
    assert reply.params["store"] is True and reply.finish_reason == "stop"
    assert reopened.params.model == original.model
    follow_up = reopened.send("And tomorrow?")
    assert follow_up.status == "complete" and len(reopened) == len(chat) + 2


def test_an_unknown_completion_is_not_found(client: workbench.Client) -> None:
    with pytest.raises(workbench.NotFoundError):
        Conversation.from_stored(client, "chatcmpl-nowhere", log=False)


def test_parameters_the_server_reports_are_kept() -> None:
    """OpenAI reports the request's sampling parameters with a stored completion."""
    stored = {
        "object": "chat.completion",
        "id": "chatcmpl-9",
        "model": "gpt-4o-mini",
        "created": 1738960610,
        "request_id": "req_1",
        "temperature": 0.7,
        "top_p": 1.0,
        "seed": 4944116822809979520,
        "metadata": {"topic": "haiku"},
        "tools": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Mind of circuits hum"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 13, "completion_tokens": 18, "total_tokens": 31},
    }
    messages = {
        "object": "list",
        "data": [{"id": "chatcmpl-9-0", "role": "user", "content": "write a haiku about ai"}],
        "first_id": "chatcmpl-9-0",
        "last_id": "chatcmpl-9-0",
        "has_more": False,
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, json=messages)
        if request.url.path.endswith("/chatcmpl-9"):
            return httpx.Response(200, json=stored)
        page = {"object": "list", "data": [stored], "has_more": False}
        return httpx.Response(200, json=page)

    client = workbench.Client(
        api_key="sk-test", http_client=httpx.Client(transport=httpx.MockTransport(answer))
    )
    df = workbench.stored_dataframe(client)
    assert df["request_id"][0] == "req_1" and df["cost_usd"][0] > 0
    assert df["params"][0] == {
        "temperature": 0.7,
        "top_p": 1.0,
        "seed": 4944116822809979520,
        "metadata": {"topic": "haiku"},
    }
    chat = Conversation.from_stored(client, "chatcmpl-9", log=False)
    assert chat.params.temperature == 0.7 and chat.params.seed is None, "not the server's seed"
    assert chat.messages[-1].params["seed"] == 4944116822809979520
    assert chat.messages[-1].request_id == "req_1"
    assert [m.content for m in chat.messages] == ["write a haiku about ai", "Mind of circuits hum"]
