"""The local model's injected faults and pacing, against workbench's retries: in-process, over
HTTP (a server thread), from the command line, and from the official openai client.

The wall-clock checks here are correctness checks (a retry waited for ``retry-after``, a paced
stream is paced), with lower bounds only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import pytest

import workbench
from tests._local import USER, ServerProcess, server_thread
from tests._mock import patch_sleep, resolve
from workbench.local import FAULT_HEADER, Fault, LocalModel, LocalResponse, Pacing

WHERE = ["in-process", "http"]
RETRY_AFTER = 0.2


class CountingModel(LocalModel):
    """A local model that counts the chat completion requests reaching it."""

    calls = 0

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> LocalResponse:
        if path == "/chat/completions" and method == "POST":
            self.calls += 1
        return super().handle(method, path, query, headers, body)


Connect = Callable[..., Any]


@pytest.fixture(params=WHERE)
def connect(request: pytest.FixtureRequest) -> Iterator[Connect]:
    """``connect(model, **client_kwargs)``: a workbench client of ``model``, in-process or over
    HTTP (the test id says which); ``asynchronous=True`` for an ``AsyncClient``."""
    with ExitStack() as stack:

        def make(model: LocalModel, *, asynchronous: bool = False, **kwargs: Any) -> Any:
            if asynchronous:  # the test closes it (it needs an await)
                factory: Any = workbench.AsyncClient
            else:
                factory = workbench.Client
            if request.param == "in-process":
                client = factory(local=model, **kwargs)
            else:
                url = stack.enter_context(server_thread(model))
                client = factory(base_url=url, api_key="sk-test", **kwargs)
            if not asynchronous:
                stack.callback(client.close)
            return client

        yield make


def create(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("messages", USER)
    return client.chat.completions.create(**kwargs)


def rate_limit_plan(by: str, times: int) -> tuple[LocalModel, dict[str, str]]:
    """A model that answers 429 to the first ``times`` requests, by option or by header."""
    if by == "option":
        fault = Fault("status", status=429, times=times, retry_after=RETRY_AFTER)
        return CountingModel(faults=[fault]), {}
    return CountingModel(), {FAULT_HEADER: f"429;times={times};retry-after={RETRY_AFTER}"}


# -- 429 and retry-after -------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["option", "header"])
def test_two_429s_then_success_waits_for_retry_after(by: str, connect: Connect) -> None:
    model, headers = rate_limit_plan(by, times=2)
    client = connect(model, max_retries=2)
    started = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=USER, extra_headers=headers
    )
    elapsed = time.monotonic() - started
    assert raw.parse().choices[0].message.content
    assert raw.retries_taken == 2 and model.calls == 3  # type: ignore[attr-defined]
    assert elapsed >= 2 * RETRY_AFTER, f"the client did not wait for retry-after: {elapsed:.3f} s"
    create(client, extra_headers=headers)  # the fault fired on the first two requests only
    assert model.calls == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize("by", ["option", "header"])
async def test_two_429s_then_success_async(by: str, connect: Connect) -> None:
    model, headers = rate_limit_plan(by, times=2)
    client = connect(model, max_retries=2, asynchronous=True)
    started = time.monotonic()
    reply = await create(client, extra_headers=headers)
    assert reply.choices[0].message.content
    assert time.monotonic() - started >= 2 * RETRY_AFTER
    assert model.calls == 3  # type: ignore[attr-defined]
    await client.close()


@pytest.mark.parametrize("by", ["option", "header"])
def test_three_429s_with_two_retries_raise_rate_limit_error(by: str, connect: Connect) -> None:
    model, headers = rate_limit_plan(by, times=3)
    client = connect(model, max_retries=2)
    started = time.monotonic()
    with pytest.raises(workbench.RateLimitError) as caught:
        create(client, extra_headers=headers)
    assert time.monotonic() - started >= 2 * RETRY_AFTER
    assert caught.value.status_code == 429 and model.calls == 3  # type: ignore[attr-defined]
    assert caught.value.response.headers["retry-after"] == "0.2"
    assert create(client, extra_headers=headers).choices  # the fault is spent now


# -- server errors and dropped connections (the client's sleeps are recorded, not slept) ---------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_and_then_raised(
    status: int, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = patch_sleep(monkeypatch)
    model = CountingModel(faults=[Fault("status", status=status, times=2)])
    assert create(connect(model, max_retries=2)).choices
    assert model.calls == 3 and len(sleeps) == 2

    always = CountingModel(faults=[Fault("status", status=status)])
    with pytest.raises(workbench.InternalServerError) as caught:
        create(connect(always, max_retries=1))
    assert caught.value.status_code == status and always.calls == 2
    assert caught.value.body["type"] == "server_error"  # type: ignore[index]


def test_a_dropped_connection_is_retried_then_raised(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch_sleep(monkeypatch)
    model = CountingModel(faults=[Fault("drop", times=1)])
    assert create(connect(model, max_retries=2)).choices
    assert model.calls == 2

    always = CountingModel(faults=[Fault("drop")])
    with pytest.raises(workbench.APIConnectionError):
        create(connect(always, max_retries=2))
    assert always.calls == 3


# -- broken streams: never retried, the chunks before the break are kept -------------------------


def _read_until_error(stream: Any) -> tuple[list[Any], BaseException | None]:
    received: list[Any] = []
    try:
        for chunk in stream:
            received.append(chunk)
    except workbench.WorkbenchError as exc:
        return received, exc
    return received, None


@pytest.mark.parametrize("by", ["option", "header"])
def test_a_stream_cut_midway_raises_connection_error_and_is_not_retried(
    by: str, connect: Connect
) -> None:
    faults = [Fault("cut", after=5, times=1)] if by == "option" else []
    headers = {FAULT_HEADER: "cut;after=5;times=1"} if by == "header" else {}
    model = CountingModel(faults=faults)
    client = connect(model, max_retries=2)
    assert create(client, extra_headers=headers).choices, "a cut fault spares whole responses"
    received, error = _read_until_error(create(client, stream=True, extra_headers=headers))
    assert isinstance(error, workbench.APIConnectionError)
    assert not isinstance(error, workbench.APITimeoutError)
    assert len(received) == 5 and received[0].choices[0].delta.role == "assistant"
    assert model.calls == 2, "a stream already handed over is never sent again"
    received, error = _read_until_error(create(client, stream=True, extra_headers=headers))
    assert error is None and received[-1].choices[0].finish_reason == "stop"


def test_a_malformed_sse_line_raises_response_validation_error(connect: Connect) -> None:
    model = CountingModel(faults=[Fault("malformed", after=3)])
    received, error = _read_until_error(create(connect(model, max_retries=2), stream=True))
    assert isinstance(error, workbench.APIResponseValidationError)
    assert len(received) == 3 and model.calls == 1


def test_the_stream_manager_keeps_what_came_before_a_cut(connect: Connect) -> None:
    model = LocalModel(faults=[Fault("cut", after=6)])
    client = connect(model)
    deltas: list[str] = []
    with (
        pytest.raises(workbench.APIConnectionError),
        client.chat.completions.stream(model="gpt-4o-mini", messages=USER) as stream,
    ):
        for event in stream:
            if event.type == "content.delta":
                deltas.append(event.delta)
    assert deltas[0] == "" and len(deltas) == 6  # the role chunk's "" content, then 5 tokens
    assert "".join(deltas) == "[local model 'gpt"


# -- latency and pacing --------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["option", "header"])
def test_latency_delays_the_response(by: str, connect: Connect) -> None:
    faults = [Fault("latency", seconds=0.3)] if by == "option" else []
    headers = {FAULT_HEADER: "latency;seconds=0.3"} if by == "header" else {}
    client = connect(LocalModel(faults=faults))
    started = time.monotonic()
    assert create(client, extra_headers=headers).choices
    assert time.monotonic() - started >= 0.3


def test_paced_streams_take_their_time(connect: Connect) -> None:
    client = connect(LocalModel(pacing=Pacing(tokens_per_second=50)))
    started = time.monotonic()
    chunks = list(create(client, stream=True, max_completion_tokens=18))
    elapsed = time.monotonic() - started
    assert len(chunks) == 20  # role, 18 tokens, finish
    assert elapsed >= 0.3, f"20 chunks at 50 tokens/s took only {elapsed:.3f} s"


def test_first_token_delays_the_first_chunk(connect: Connect) -> None:
    client = connect(LocalModel(pacing=Pacing(first_token=0.3)))
    started = time.monotonic()
    stream = create(client, stream=True, max_completion_tokens=30)
    first = next(iter(stream))
    assert time.monotonic() - started >= 0.3
    assert first.choices[0].delta.role == "assistant"
    rest_started = time.monotonic()
    assert len(list(stream)) == 31
    assert time.monotonic() - rest_started < 0.3, "only the first chunk waits"


async def test_async_pacing_and_cut(connect: Connect) -> None:
    model = LocalModel(pacing=Pacing(tokens_per_second=50), faults=[Fault("cut", after=15)])
    client = connect(model, asynchronous=True)
    started = time.monotonic()
    stream = await create(client, stream=True)
    received = []
    with pytest.raises(workbench.APIConnectionError):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 15 and time.monotonic() - started >= 0.25
    await client.close()


# -- from the command line, and with the official client -----------------------------------------


def test_cli_faults_against_the_clients_retries() -> None:
    server = ServerProcess(
        "--fault", f"429;times=2;retry-after={RETRY_AFTER}", "--fault", "cut;after=2;times=1"
    )
    try:
        with workbench.Client(base_url=server.url, api_key="sk-test", max_retries=2) as client:
            started = time.monotonic()
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-4o-mini", messages=USER
            )
            assert time.monotonic() - started >= 2 * RETRY_AFTER and raw.retries_taken == 2
            received, error = _read_until_error(create(client, stream=True))
            assert isinstance(error, workbench.APIConnectionError) and len(received) == 2
            assert create(client).choices
        code, err = server.interrupt()
        assert code == 0, err
    finally:
        server.kill()


async def test_the_openai_client_retries_the_same_faults() -> None:
    import openai

    model = CountingModel()
    headers = {FAULT_HEADER: f"429;times=2;retry-after={RETRY_AFTER}"}
    with server_thread(model) as url:
        client = openai.AsyncOpenAI(base_url=url, api_key="sk-test", max_retries=2)
        started = time.monotonic()
        reply = await resolve(create(client, extra_headers=headers))
        assert reply.choices[0].message.content
        assert time.monotonic() - started >= 2 * RETRY_AFTER and model.calls == 3
        with pytest.raises(openai.RateLimitError):
            await create(client.with_options(max_retries=0), extra_headers={FAULT_HEADER: "429"})
        await client.close()
