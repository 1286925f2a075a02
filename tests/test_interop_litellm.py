"""workbench and the official ``openai`` 1.106.1 through a LiteLLM proxy (1.108.7, from
``.interop/litellm``) in front of ``python -m workbench serve`` processes with injected faults,
routed by model name, compared case by case (issue 15).

The proxy retries nothing, falls back to nothing and cools nothing down (see
``litellm_config``), so what the clients do about a fault is what is seen. A fault counted per
server (``429;times=1``) gets one upstream per client. The table of what each case gives is in
tests/interop/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

import workbench
from tests.interop._battery import (
    ERRORS,
    KINDS,
    NAMED,
    TOOLS,
    Counter,
    Weather,
    ask,
    check_chunks,
    check_completion,
    check_tool_calls,
    each_client,
    make_async_client,
    open_client,
    status_of,
)
from tests.interop._servers import (
    MASTER_KEY,
    MissingEnvironmentError,
    ServerProcess,
    litellm_proxy,
    start_all,
    workbench_server,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

SHARED = {
    "healthy": (),
    "limited": ("429;retry-after=0.2",),
    "broken": ("500",),
    "cut": ("cut;after=5",),
}
"""Upstreams every client shares: model name -> the local model's --fault specs."""
PER_CLIENT = {"once-429": ("429;times=2;retry-after=0.2",), "once-500": ("500;times=2",)}
"""Upstreams whose fault counts requests: one per client (``once-429-workbench``...). Twice:
the proxy's own ``GET /v1/models`` to each upstream at start-up takes the first."""
PACED = 20.0
"""Tokens a second of the upstreams killed mid-stream (``doomed-workbench``...)."""


@dataclass
class Proxy:
    server: ServerProcess
    upstreams: dict[str, ServerProcess]

    @property
    def base_url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The local model behind a LiteLLM proxy, one upstream per route, started together."""
    workdir = tmp_path_factory.mktemp("interop-litellm")
    upstreams = {name: workbench_server(workdir, name, *f) for name, f in SHARED.items()}
    for kind in KINDS:
        for name, faults in PER_CLIENT.items():
            upstreams[f"{name}-{kind}"] = workbench_server(workdir, f"{name}-{kind}", *faults)
        name = f"doomed-{kind}"
        upstreams[name] = workbench_server(workdir, name, tokens_per_second=PACED)
    routes = {name: server.base_url for name, server in upstreams.items()}
    try:
        server = litellm_proxy(workdir, routes)
    except MissingEnvironmentError as exc:
        pytest.fail(str(exc))
    everything = [*upstreams.values(), server]
    start_all(everything, timeout=90)
    yield Proxy(server, upstreams)
    for each in everything:
        each.stop()


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def client(kind: str, proxy: Proxy, counter: Counter) -> Iterator[Any]:
    """The client under test, with both clients' default of two retries."""
    with open_client(kind, proxy.base_url, MASTER_KEY, counter, max_retries=2) as c:
        yield c


def create(client: Any, **params: Any) -> Any:
    params.setdefault("model", "healthy")
    params.setdefault("messages", ask("Tell me about tides."))
    return client.chat.completions.create(**params)


def test_the_proxy_reached_nothing_outside(proxy: Proxy) -> None:
    """Offline: no cost map fetched, no telemetry, no failed lookup in its log."""
    log = proxy.server.log(tail=200_000)
    assert "Proxy initialized" in log or "Uvicorn running" in log
    for sign in ("Failed to fetch", "ConnectError", "Name or service not known"):
        assert sign not in log


# -- replies ---------------------------------------------------------------------------------


@each_client
def test_create_reports_a_cost_in_headers(client: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="healthy", messages=ask("Tell me about tides."), max_tokens=8
    )
    completion = raw.parse()
    check_completion(completion)
    assert completion.choices[0].finish_reason == "length"
    assert completion.model == "healthy"  # the route's name, not the upstream's model
    assert completion.usage.completion_tokens == 8
    # The proxy's own accounting, in headers only (the local model has no price: 0). Named
    # x-litellm-response-cost on an error, x-litellm-response-cost-original on a success.
    assert "x-litellm-response-cost" not in raw.headers
    for part in ("original", "input", "output"):
        assert float(raw.headers[f"x-litellm-response-cost-{part}"]) == 0.0
    assert raw.headers["x-litellm-model-group"] == "healthy"


@each_client
def test_stream_with_usage(client: Any) -> None:
    chunks = list(create(client, max_tokens=8, stream=True, stream_options={"include_usage": True}))
    check_chunks(chunks)
    *_, last = chunks
    assert last.usage is not None and last.usage.completion_tokens == 8
    # Not OpenAI's empty list: the proxy's usage chunk carries a choice with an empty delta.
    assert len(last.choices) == 1 and last.choices[0].delta.content is None
    assert last.choices[0].finish_reason is None


@each_client
def test_stream_helper_final_completion(client: Any) -> None:
    with client.chat.completions.stream(
        model="healthy",
        messages=ask("Tell me about tides."),
        stream_options={"include_usage": True},
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    check_completion(final)
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == "".join(deltas) != ""
    assert final.usage is not None and final.usage.completion_tokens > 0


@each_client
def test_parse_with_a_pydantic_model(client: Any) -> None:
    completion = client.chat.completions.parse(
        model="healthy", messages=ask("Weather in Paris?"), response_format=Weather
    )
    assert isinstance(completion.choices[0].message.parsed, Weather)


@each_client
def test_n(client: Any) -> None:
    completion = create(client, n=2, max_tokens=4)
    check_completion(completion, choices=2)


@each_client
def test_logprobs(client: Any) -> None:
    completion = create(client, max_tokens=4, logprobs=True, top_logprobs=2)
    content = completion.choices[0].logprobs.content
    assert len(content) == 4 and all(len(t.top_logprobs) == 2 for t in content)


@each_client
def test_stop(client: Any) -> None:
    completion = create(client, messages=ask("Say tides and tides."), stop=["tides"])
    assert completion.choices[0].finish_reason == "stop"
    assert "tides" not in completion.choices[0].message.content


@each_client
def test_seed(client: Any) -> None:
    first = create(client, seed=7, max_tokens=8).choices[0].message.content
    assert create(client, seed=7, max_tokens=8).choices[0].message.content == first


@each_client
@pytest.mark.parametrize("cap", ["max_tokens", "max_completion_tokens"])
def test_length_caps(client: Any, cap: str) -> None:
    completion = create(client, **{cap: 3})
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 3


@each_client
def test_an_unknown_model(client: Any, counter: Counter) -> None:
    with pytest.raises((workbench.BadRequestError, openai.BadRequestError)) as caught:
        create(client, model="no-such-model")
    assert status_of(caught.value) == ("BadRequestError", 400)
    assert "no-such-model" in str(caught.value)
    assert len(counter.requests) == 1


@each_client
def test_a_wrong_key_is_a_400_without_a_database(kind: str, proxy: Proxy) -> None:
    """With a master key and no database of keys, any other key is "No connected db." (400),
    not a 401: ``BadRequestError`` in both clients, not ``AuthenticationError``."""
    errors = (workbench.BadRequestError, openai.BadRequestError)
    with open_client(kind, proxy.base_url, "sk-wrong") as c, pytest.raises(errors) as caught:
        create(c)
    assert status_of(caught.value) == ("BadRequestError", 400)
    assert "No connected db" in str(caught.value)


# -- tools -----------------------------------------------------------------------------------


@each_client
def test_tool_choice_auto(client: Any) -> None:
    completion = create(client, messages=ask("What is the weather in Paris?"), tools=TOOLS)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert check_tool_calls(choice.message.tool_calls, ["get_weather"])


@each_client
def test_a_named_tool(client: Any) -> None:
    completion = create(client, messages=ask("Hello"), tools=TOOLS, tool_choice=NAMED)
    assert check_tool_calls(completion.choices[0].message.tool_calls, ["get_weather"])


@each_client
def test_two_tools_in_parallel(client: Any) -> None:
    completion = create(
        client,
        messages=ask("The weather in Paris and the time in CET?"),
        tools=TOOLS,
        parallel_tool_calls=True,
    )
    calls = check_tool_calls(completion.choices[0].message.tool_calls, ["get_weather", "get_time"])
    assert sorted(name for name, _ in calls) == ["get_time", "get_weather"]
    assert len({c.id for c in completion.choices[0].message.tool_calls}) == 2


@each_client
def test_streamed_parallel_tools(client: Any) -> None:
    with client.chat.completions.stream(
        model="healthy", messages=ask("The weather in Paris and the time in CET?"), tools=TOOLS
    ) as stream:
        final = stream.get_final_completion()
    calls = check_tool_calls(final.choices[0].message.tool_calls, ["get_weather", "get_time"])
    assert len(calls) == 2


# -- faults ----------------------------------------------------------------------------------


@each_client
@pytest.mark.parametrize(
    ("route", "error", "status"),
    [("limited", "RateLimitError", 429), ("broken", "InternalServerError", 500)],
)
def test_a_fault_every_time_is_retried_twice_then_raised(
    client: Any, counter: Counter, route: str, error: str, status: int
) -> None:
    with pytest.raises(ERRORS) as caught:
        create(client, model=route)
    assert status_of(caught.value) == (error, status)
    assert len(counter.requests) == 3  # the first and two retries, alike
    # The upstream's retry-after reaches the client only renamed: llm_provider-retry-after.
    headers = caught.value.response.headers
    assert "retry-after" not in headers
    assert headers.get("llm_provider-retry-after") == ("0.2" if status == 429 else None)


@each_client
@pytest.mark.parametrize("route", ["once-429", "once-500"])
def test_a_fault_once_is_retried_through(
    kind: str, client: Any, counter: Counter, route: str
) -> None:
    completion = create(client, model=f"{route}-{kind}", max_tokens=4)
    check_completion(completion)
    assert len(counter.requests) == 2


@each_client
def test_an_upstream_cut_mid_stream(client: Any, counter: Counter) -> None:
    """The upstream resets the connection after 5 chunks; the proxy ends its stream with an
    error event, which both clients raise as an ``APIError``, after the text so far."""
    received = []
    with pytest.raises(ERRORS) as caught:
        for chunk in create(client, model="cut", stream=True):
            received.append(chunk)
    assert received and len(counter.requests) == 1
    assert type(caught.value).__name__ == "APIError"


@each_client
def test_an_upstream_killed_mid_stream(kind: str, proxy: Proxy, counter: Counter) -> None:
    upstream = proxy.upstreams[f"doomed-{kind}"]
    received = []
    with open_client(kind, proxy.base_url, MASTER_KEY, counter) as c, pytest.raises(ERRORS) as e:
        for chunk in create(c, model=f"doomed-{kind}", stream=True):
            received.append(chunk)
            if len(received) == 3:
                upstream.kill()
    assert len(received) >= 3 and len(counter.requests) == 1
    assert type(e.value).__name__ == "APIError"


# -- conversations and grids -----------------------------------------------------------------


def test_a_conversation_completes_a_tool_turn(proxy: Proxy) -> None:
    ran: list[str] = []

    def get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: the city's name.
        """
        ran.append(city)
        return json.dumps({"city": city, "temperature": 21})

    with workbench.Client(base_url=proxy.base_url, api_key=MASTER_KEY) as c:
        chat = workbench.Conversation("healthy", client=c, tools=[get_weather], log=False)
        reply = chat.send("What is the weather in Paris?")
    assert reply.status == "complete", reply.error
    assert len(ran) == 1
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    assert reply.text and reply.usage is not None


@pytest.mark.timeout(90)
def test_a_2x2_grid_at_concurrency_4(proxy: Proxy, tmp_path: Path) -> None:
    client = make_async_client(proxy.base_url, MASTER_KEY)
    grid = workbench.Grid(
        ["Tell me about tides.", "Tell me about eclipses."],
        models=["healthy"],
        params={"temperature": [0.2, 1.0], "max_completion_tokens": [16]},
        client=client,
        concurrency=4,
    )
    grid.run()
    assert len(grid.cells) == 4
    for cell in grid.cells:
        assert cell.status == "cut" and cell.output and cell.finish_reason == "length", cell
        assert cell.usage.completion_tokens == 16
        assert cell.cost_usd is None  # the proxy's cost header is not read (yet)
