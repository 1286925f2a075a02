"""Test helpers: a recording MockTransport handler, SSE bodies, the spec validator, a server."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx
import jsonschema
import pytest
import referencing
from referencing.jsonschema import DRAFT202012

import workbench
from tests.conftest import SPEC_PATH

KEY = "sk-canary-XYZ123"
CHAT_SERVER = "https://chat.example.test/v1"
"""A mock client's base URL: a Chat Completions server that is not OpenAI's own API."""
"""A canary API key: it must never show up in an error, a repr or a log."""

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Say hi"}]
KINDS = ("sync", "async")
both = pytest.mark.parametrize("kind", KINDS)
"""Run a test once with ``Client`` and once with ``AsyncClient`` (the test gets ``kind``)."""


async def run_script(
    kind: str,
    sync_script: Callable[[workbench.Client], Any],
    async_script: Callable[[workbench.AsyncClient], Any],
    **options: Any,
) -> Any:
    """``sync_script`` on a ``Client`` or ``async_script`` on an ``AsyncClient`` made with
    ``max_retries=0`` and ``options``, closed after it."""
    if kind == "sync":
        with workbench.Client(max_retries=0, **options) as client:
            return sync_script(client)
    async with workbench.AsyncClient(max_retries=0, **options) as aclient:
        return await async_script(aclient)


# -- wire data -----------------------------------------------------------------------------------


def completion_json(content: str | None = "Hello!", *, id: str = "chatcmpl-1") -> dict[str, Any]:
    """A minimal, complete ``chat.completion`` object."""
    return {
        "id": id,
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def chunk_json(
    delta: Mapping[str, Any] | None = None, *, finish_reason: str | None = None, index: int = 0
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with one choice."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": index,
                "delta": dict(delta or {}),
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
    }


def text_chunks(*pieces: str) -> list[dict[str, Any]]:
    """Chunks that stream ``pieces`` as assistant content, then a ``stop`` chunk."""
    first = [chunk_json({"role": "assistant", "content": ""})]
    middle = [chunk_json({"content": piece}) for piece in pieces]
    return [*first, *middle, chunk_json({}, finish_reason="stop")]


def sse_body(*events: Mapping[str, Any] | str, done: bool = True) -> bytes:
    """An event-stream body: dicts become ``data: {json}`` events, strings are sent as they are."""
    parts = [e if isinstance(e, str) else f"data: {json.dumps(e)}\n\n" for e in events]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def sse_response(body: bytes | Iterable[bytes], **headers: str) -> httpx.Response:
    """A 200 event-stream response; ``body`` may be the pieces to deliver one by one."""
    content = body if isinstance(body, (bytes, Pieces)) else Pieces(body)
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream", **headers},
        **({"content": content} if isinstance(content, bytes) else {"stream": content}),
    )


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given pieces, to sync and async clients alike."""

    def __init__(self, pieces: Iterable[bytes | Exception]) -> None:
        self._pieces = list(pieces)

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._pieces:
            if isinstance(piece, Exception):
                raise piece
            yield piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            if isinstance(piece, Exception):
                raise piece
            yield piece


# -- the recording handler -----------------------------------------------------------------------

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A ``MockTransport`` handler that records every request and answers from a script.

    Each request takes the next answer (the last one repeats): an ``httpx.Response``, an exception
    to raise (``httpx.ConnectError(...)``), or a function of the request. Every JSON body sent to
    ``POST /chat/completions`` is checked against the spec's ``CreateChatCompletionRequest``.
    """

    def __init__(self, *answers: Answer, validate: bool = True) -> None:
        self.answers = list(answers) or [httpx.Response(200, json=completion_json())]
        self.validate = validate
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if (
            self.validate
            and request.method == "POST"
            and request.url.path.endswith("/chat/completions")
        ):
            assert_valid_request(json.loads(request.content))
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            # A Response object can be sent once; give each request a fresh copy.
            return _copy(answer)
        return answer(request)

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    @property
    def body(self) -> Any:
        """The JSON body of the last request."""
        return json.loads(self.last.content)


def _copy(response: httpx.Response) -> httpx.Response:
    stream = response.stream
    if isinstance(stream, Pieces):
        return httpx.Response(response.status_code, headers=response.headers, stream=stream)
    return httpx.Response(response.status_code, headers=response.headers, content=response.read())


def make_client(kind: str, handler: Any = None, **kwargs: Any) -> Any:
    """A ``Client`` (kind "sync") or ``AsyncClient`` over a ``MockTransport`` of ``handler``.

    Its base URL is an OpenAI-compatible Chat Completions server's (``CHAT_SERVER``), not
    OpenAI's own, so a ``Conversation`` on it takes Chat Completions under the default
    ``api="auto"``; pass ``base_url=`` for another.
    """
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("base_url", CHAT_SERVER)
    transport = httpx.MockTransport(handler or Recorder())
    if kind == "sync":
        return workbench.Client(http_client=httpx.Client(transport=transport), **kwargs)
    return workbench.AsyncClient(http_client=httpx.AsyncClient(transport=transport), **kwargs)


def real_client(kind: str, **kwargs: Any) -> Any:
    """A client with its own connection pool, for ``TinyServer`` (conftest clears proxy variables).

    Close it: ``await close(client)``.
    """
    kwargs.setdefault("api_key", KEY)
    return (workbench.Client if kind == "sync" else workbench.AsyncClient)(**kwargs)


async def resolve(value: Any) -> Any:
    """Await ``value`` if the async client returned an awaitable; a sync result passes through."""
    if inspect.isawaitable(value):
        return await value
    return value


async def create(client: Any, **kwargs: Any) -> Any:
    """``client.chat.completions.create(...)`` with a default model and messages, for both kinds."""
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("messages", MESSAGES)
    return await resolve(client.chat.completions.create(**kwargs))


async def each(iterable: Any) -> AsyncIterator[Any]:
    """Iterate a sync or async iterable with ``async for``: one loop body for both kinds."""
    if hasattr(iterable, "__aiter__"):
        async for item in iterable:
            yield item
    else:
        for item in iterable:
            yield item


async def stream_and_final(manager: Any, final: str) -> tuple[list[Any], Any]:
    """Every event of a sync or async ``.stream()`` manager, and what its ``final`` method
    (``get_final_completion``, ``get_final_response``) gives at the end."""
    if hasattr(manager, "__aenter__"):
        async with manager as stream:
            events = [event async for event in stream]
            return events, await getattr(stream, final)()
    with manager as stream:
        events = list(stream)
        return events, getattr(stream, final)()


async def collect(iterable: Any) -> list[Any]:
    """Every item of a sync or async iterable."""
    return [item async for item in each(iterable)]


async def close(obj: Any) -> None:
    """Close a sync or async client or stream."""
    await resolve(obj.close())


def patch_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make both clients record the delays they would sleep instead of sleeping."""
    delays: list[float] = []

    def sleep(self: object, seconds: float) -> None:
        delays.append(seconds)

    async def asleep(self: object, seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(workbench.Client, "_sleep", sleep)
    monkeypatch.setattr(workbench.AsyncClient, "_sleep", asleep)
    return delays


# -- the OpenAPI spec ----------------------------------------------------------------------------

_SPEC_URI = "urn:openai-chat-completions"


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


def _nullable_to_null(node: Any) -> Any:
    """Rewrite OpenAPI 3.0's ``nullable: true`` (still used in this 3.1 file) as JSON Schema.

    JSON Schema 2020-12 ignores ``nullable``, so without this ``{"type": "integer", "nullable":
    true}`` would refuse the ``null`` the API documents as allowed.
    """
    if isinstance(node, list):
        return [_nullable_to_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_to_null(value) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``components.schemas[name]`` of the spec, with its ``$ref``s resolved."""
    resource = DRAFT202012.create_resource(_nullable_to_null(spec()))
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(_SPEC_URI, resource)
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def spec_validator(
    document: dict[str, Any], uri: str, name: str
) -> jsonschema.Draft202012Validator:
    """A validator for ``components.schemas[name]`` of another spec ``document`` (known by
    ``uri``), with its ``$ref``s resolved."""
    resource = DRAFT202012.create_resource(_nullable_to_null(document))
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(uri, resource)
    return jsonschema.Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{name}"}, registry=registry
    )


def assert_valid_request(body: Any) -> None:
    """Fail with every violation if ``body`` is not a valid ``CreateChatCompletionRequest``."""
    errors = sorted(
        schema_validator("CreateChatCompletionRequest").iter_errors(body), key=lambda e: e.path
    )
    if errors:
        lines = [f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]]
        raise AssertionError(
            "request body does not match CreateChatCompletionRequest:\n" + "\n".join(lines)
        )


def example_values(text: str) -> list[Any]:
    """The JSON values of one of the spec's example strings.

    The published examples hold several objects separated by blank lines (a stream), ``....``
    where chunks were left out, and trailing commas; all three are handled here.
    """
    text = re.sub(r",(\s*[\]}])", r"\1", text)
    try:
        return [json.loads(text)]
    except ValueError:
        blocks = (block.strip() for block in text.split("\n\n"))
        return [json.loads(block) for block in blocks if block.strip(".")]


# -- a tiny real server --------------------------------------------------------------------------


class TinyServer:
    """An HTTP server on 127.0.0.1 for the few tests where a real socket matters.

    ``script(server, conn, n)`` answers connection number ``n`` (from 0) after its request was
    read. The server, its threads and every connection are stopped on ``__exit__``; a script that
    waits must wait on ``server.stopping`` so that it ends then.
    """

    def __init__(self, script: Callable[[TinyServer, socket.socket, int], None]) -> None:
        self._script = script
        self.stopping = threading.Event()
        self.requests: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def connections(self) -> int:
        return len(self.requests)

    def __enter__(self) -> TinyServer:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()
        if exc_type is None:  # like Recorder: every chat request body must match the spec
            for request in self.requests:
                head, _, body = request.partition(b"\r\n\r\n")
                if head.startswith(b"POST ") and b"/chat/completions " in head.split(b"\r\n")[0]:
                    assert_valid_request(json.loads(body))

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.closing(conn), contextlib.suppress(OSError):
            conn.settimeout(5)
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                n = len(self.requests)
                self.requests.append(request)
            self._script(self, conn, n)


def _read_request(conn: socket.socket) -> bytes | None:
    """One HTTP request (head and body) from ``conn``; None if the client went away first."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length:\s*(\d+)", head)
    while length and len(body) < int(length.group(1)):
        piece = conn.recv(65536)
        if not piece:
            return None
        body += piece
    return head + b"\r\n\r\n" + body


def http_head(status: int = 200, *, chunked: bool = False, **headers: str) -> bytes:
    """A response head; a streamed one uses chunked transfer encoding."""
    lines = [f"HTTP/1.1 {status} X"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode()


def http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def reset(conn: socket.socket) -> None:
    """Abort the connection with a TCP reset, as a crashed server or proxy would."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
