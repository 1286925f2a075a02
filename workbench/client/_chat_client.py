"""What the layers above need of a chat client, as protocols: any object that has it will do.

A conversation, a grid and the stored-completions export reach a client only through
``client.chat.completions``, and each needs a different part of it:

* ``ChatClient`` / ``AsyncChatClient``: ``create`` only. Enough for a conversation that asks
  for whole replies (``send(..., stream=False)``): a client of one's own can be this small.
* ``StreamingChatClient`` / ``AsyncStreamingChatClient``: ``create`` and ``stream``. What a
  conversation streams with, and what a grid's cells send with.
* ``StoredChatClient`` / ``AsyncStoredChatClient``: ``retrieve``, ``list`` and
  ``messages.list`` besides ``create``. What ``stored_dataframe`` reads with, and what
  ``Conversation.from_stored`` reads and goes on with.

``is_async_client`` tells the two kinds apart at run time, for a client of any package.

``workbench.Client`` and ``AsyncClient`` are all three, and so are the ``openai`` package's
``OpenAI`` and ``AsyncOpenAI`` (``tests/typing_clients.py`` has ``mypy`` check it, and that a
sync client is never taken for an async one). The three are one generic ``ChatAPI`` over what
its ``chat.completions`` can do, so that the tree ``client.chat.completions`` is written once.

Members a client may lack are read with ``getattr`` by those who use them, so they are not
required here: ``chat.completions.with_raw_response`` (a whole reply's headers: its request id,
a price the server reported), a stream's ``response`` (the same, streamed), ``base_url`` (to
price replies), ``api_key`` (kept out of the log and exports), and the workbench client's
``profile`` and ``local_model``.

The methods take any arguments here (``*args: Any, **kwargs: Any``): the two packages spell the
parameters of ``create`` differently (an ``Unpack`` of a ``TypedDict``, or one keyword each),
and a protocol can only ask for what both accept. They are called with keywords, as the API
names them: ``create(messages=..., model=..., **params)``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

from typing_extensions import TypeIs

__all__ = [
    "AsyncChatClient",
    "AsyncChatCompletions",
    "AsyncChatStream",
    "AsyncStoredChatClient",
    "AsyncStoredChatCompletions",
    "AsyncStoredMessages",
    "AsyncStreamingChatClient",
    "AsyncStreamingChatCompletions",
    "ChatAPI",
    "ChatClient",
    "ChatCompletionLike",
    "ChatCompletions",
    "ChatNamespace",
    "ChatStream",
    "StoredChatClient",
    "StoredChatCompletions",
    "StoredMessages",
    "StreamingChatClient",
    "StreamingChatCompletions",
    "is_async_client",
]

_Completions_co = TypeVar("_Completions_co", covariant=True)


class ChatCompletionLike(Protocol):
    """A chat completion as a client returns it: workbench's model, or ``openai``'s.

    A conversation reads its choices and dumps it (to parse it into workbench's model). That a
    coroutine has neither is also what tells a sync client from an async one.
    """

    @property
    def choices(self) -> Sequence[Any]:
        """The choices, each with a ``message`` and a ``finish_reason``."""
        ...

    def model_dump(self, *, exclude_unset: bool = ...) -> dict[str, Any]:
        """The completion as a dict (pydantic's ``model_dump``)."""
        ...


class ChatNamespace(Protocol[_Completions_co]):
    """``client.chat``: it holds ``completions``."""

    @property
    def completions(self) -> _Completions_co:
        """``client.chat.completions``."""
        ...


class ChatAPI(Protocol[_Completions_co]):
    """A client whose ``chat.completions`` is a ``_Completions_co`` (see the aliases below)."""

    @property
    def chat(self) -> ChatNamespace[_Completions_co]:
        """``client.chat``."""
        ...


# -- sync ------------------------------------------------------------------------------------


class ChatStream(Protocol):
    """What ``with client.chat.completions.stream(...) as stream`` gives: typed events."""

    def __iter__(self) -> Iterator[Any]:
        """The events (``content.delta``, ``tool_calls.function.arguments.delta``, ...)."""
        ...

    def until_done(self) -> object:
        """Read the rest of the stream."""
        ...

    @property
    def current_completion_snapshot(self) -> ChatCompletionLike:
        """The completion as accumulated so far (all of it, after ``until_done``)."""
        ...


class ChatCompletions(Protocol):
    """``client.chat.completions`` of a sync client that can ask for whole replies."""

    def create(self, *args: Any, **kwargs: Any) -> ChatCompletionLike:
        """A chat completion (``messages=``, ``model=`` and the request's parameters)."""
        ...


@runtime_checkable
class StreamingChatCompletions(ChatCompletions, Protocol):
    """``client.chat.completions`` of a sync client that streams too.

    ``isinstance(completions, StreamingChatCompletions)`` checks only that ``create`` and
    ``stream`` are there (a driver can narrow with it before streaming).
    """

    def stream(self, *args: Any, **kwargs: Any) -> AbstractContextManager[ChatStream]:
        """A streamed completion, as typed events (the same keywords as ``create``)."""
        ...


class StoredMessages(Protocol):
    """``client.chat.completions.messages``: the request messages of a stored completion."""

    def list(self, *args: Any, **kwargs: Any) -> Iterable[Any]:
        """``list(completion_id, order=...)``: the messages, every page."""
        ...


class StoredChatCompletions(ChatCompletions, Protocol):
    """``client.chat.completions`` of a sync client that reads stored completions (and
    ``create``s, to go on with one reopened)."""

    def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        """``retrieve(completion_id)``: a stored completion (the client's own model of it)."""
        ...

    def list(self, *args: Any, **kwargs: Any) -> Iterable[Any]:
        """Stored completions (``limit=``, ``order=``, ``model=``, ``metadata=``), every page."""
        ...

    @property
    def messages(self) -> StoredMessages:
        """The request messages of stored completions."""
        ...


ChatClient: TypeAlias = ChatAPI[ChatCompletions]
"""A sync client a conversation can ask for whole replies: ``chat.completions.create``."""

StreamingChatClient: TypeAlias = ChatAPI[StreamingChatCompletions]
"""A sync client that streams too: ``chat.completions.create`` and ``stream``."""

StoredChatClient: TypeAlias = ChatAPI[StoredChatCompletions]
"""A sync client that reads stored completions: ``chat.completions.retrieve``, ``list`` and
``messages.list`` (and ``create``)."""


# -- async -----------------------------------------------------------------------------------


class AsyncChatStream(Protocol):
    """What ``async with client.chat.completions.stream(...) as stream`` gives."""

    def __aiter__(self) -> AsyncIterator[Any]:
        """The events, as ``ChatStream`` gives them."""
        ...

    async def until_done(self) -> object:
        """Read the rest of the stream."""
        ...

    @property
    def current_completion_snapshot(self) -> ChatCompletionLike:
        """The completion as accumulated so far (all of it, after ``until_done``)."""
        ...


class AsyncChatCompletions(Protocol):
    """``client.chat.completions`` of an async client that can ask for whole replies."""

    async def create(self, *args: Any, **kwargs: Any) -> ChatCompletionLike:
        """A chat completion (``messages=``, ``model=`` and the request's parameters)."""
        ...


@runtime_checkable
class AsyncStreamingChatCompletions(AsyncChatCompletions, Protocol):
    """``client.chat.completions`` of an async client that streams too (``isinstance`` checks
    only that ``create`` and ``stream`` are there)."""

    def stream(self, *args: Any, **kwargs: Any) -> AbstractAsyncContextManager[AsyncChatStream]:
        """A streamed completion, as typed events (the same keywords as ``create``)."""
        ...


class AsyncStoredMessages(Protocol):
    """``client.chat.completions.messages`` of an async client."""

    def list(self, *args: Any, **kwargs: Any) -> AsyncIterable[Any]:
        """``list(completion_id, order=...)``: ``async for`` every message."""
        ...


class AsyncStoredChatCompletions(AsyncChatCompletions, Protocol):
    """``client.chat.completions`` of an async client that reads stored completions (and
    ``create``s)."""

    async def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        """``retrieve(completion_id)``: a stored completion (the client's own model of it)."""
        ...

    def list(self, *args: Any, **kwargs: Any) -> AsyncIterable[Any]:
        """Stored completions: ``async for`` every one."""
        ...

    @property
    def messages(self) -> AsyncStoredMessages:
        """The request messages of stored completions."""
        ...


AsyncChatClient: TypeAlias = ChatAPI[AsyncChatCompletions]
"""An async client a conversation can ask for whole replies: ``chat.completions.create``."""

AsyncStreamingChatClient: TypeAlias = ChatAPI[AsyncStreamingChatCompletions]
"""An async client that streams too: ``chat.completions.create`` and ``stream``."""

AsyncStoredChatClient: TypeAlias = ChatAPI[AsyncStoredChatCompletions]
"""An async client that reads stored completions: ``chat.completions.retrieve``, ``list`` and
``messages.list`` (and ``create``)."""


def is_async_client(client: ChatClient | AsyncChatClient) -> TypeIs[AsyncChatClient]:
    """Whether ``client`` is async: its ``chat.completions.create`` is a coroutine function.

    ``inspect.unwrap`` sees through decorators that hide it (``openai``'s ``required_args``
    wraps ``AsyncOpenAI``'s ``create`` in a plain function).
    """
    create = client.chat.completions.create
    return inspect.iscoroutinefunction(inspect.unwrap(create))
