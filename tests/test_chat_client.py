"""The clients the protocols of ``workbench/client/_chat_client.py`` admit, at run time: the
``openai`` package's and a client of one's own with ``create`` only hold a conversation and read
stored completions. (``tests/typing_clients.py`` checks the same statically.)"""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import httpx
import openai
import pytest

import workbench
from workbench.client._chat_client import is_async_client
from workbench.conversation import Conversation
from workbench.conversation._model_ids import model_ids
from workbench.local import LocalModel, LocalTransport
from workbench.types import ChatCompletion

URL = "http://workbench.local/v1"
MODEL = "workbench-local"


def openai_sync(model: LocalModel) -> openai.OpenAI:
    pool = httpx.Client(transport=LocalTransport(model))
    return openai.OpenAI(base_url=URL, api_key="sk-test", http_client=pool)


def openai_async(model: LocalModel) -> openai.AsyncOpenAI:
    pool = httpx.AsyncClient(transport=LocalTransport(model))
    return openai.AsyncOpenAI(base_url=URL, api_key="sk-test", http_client=pool)


class CreateOnly:
    """The smallest client a conversation takes: ``chat.completions.create`` and nothing else."""

    def __init__(self, client: workbench.Client) -> None:
        self._client = client
        self.chat = self
        self.completions = self
        self.calls = 0

    def create(self, **request: Any) -> ChatCompletion:
        self.calls += 1
        completion: ChatCompletion = self._client.chat.completions.create(**request)
        return completion


class AsyncCreateOnly:
    """The same, async."""

    def __init__(self) -> None:
        self.chat = self
        self.completions = self

    async def create(self, **request: Any) -> ChatCompletion:
        raise AssertionError("not sent")


def test_is_async_client_tells_the_kinds_apart_whatever_their_package() -> None:
    model = LocalModel()
    sync = [workbench.Client(local=model), openai_sync(model), CreateOnly(workbench.Client())]
    asyn = [workbench.AsyncClient(local=model), openai_async(model), AsyncCreateOnly()]
    assert [is_async_client(c) for c in sync] == [False] * 3
    assert [is_async_client(c) for c in asyn] == [True] * 3


def test_a_create_only_client_holds_a_conversation_of_whole_replies() -> None:
    client = CreateOnly(workbench.Client(local=LocalModel()))
    chat = Conversation(model=MODEL, client=client, log=False)
    reply = chat.send("Hello", stream=False)
    assert reply.status == "complete" and reply.text and client.calls == 1
    assert reply.request_id is None, "no headers without with_raw_response"


def test_openai_clients_hold_a_conversation_of_whole_replies() -> None:
    model = LocalModel()
    chat = Conversation(model=MODEL, client=openai_sync(model), log=False)
    assert chat.send("Hello", stream=False).status == "complete"
    chat = Conversation(model=MODEL, client=openai_async(model), log=False)
    assert asyncio.run(chat.asend("Hello", stream=False)).status == "complete"


# Gaps in workbench/conversation (the lead's files), kept failing here until they are closed.
_NO_RESPONSE = "_drive reads stream.response, which openai's streams do not have"
_NOT_ITS_KIND = "the conversation takes any client that is not workbench's for the other kind"


def test_an_openai_client_streams_a_conversation() -> None:
    chat = Conversation(model=MODEL, client=openai_sync(LocalModel()), log=False)
    assert chat.send("Hello").status == "complete"


def test_an_async_openai_client_streams_a_conversation() -> None:
    chat = Conversation(model=MODEL, client=openai_async(LocalModel()), log=False)
    assert asyncio.run(chat.asend("Hello")).status == "complete"


def test_send_with_an_async_openai_client() -> None:
    chat = Conversation(model=MODEL, client=openai_async(LocalModel()), log=False)
    try:
        reply = chat.send("Hello", stream=False)
    except AttributeError as exc:
        failure = str(exc)
    else:
        assert reply.status == "complete"
        return
    # The coroutine create() made is never awaited: let it go here, not in a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gc.collect()
    raise AttributeError(failure)


def test_asend_with_a_sync_openai_client() -> None:
    chat = Conversation(model=MODEL, client=openai_sync(LocalModel()), log=False)
    assert asyncio.run(chat.asend("Hello", stream=False)).status == "complete"


def test_openai_clients_read_stored_completions() -> None:
    model = LocalModel()
    ours = workbench.Client(local=model)
    chat = Conversation(model="gpt-4o-mini", client=ours, log=False, store=True)
    chat.send("Which stored completion is this?")
    expected = workbench.stored_dataframe(ours)
    for client in (openai_sync(model), openai_async(model)):
        df = workbench.stored_dataframe(client)
        assert df.drop(columns="created").equals(expected.drop(columns="created"))
        reopened = Conversation.from_stored(client, str(df["id"][0]), log=False)
        assert reopened.to_messages() == chat.to_messages()
        assert reopened.messages[-1].usage == chat.messages[-1].usage


def test_model_ids_of_any_client_sync_or_async() -> None:
    model = LocalModel()
    expected = model_ids(workbench.Client(local=model))
    assert MODEL in expected
    for client in (workbench.AsyncClient(local=model), openai_sync(model), openai_async(model)):
        assert model_ids(client) == expected
    with pytest.raises(TypeError, match=r"CreateOnly\) has no models.list\(\)"):
        model_ids(CreateOnly(workbench.Client(local=model)))


def test_a_create_only_client_cannot_stream_and_says_so() -> None:
    client = CreateOnly(workbench.Client(local=LocalModel()))
    chat = Conversation(model=MODEL, client=client, log=False)
    with pytest.raises(workbench.InvalidParameterError, match=r"CreateOnly.*stream=False"):
        chat.send("Hello")


def test_edit_and_regenerate_and_their_twins_with_either_kind_of_client() -> None:
    model = LocalModel()
    chat = Conversation(model=MODEL, client=workbench.AsyncClient(local=model), log=False)
    chat.send("Hi")
    assert chat.regenerate().status == "complete" and chat.edit(0, "Hello").status == "complete"
    chat = Conversation(model=MODEL, client=workbench.Client(local=model), log=False)
    chat.send("Hi")

    async def twins() -> list[Any]:
        return [await chat.aregenerate(), await chat.aedit(0, "Hello")]

    assert [m.status for m in asyncio.run(twins())] == ["complete", "complete"]
    assert len(chat.branches(0)) == 2 and len(chat.branches(1)) == 1
