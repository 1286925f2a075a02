"""Static checks, run by ``mypy`` (``pyproject.toml``'s ``files``), not by pytest: which clients
fit the protocols of ``workbench/client/_chat_client.py``, and which must not.

A line that must *not* type-check carries ``# type: ignore[...]``: mypy's strict mode reports an
ignore that is not needed (``warn_unused_ignores``), so each such line fails the check the day
it starts to type-check. A line without one fails the day it stops.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import openai

import workbench
from workbench import (
    AsyncChatClient,
    AsyncClient,
    AsyncStoredChatClient,
    AsyncStreamingChatClient,
    ChatClient,
    Client,
    StoredChatClient,
    StreamingChatClient,
)
from workbench.client._chat_client import is_async_client
from workbench.types import ChatCompletion

# Each takes one kind of client: a call that must not type-check names the kind it is not.


def chat(client: ChatClient) -> None: ...


def streaming(client: StreamingChatClient) -> None: ...


def stored(client: StoredChatClient) -> None: ...


def async_chat(client: AsyncChatClient) -> None: ...


def async_streaming(client: AsyncStreamingChatClient) -> None: ...


def async_stored(client: AsyncStoredChatClient) -> None: ...


# -- the two packages' clients -----------------------------------------------------------------


def workbench_sync(client: Client) -> tuple[ChatClient, StreamingChatClient, StoredChatClient]:
    return client, client, client


def workbench_async(
    client: AsyncClient,
) -> tuple[AsyncChatClient, AsyncStreamingChatClient, AsyncStoredChatClient]:
    return client, client, client


def openai_sync(
    client: openai.OpenAI,
) -> tuple[ChatClient, StreamingChatClient, StoredChatClient]:
    return client, client, client


def openai_async(
    client: openai.AsyncOpenAI,
) -> tuple[AsyncChatClient, AsyncStreamingChatClient, AsyncStoredChatClient]:
    return client, client, client


def a_sync_client_is_not_async(ours: Client, theirs: openai.OpenAI) -> None:
    async_chat(ours)  # type: ignore[arg-type]
    async_streaming(ours)  # type: ignore[arg-type]
    async_stored(ours)  # type: ignore[arg-type]
    async_chat(theirs)  # type: ignore[arg-type]
    async_streaming(theirs)  # type: ignore[arg-type]
    async_stored(theirs)  # type: ignore[arg-type]


def an_async_client_is_not_sync(ours: AsyncClient, theirs: openai.AsyncOpenAI) -> None:
    chat(ours)  # type: ignore[arg-type]
    streaming(ours)  # type: ignore[arg-type]
    stored(ours)  # type: ignore[arg-type]
    chat(theirs)  # type: ignore[arg-type]
    streaming(theirs)  # type: ignore[arg-type]
    stored(theirs)  # type: ignore[arg-type]


# -- clients of one's own ----------------------------------------------------------------------


class _CreateOnlyCompletions:
    def create(self, *, messages: list[dict[str, Any]], **params: Any) -> ChatCompletion:
        raise NotImplementedError


class _Stream:
    def __iter__(self) -> Iterator[object]:
        return iter(())

    def until_done(self) -> _Stream:
        return self

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        raise NotImplementedError


class _StreamingCompletions(_CreateOnlyCompletions):
    @contextlib.contextmanager
    def stream(self, *, messages: list[dict[str, Any]], **params: Any) -> Iterator[_Stream]:
        yield _Stream()


class _AsyncCreateOnlyCompletions:
    async def create(self, **params: Any) -> ChatCompletion:
        raise NotImplementedError


class _TextCompletions:
    def create(self, **params: Any) -> str:
        return "a reply, but not a completion"


class _Chat:
    completions = _CreateOnlyCompletions()


class _StreamingChat:
    completions = _StreamingCompletions()


class _AsyncChat:
    completions = _AsyncCreateOnlyCompletions()


class _TextChat:
    completions = _TextCompletions()


class CreateOnly:
    """The smallest client a conversation takes (it then asks for whole replies)."""

    chat = _Chat()


class Streaming:
    """A client of one's own that streams too."""

    def __init__(self) -> None:
        self.chat = _StreamingChat()


class AsyncCreateOnly:
    chat = _AsyncChat()


class TextOnly:
    """A ``create`` that returns text: not what a conversation reads."""

    chat = _TextChat()


def a_create_only_client_is_a_chat_client(client: CreateOnly) -> ChatClient:
    return client


def a_create_only_client_does_not_stream(client: CreateOnly) -> None:
    streaming(client)  # type: ignore[arg-type]
    stored(client)  # type: ignore[arg-type]
    async_chat(client)  # type: ignore[arg-type]


def a_streaming_client_of_ones_own(client: Streaming) -> tuple[ChatClient, StreamingChatClient]:
    return client, client


def an_async_create_only_client(client: AsyncCreateOnly) -> AsyncChatClient:
    return client


def an_async_create_only_client_is_not_sync(client: AsyncCreateOnly) -> None:
    chat(client)  # type: ignore[arg-type]


def a_create_that_returns_text_is_not_a_chat_client(client: TextOnly) -> None:
    chat(client)  # type: ignore[arg-type]


# -- the public functions that take them ---------------------------------------------------------


def a_grid_and_the_stored_completions_take_either_package(
    ours: AsyncClient, theirs: openai.AsyncOpenAI, sync: openai.OpenAI
) -> None:
    workbench.Grid("Hi", client=ours)
    workbench.Grid("Hi", client=theirs)
    workbench.stored_dataframe(theirs)
    workbench.stored_dataframe(sync)
    workbench.Conversation.from_stored(sync, "chatcmpl-1")


def a_grid_streams(client: CreateOnly) -> None:
    workbench.Grid("Hi", client=client)  # type: ignore[arg-type]
    workbench.stored_dataframe(client)  # type: ignore[arg-type]


def is_async_client_narrows(client: ChatClient | AsyncChatClient) -> ChatClient:
    if is_async_client(client):
        async_chat(client)
        chat(client)  # type: ignore[arg-type]
        raise ValueError("async")
    return client
