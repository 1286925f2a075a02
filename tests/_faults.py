"""The fault battery's parts: the faults as a table, the servers they come from, a transport that
aims them at marked requests only, and the checks that nothing leaked.

Every fault is aimed by a marker: a request whose body holds ``MARK`` goes to the fault (the local
server with an ``x-workbench-fault`` header, the hostile ``TinyServer``, or a port nobody listens
on); every other request goes to the local server and gets a real reply. So a conversation's next
turn, or a grid's other cells, run next to the fault on the same client and pool.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

import workbench
from tests._mock import KEY, TinyServer, http_chunk, http_head, reset, sse_body, text_chunks
from workbench.local import FAULT_HEADER

MARK = "FAULT-HERE"
"""Put it in a prompt to aim the fault at that request."""

STALL_TIMEOUT = 1.0
"""The clients' timeout against a stall (seconds): what a stall costs per attempt. Against the
other faults it is 10 s: they must never wait for it, and a loaded machine must not fail them.
At 0.4 s a loaded CI machine (2 cores, late in the suite) once took longer than that to send
the headers of a stream meant to stall mid-way, so the client retried a request it should not
have needed to; 1.0 s leaves that margin."""

Script = Callable[[TinyServer, socket.socket, int], None]


# -- the hostile server's scripts ------------------------------------------------------------


def reset_before_headers(server: TinyServer, conn: socket.socket, n: int) -> None:
    """Read the request, then abort the connection with a TCP reset."""
    reset(conn)


HOSTILE_TEXT = ("Once", " upon", " a", " time")


def reset_mid_stream(server: TinyServer, conn: socket.socket, n: int) -> None:
    """Start a stream, send four chunks, give the client time to read them, then reset."""
    conn.sendall(http_head(200, chunked=True, content_type="text/event-stream"))
    conn.sendall(http_chunk(sse_body(*text_chunks(*HOSTILE_TEXT)[:-1], done=False)))
    server.stopping.wait(0.2)  # a reset discards what the client has not read yet
    reset(conn)


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One fault of the battery and what every level must do about it.

    Attributes:
        id: the test id.
        local: the local server's fault spec (``x-workbench-fault``), when it comes from there.
        script: the hostile server's script, when it comes from there.
        refused: nobody listens: the connection is refused.
        error: the exact ``APIError`` class the client raises (None: the call succeeds).
        says: a regex the error's message matches: it names the cause.
        retried: the client retries it (with ``max_retries=1``: two requests, one sleep).
        wait: the bounds of that sleep (retry-after, or the backoff of a first retry).
        partial: text arrives before the fault (a stream broken part-way).
        streams_only: a fault inside a stream, which a non-streamed request never meets.
    """

    id: str
    error: type[workbench.APIError] | None
    says: str = ""
    local: str | None = None
    script: Script | None = None
    refused: bool = False
    retried: bool = False
    wait: tuple[float, float] = (0.375, 0.5)
    partial: bool = False
    streams_only: bool = False

    @property
    def status(self) -> str:
        """The failed reply's status in the conversation."""
        if self.error is None:
            return "complete"
        return "incomplete" if self.partial else "error"

    @property
    def attempts(self) -> int:
        """Requests one call makes with ``max_retries=1``."""
        return 2 if self.retried else 1


FAULTS = [
    # -- no response at all
    Fault("refused", workbench.APIConnectionError, "Connection refused|connect",
          refused=True, retried=True),
    Fault("reset-before-headers", workbench.APIConnectionError, "Connection reset",
          script=reset_before_headers, retried=True),
    Fault("drop-before-headers", workbench.APIConnectionError, "disconnected without sending",
          local="drop", retried=True),
    Fault("stall-before-headers", workbench.APITimeoutError, "timed out",
          local="stall", retried=True),
    # -- a stream broken part-way: never retried, the text before kept
    Fault("reset-mid-stream", workbench.APIConnectionError, "Stream cut off",
          script=reset_mid_stream, partial=True, streams_only=True),
    Fault("cut-mid-stream", workbench.APIConnectionError, "Stream cut off",
          local="cut;after=4", partial=True, streams_only=True),
    # after the 200's headers, before any chunk: the caller holds the stream, not retried
    Fault("cut-before-the-first-chunk", workbench.APIConnectionError, "Stream cut off",
          local="cut;after=0", streams_only=True),
    Fault("stall-mid-stream", workbench.APITimeoutError, "Stream timed out",
          local="stall;after=4", partial=True, streams_only=True),
    Fault("malformed-line", workbench.APIResponseValidationError, "does not match",
          local="malformed;after=4", partial=True, streams_only=True),
    Fault("no-done-mid-reply", workbench.APIConnectionError, "before the reply was finished",
          local="no-done;after=4", partial=True, streams_only=True),
    Fault("no-done-after-the-reply", None, local="no-done", streams_only=True),
    Fault("error-event", workbench.APIError, "an error event from the local model",
          local="error-event;after=4", partial=True, streams_only=True),
    # -- error statuses
    Fault("429-retry-after", workbench.RateLimitError, "429",
          local="429;retry-after=0.01", retried=True, wait=(0.01, 0.01)),
    Fault("429-no-retry-after", workbench.RateLimitError, "429", local="429", retried=True),
    Fault("500", workbench.InternalServerError, "500", local="500", retried=True),
    Fault("502", workbench.InternalServerError, "502", local="502", retried=True),
    Fault("503", workbench.InternalServerError, "503", local="503", retried=True),
    Fault("error-body-html", workbench.InternalServerError, "502 Bad Gateway",
          local="502;format=html", retried=True),
    Fault("error-body-detail", workbench.BadRequestError, "400 - Injected fault",
          local="400;format=detail"),
    # -- a 200 that is not a reply
    Fault("not-json", workbench.APIResponseValidationError, "not JSON|not an event stream",
          local="not-json"),
    Fault("empty-200", workbench.APIResponseValidationError, "empty body", local="empty"),
    Fault("huge-10mb", None, local="huge"),
]  # fmt: skip
SLOW = {"huge-10mb", "stall-before-headers", "stall-mid-stream", "429-no-retry-after"}
"""Faults whose tests take longest (a 10 MB reply, the timeouts, a real backoff in the grid)."""


# -- aiming them -----------------------------------------------------------------------------


class Aim:
    """Sends a request whose last message holds ``MARK`` to the fault (the first ``times``;
    None: all). A conversation's next turn, whose history still holds the mark, goes through.

    Attributes:
        marked: how many marked requests were sent (the client's attempts).
        fired: how many of them went to the fault.
    """

    def __init__(self, target: str, headers: dict[str, str], times: int | None) -> None:
        self.target = httpx.URL(target)
        self.headers = headers
        self.times = times
        self.marked = 0
        self.fired = 0
        self._lock = threading.Lock()

    def route(self, request: httpx.Request) -> None:
        if MARK.encode() not in request.content:
            return
        messages = json.loads(request.content).get("messages") or [{}]
        if MARK not in str(messages[-1].get("content")):
            return
        with self._lock:
            self.marked += 1
            if self.times is not None and self.fired >= self.times:
                return
            self.fired += 1
        target = self.target
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host,
                                            port=target.port)  # fmt: skip
        request.headers["host"] = target.netloc.decode()
        request.headers.update(self.headers)


class AimedTransport(httpx.HTTPTransport):
    """httpx's own transport (and pool), with ``Aim`` deciding where each request goes."""

    def __init__(self, aim: Aim) -> None:
        super().__init__()
        self.aim = aim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.aim.route(request)
        return super().handle_request(request)


class AsyncAimedTransport(httpx.AsyncHTTPTransport):
    """The async twin of ``AimedTransport``."""

    def __init__(self, aim: Aim) -> None:
        super().__init__()
        self.aim = aim

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.aim.route(request)
        return await super().handle_async_request(request)


@contextmanager
def aimed(fault: Fault, local_url: str, *, times: int | None = None) -> Iterator[Aim]:
    """``fault`` aimed at marked requests; its hostile server, if any, runs until the end."""
    if fault.local is not None:
        yield Aim(local_url, {FAULT_HEADER: fault.local}, times)
    elif fault.refused:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield Aim(f"http://127.0.0.1:{port}", {}, times)
    else:
        assert fault.script is not None
        with TinyServer(fault.script) as server:
            yield Aim(server.url, {}, times)


@asynccontextmanager
async def opened(kind: str, aim: Aim, base_url: str) -> AsyncIterator[Any]:
    """A ``Client`` or ``AsyncClient`` for the local server over an aimed pool of its own
    (``max_retries=1``), closed at the end even when the test fails."""
    timeout = STALL_TIMEOUT if "stall" in str(aim.headers) else 10.0
    if kind == "sync":
        http: Any = httpx.Client(transport=AimedTransport(aim))
        client: Any = workbench.Client(
            base_url=base_url, api_key=KEY, http_client=http, max_retries=1, timeout=timeout
        )
    else:
        http = httpx.AsyncClient(transport=AsyncAimedTransport(aim))
        client = workbench.AsyncClient(
            base_url=base_url, api_key=KEY, http_client=http, max_retries=1, timeout=timeout
        )
    try:
        yield client
    finally:
        if kind == "sync":
            http.close()
        else:
            await http.aclose()


# -- checks ----------------------------------------------------------------------------------


def pool_of(client: Any) -> Any:
    """The httpcore connection pool under a client's httpx client."""
    return client._client._transport._pool


async def assert_no_leak(client: Any) -> None:
    """No request is still holding a connection, and closing the pool leaves it empty."""
    pool = pool_of(client)
    assert pool._requests == [], f"requests still in flight: {pool._requests}"
    busy = [c.info() for c in pool.connections if not c.is_idle()]
    assert busy == [], f"connections still in use: {busy}"
    if isinstance(client, workbench.AsyncClient):
        await client._client.aclose()
    else:
        client._client.close()
    assert pool.connections == []


def assert_no_key(*values: object) -> None:
    """The canary key shows in none of ``values`` (as ``str`` or ``repr``)."""
    for value in values:
        assert KEY not in str(value) and KEY not in repr(value), f"the key leaked: {value!r}"


def assert_names_the_cause(fault: Fault, error: BaseException) -> None:
    """The error is exactly the fault's class and its message says why."""
    assert fault.error is not None
    assert type(error) is fault.error, f"{type(error).__name__}: {error}"
    assert re.search(fault.says, str(error)), f"{str(error)!r} does not match {fault.says!r}"
    assert_no_key(error, getattr(error, "body", None), error.__cause__)


@contextmanager
def no_new_threads() -> Iterator[None]:
    """Fail if the block leaves a thread running that was not there before it."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads left running: {left}"


def assert_no_other_tasks() -> None:
    """Only the running test's task is left on the event loop."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert others == set(), f"tasks left running: {others}"


@asynccontextmanager
async def facing(
    fault: Fault, kind: str, local_url: str, *, times: int | None = None
) -> AsyncIterator[tuple[Aim, Any]]:
    """``fault`` aimed at marked requests, and a client over an aimed pool. When the block ends
    well: no thread left running that was not there before, and (async) no task either."""
    with no_new_threads(), aimed(fault, local_url, times=times) as aim:
        async with opened(kind, aim, local_url) as client:
            yield aim, client
    if kind == "async":
        assert_no_other_tasks()
