"""What the clients send: URL, method, headers, query, body, timeouts; validation before sending;
and the spec's examples read back through the client (sync/async parity: ``test_parity.py``)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import httpx
import pytest

import workbench
from tests._mock import (
    KEY,
    MESSAGES,
    Pieces,
    Recorder,
    both,
    collect,
    completion_json,
    create,
    example_values,
    make_client,
    resolve,
    schema_validator,
    spec,
    sse_body,
    sse_response,
    text_chunks,
)
from workbench import NOT_GIVEN

ISSUE_PARAMETERS = [
    "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls",
    "prediction", "presence_penalty", "prompt_cache_key", "reasoning_effort", "response_format",
    "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
    "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
    "web_search_options",
]  # fmt: skip
REQUEST_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")


# -- URL, method, headers --------------------------------------------------------------------------


@both
async def test_create_posts_json_to_chat_completions(kind: str) -> None:
    handler = Recorder()
    client = make_client(kind, handler, base_url=None)  # the client's own default URL
    completion = await create(client)
    request = handler.last
    assert request.method == "POST"
    assert str(request.url) == "https://api.openai.com/v1/chat/completions"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert handler.body == {"messages": MESSAGES, "model": "gpt-4o-mini"}
    assert isinstance(completion, workbench.types.ChatCompletion)
    assert completion.choices[0].message.content == "Hello!"
    assert completion.usage is not None and completion.usage.total_tokens == 7


@both
@pytest.mark.parametrize("base_url", ["http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1/"])
async def test_base_url_is_joined_with_the_path(kind: str, base_url: str) -> None:
    handler = Recorder()
    await create(make_client(kind, handler, api_key=None, base_url=base_url))
    assert str(handler.last.url) == "http://127.0.0.1:11434/v1/chat/completions"


@both
async def test_a_base_url_set_later_takes_effect_on_the_next_request(kind: str) -> None:
    handler = Recorder()
    client = make_client(kind, handler, base_url="http://127.0.0.1:8000/v1")
    await create(client)
    client.base_url = "http://127.0.0.1:9000/v2"
    assert str(client.base_url) == "http://127.0.0.1:9000/v2/"
    await create(client)
    urls = [str(r.url) for r in handler.requests]
    assert urls == [
        "http://127.0.0.1:8000/v1/chat/completions",
        "http://127.0.0.1:9000/v2/chat/completions",
    ]


@both
async def test_every_path_is_joined_right_however_many_there_are(kind: str) -> None:
    # Each path's URL is joined once and kept; ids make the paths many (past what is kept).
    def model(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={"id": name, "object": "model", "owned_by": "x"})

    handler = Recorder(model)
    client = make_client(kind, handler, base_url="http://127.0.0.1:8000/v1")
    names = [f"m{i % 90}" for i in range(180)]
    found = [(await resolve(client.models.retrieve(name))).id for name in names]
    assert found == names
    assert [r.url.path for r in handler.requests] == [f"/v1/models/{n}" for n in names]


@both
async def test_the_http_clients_own_query_params_are_kept(kind: str) -> None:
    handler = Recorder()
    transport = httpx.MockTransport(handler)
    pool_class = httpx.Client if kind == "sync" else httpx.AsyncClient
    pool = pool_class(transport=transport, params={"tenant": "blue"})
    client = (workbench.Client if kind == "sync" else workbench.AsyncClient)(
        api_key=KEY, http_client=pool
    )
    await create(client)
    await create(client, extra_query={"trace": True})
    assert [dict(r.url.params) for r in handler.requests] == [
        {"tenant": "blue"},
        {"tenant": "blue", "trace": "true"},
    ]


@both
async def test_authorization_is_a_bearer_key_and_only_sent_when_a_key_is_set(kind: str) -> None:
    handler = Recorder()
    await create(make_client(kind, handler))
    assert handler.last.headers.get_list("authorization") == [f"Bearer {KEY}"]

    await create(make_client(kind, handler, api_key=None, base_url="http://127.0.0.1:8000/v1"))
    assert "authorization" not in handler.last.headers


@both
async def test_organization_project_and_user_agent_headers(kind: str) -> None:
    handler = Recorder()
    await create(make_client(kind, handler, organization="org-1", project="proj-1"))
    headers = handler.last.headers
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert headers["user-agent"] == f"workbench/{workbench.__version__}"

    await create(make_client(kind, handler))
    assert "openai-organization" not in handler.last.headers
    assert "openai-project" not in handler.last.headers


@both
async def test_an_organization_set_later_goes_with_the_next_request(kind: str) -> None:
    # The client's own headers are merged once, and again when these settings change.
    handler = Recorder()
    client = make_client(kind, handler, organization="org-1")
    await create(client)
    client.organization = "org-2"
    client.project = "proj-2"
    await create(client, extra_headers={"X-Trace": "1"})
    client.organization = None
    await create(client)
    sent = [
        (r.headers.get("openai-organization"), r.headers.get("openai-project"))
        for r in handler.requests
    ]
    assert sent == [("org-1", None), ("org-2", "proj-2"), (None, "proj-2")]
    assert handler.requests[1].headers["x-trace"] == "1"
    assert "x-trace" not in handler.requests[2].headers  # a request's extra headers stay its own


@both
async def test_default_headers_and_default_query_go_with_every_request(kind: str) -> None:
    handler = Recorder(
        httpx.Response(200, json=completion_json()),
        httpx.Response(200, json={"id": "gpt-4o", "object": "model", "owned_by": "openai"}),
    )
    client = make_client(
        kind, handler, default_headers={"X-Team": "blue"}, default_query={"api-version": "2024"}
    )
    await create(client)
    await resolve(client.models.retrieve("gpt-4o"))
    for request in handler.requests:
        assert request.headers["x-team"] == "blue"
        assert request.url.params["api-version"] == "2024"


@both
async def test_extra_query_is_merged_and_overrides_default_query(kind: str) -> None:
    handler = Recorder()
    client = make_client(kind, handler, default_query={"api-version": "1", "keep": "yes"})
    await create(client, extra_query={"api-version": "2", "trace": True})
    params = handler.last.url.params
    assert params.get_list("api-version") == ["2"]
    assert params["keep"] == "yes"
    assert params["trace"] == "true"


@both
async def test_extra_headers_add_replace_and_remove_whatever_the_case(kind: str) -> None:
    handler = Recorder()
    client = make_client(kind, handler, organization="org-1", default_headers={"X-Team": "blue"})
    await create(
        client,
        extra_headers={
            "user-agent": "my-app/1.0",  # replaces the default User-Agent, in another case
            "x-team": "red",  # replaces a default header
            "OPENAI-ORGANIZATION": NOT_GIVEN,  # removes one
            "X-Trace": "abc",
        },
    )
    headers = handler.last.headers
    assert headers.get_list("user-agent") == ["my-app/1.0"]
    assert headers.get_list("x-team") == ["red"]
    assert "openai-organization" not in headers
    assert headers["x-trace"] == "abc"
    assert headers["authorization"] == f"Bearer {KEY}"


@both
async def test_extra_headers_can_remove_authorization(kind: str) -> None:
    handler = Recorder()
    await create(make_client(kind, handler), extra_headers={"authorization": NOT_GIVEN})
    assert "authorization" not in handler.last.headers


@both
async def test_default_headers_replace_built_in_ones_without_duplicates(kind: str) -> None:
    handler = Recorder()
    await create(make_client(kind, handler, default_headers={"user-agent": "notebook/2"}))
    assert handler.last.headers.get_list("user-agent") == ["notebook/2"]


def _own_http_client(kind: str, handler: Any) -> Any:
    """An http_client of the caller's own, with headers and query parameters of its own."""
    options: dict[str, Any] = {
        "transport": httpx.MockTransport(handler),
        "headers": {"X-Proxy-Token": "proxy-1", "User-Agent": "their-agent"},
        "params": {"tenant": "t1"},
    }
    return httpx.Client(**options) if kind == "sync" else httpx.AsyncClient(**options)


@both
async def test_a_custom_http_clients_own_headers_and_query_go_with_every_request(
    kind: str,
) -> None:
    handler = Recorder()
    cls = workbench.Client if kind == "sync" else workbench.AsyncClient
    client = cls(api_key=KEY, http_client=_own_http_client(kind, handler))
    await create(client, extra_query={"trace": "1"})
    await create(client, extra_headers={"x-proxy-token": "per-request", "x-extra": "1"})
    first, second = handler.requests
    assert first.headers["x-proxy-token"] == "proxy-1"
    assert first.url.params["tenant"] == "t1" and first.url.params["trace"] == "1"
    assert first.headers.get_list("user-agent") == [f"workbench/{workbench.__version__}"]
    assert first.headers["authorization"] == f"Bearer {KEY}", "ours win over the client's"
    assert second.headers.get_list("x-proxy-token") == ["per-request"]
    assert second.url.params["tenant"] == "t1"
    await create(client, extra_headers={"X-Proxy-Token": NOT_GIVEN})
    assert "x-proxy-token" not in handler.last.headers, "NOT_GIVEN removes the client's too"


@both
async def test_replies_are_asked_compressed_and_read_decompressed(kind: str) -> None:
    import gzip

    def gzipped(body: bytes, kind: str) -> Any:
        # A streamed body, so the client itself decodes it (a Response made from bytes is
        # decoded when it is made).
        headers = {"content-encoding": "gzip", "content-type": kind}
        return lambda request: httpx.Response(
            200, headers=headers, stream=Pieces([gzip.compress(body)])
        )

    handler = Recorder(
        gzipped(json.dumps(completion_json()).encode(), "application/json"),
        gzipped(sse_body(*text_chunks("Hel", "lo")), "text/event-stream"),
    )
    client = make_client(kind, handler)
    completion = await create(client)
    assert "gzip" in handler.last.headers["accept-encoding"]
    assert completion.choices[0].message.content == "Hello!"
    chunks = await collect(await create(client, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"


@both
async def test_extra_body_is_merged_into_the_body_and_wins(kind: str) -> None:
    handler = Recorder()
    await create(
        make_client(kind, handler),
        temperature=0.2,
        extra_body={"temperature": 0.5, "store": True, "metadata": {"run": "7"}},
    )
    assert handler.body == {
        "messages": MESSAGES,
        "model": "gpt-4o-mini",
        "temperature": 0.5,
        "store": True,
        "metadata": {"run": "7"},
    }


# -- configuration from the environment ------------------------------------------------------------


@both
async def test_environment_variables_configure_the_client(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v2")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    handler = Recorder()
    await create(make_client(kind, handler, api_key=None, base_url=None))
    request = handler.last
    assert str(request.url) == "http://127.0.0.1:9999/v2/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["openai-organization"] == "org-env"
    assert request.headers["openai-project"] == "proj-env"


@both
async def test_arguments_win_over_environment_variables(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v2")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    handler = Recorder()
    client = make_client(
        kind,
        handler,
        api_key=KEY,
        base_url="http://127.0.0.1:1234/v1",
        organization="org-arg",
        project="proj-arg",
    )
    await create(client)
    request = handler.last
    assert str(request.url) == "http://127.0.0.1:1234/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["openai-organization"] == "org-arg"
    assert request.headers["openai-project"] == "proj-arg"


@pytest.mark.parametrize("cls", [workbench.Client, workbench.AsyncClient])
def test_no_key_and_no_base_url_falls_back_to_the_local_model(
    cls: type[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.local

    monkeypatch.setattr(workbench.local, "_noticed", False)
    client = cls()
    assert client.local_model is workbench.local.default_local_model()
    assert "local model" in repr(client)
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1 and "local model" in notice and "OPENAI_API_KEY" in notice
    cls()  # the notice is said once per process
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("cls", [workbench.Client, workbench.AsyncClient])
def test_local_false_never_falls_back(cls: type[Any]) -> None:
    client = cls(local=False, base_url="http://127.0.0.1:9/v1")
    assert client.local_model is None
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    with pytest.raises(workbench.WorkbenchError) as info:
        cls(local=False)
    assert "OPENAI_API_KEY" in str(info.value) and "base_url" in str(info.value)


@pytest.mark.parametrize("cls", [workbench.Client, workbench.AsyncClient])
def test_a_base_url_alone_needs_no_key(cls: type[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    client = cls()
    assert client.api_key is None
    assert str(client.base_url) == "http://127.0.0.1:11434/v1/"


# -- the body: omitted, null, every parameter ------------------------------------------------------


@both
async def test_omitted_parameters_are_absent_and_none_is_sent_as_null(kind: str) -> None:
    handler = Recorder()
    await create(
        make_client(kind, handler),
        temperature=None,
        max_completion_tokens=None,
        seed=None,
        stop=None,
        top_p=NOT_GIVEN,
    )
    body = handler.body
    for name in ("temperature", "max_completion_tokens", "seed", "stop"):
        assert name in body
        assert body[name] is None
    for name in ("top_p", "n", "tools", "stream", "response_format", "user"):
        assert name not in body
    assert b'"temperature":null' in handler.last.content


EVERY_PARAMETER: dict[str, Any] = {
    "audio": {"voice": "alloy", "format": "wav"},
    "frequency_penalty": 0.5,
    "function_call": "auto",
    "functions": [
        {"name": "lookup", "description": "Look up", "parameters": {"type": "object"}},
    ],
    "logit_bias": {"50256": -100},
    "logprobs": True,
    "max_completion_tokens": 200,
    "max_tokens": 100,
    "metadata": {"purpose": "test"},
    "modalities": ["text", "audio"],
    "n": 2,
    "parallel_tool_calls": False,
    "prediction": {"type": "content", "content": "Hello"},
    "presence_penalty": -0.5,
    "prompt_cache_key": "cache-1",
    "reasoning_effort": "low",
    "response_format": {"type": "json_object"},
    "safety_identifier": "user-hash-1",
    "seed": 42,
    "service_tier": "auto",
    "stop": ["\n\n", "END"],
    "store": True,
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.7,
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ],
    "top_logprobs": 3,
    "top_p": 0.9,
    "user": "user-1234",
    "verbosity": "low",
    "web_search_options": {"search_context_size": "low"},
}


def test_every_parameter_case_covers_the_issue_list() -> None:
    assert sorted(EVERY_PARAMETER) == sorted(ISSUE_PARAMETERS)


@both
async def test_every_parameter_passes_through_to_the_body(kind: str) -> None:
    handler = Recorder(sse_response(sse_body(*text_chunks("Hi"))))
    stream = await create(make_client(kind, handler), model="gpt-4o", **EVERY_PARAMETER)
    chunks = await collect(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hi"
    assert handler.body == {"messages": MESSAGES, "model": "gpt-4o", **EVERY_PARAMETER}


def test_create_takes_every_parameter_of_the_issue_by_name() -> None:
    client = workbench.Client(api_key=KEY)
    for method in (
        client.chat.completions.create,
        client.chat.completions.with_raw_response.create,
    ):
        names = set(inspect.signature(method).parameters)
        assert names == {"messages", "model", *ISSUE_PARAMETERS, *REQUEST_OPTIONS}


def test_method_signatures_match_openai_1_106() -> None:
    import openai

    ours = workbench.Client(api_key=KEY)
    theirs = openai.OpenAI(api_key=KEY)
    pairs = [
        (ours.chat.completions.create, theirs.chat.completions.create),
        (ours.chat.completions.parse, theirs.chat.completions.parse),
        (ours.chat.completions.stream, theirs.chat.completions.stream),
        (ours.chat.completions.retrieve, theirs.chat.completions.retrieve),
        (ours.chat.completions.update, theirs.chat.completions.update),
        (ours.chat.completions.delete, theirs.chat.completions.delete),
        (ours.chat.completions.list, theirs.chat.completions.list),
        (ours.chat.completions.messages.list, theirs.chat.completions.messages.list),
        (ours.models.list, theirs.models.list),
        (ours.models.retrieve, theirs.models.retrieve),
    ]
    for mine, official in pairs:
        official_names = set(inspect.signature(official).parameters)
        assert _names(mine) == official_names, mine.__qualname__


def _names(method: Any) -> set[str]:
    """Parameter names, with ``**extra: Unpack[RequestOptions]`` spelt out as openai spells it."""
    names = set()
    for parameter in inspect.signature(method).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            names.update(REQUEST_OPTIONS)
        else:
            names.add(parameter.name)
    return names


# -- timeouts --------------------------------------------------------------------------------------


@both
@pytest.mark.parametrize(
    ("client_timeout", "request_timeout", "expected"),
    [
        (NOT_GIVEN, NOT_GIVEN, {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}),
        (20.0, NOT_GIVEN, {"connect": 20.0, "read": 20.0, "write": 20.0, "pool": 20.0}),
        (20.0, 3.5, {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}),
        (
            NOT_GIVEN,
            httpx.Timeout(30.0, connect=2.0),
            {"connect": 2.0, "read": 30.0, "write": 30.0, "pool": 30.0},
        ),
        (20.0, None, {"connect": None, "read": None, "write": None, "pool": None}),
    ],
)
async def test_timeouts_land_in_the_request_extensions(
    kind: str, client_timeout: Any, request_timeout: Any, expected: dict[str, Any]
) -> None:
    handler = Recorder()
    client = make_client(kind, handler, timeout=client_timeout)
    await create(client, timeout=request_timeout)
    assert handler.last.extensions["timeout"] == expected


@both
async def test_with_options_changes_settings_but_keeps_the_rest(kind: str) -> None:
    handler = Recorder()
    client = make_client(kind, handler, organization="org-1", default_headers={"X-Team": "blue"})
    copy = client.with_options(timeout=7.0)
    await create(copy)
    request = handler.last
    assert request.extensions["timeout"]["read"] == 7.0
    assert request.headers["openai-organization"] == "org-1"
    assert request.headers["x-team"] == "blue"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert client.timeout != copy.timeout


# -- validation before sending ---------------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], str, tuple[str, ...]]] = [
    ({"temperature": 3}, "temperature", ("0", "2")),
    ({"temperature": -0.1}, "temperature", ("0", "2")),
    ({"top_p": 1.5}, "top_p", ("0", "1")),
    ({"presence_penalty": -3}, "presence_penalty", ("-2", "2")),
    ({"frequency_penalty": 2.5}, "frequency_penalty", ("-2", "2")),
    ({"top_logprobs": 21, "logprobs": True}, "top_logprobs", ("0", "20")),
    ({"n": 0}, "n", ("1",)),
    ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role", ("'user'", "'tool'")),
    (
        {"messages": [{"role": "tool", "content": "42"}]},
        "messages[0].tool_call_id",
        ("string",),
    ),
    ({"response_format": 42}, "response_format", ("json_object", "json_schema")),
    ({"response_format": {"type": "xml"}}, "response_format", ("json_object", "json_schema")),
]


@both
@pytest.mark.parametrize(("kwargs", "param", "allowed"), INVALID, ids=lambda v: str(v)[:40])
async def test_bad_input_fails_before_sending(
    kind: str, kwargs: dict[str, Any], param: str, allowed: tuple[str, ...]
) -> None:
    handler = Recorder()
    client = make_client(kind, handler)
    with pytest.raises(workbench.InvalidParameterError) as info:
        await create(client, **kwargs)
    assert info.value.param == param
    message = str(info.value)
    assert message.startswith(param)
    for word in allowed:
        assert word in message
    assert isinstance(info.value, ValueError)
    assert handler.calls == 0


@both
async def test_extra_body_lets_through_what_the_validator_refuses(kind: str) -> None:
    # top_logprobs without logprobs=True is refused as a parameter...
    handler = Recorder()
    client = make_client(kind, handler)
    with pytest.raises(workbench.InvalidParameterError, match="logprobs"):
        await create(client, top_logprobs=2)
    assert handler.calls == 0
    # ...but sent as given through extra_body (and the spec allows it).
    await create(client, extra_body={"top_logprobs": 2})
    assert handler.body["top_logprobs"] == 2


@both
async def test_extra_body_sends_even_a_value_the_spec_refuses(kind: str) -> None:
    # The one request here that is meant to break the spec: extra_body is the escape hatch.
    handler = Recorder(validate=False)
    await create(make_client(kind, handler), extra_body={"temperature": 3})
    assert handler.body["temperature"] == 3
    assert not schema_validator("CreateChatCompletionRequest").is_valid(handler.body)


def test_the_spec_validator_refuses_a_bad_body() -> None:
    validator = schema_validator("CreateChatCompletionRequest")
    good = {"model": "gpt-4o", "messages": MESSAGES, "max_completion_tokens": None}
    assert validator.is_valid(good)
    assert not validator.is_valid({"model": "gpt-4o", "messages": []})
    assert not validator.is_valid({"model": "gpt-4o", "messages": [{"role": "robot"}]})
    assert not validator.is_valid({**good, "top_p": 2})


# -- the spec's response examples ------------------------------------------------------------------


def _path_examples(path: str, method: str) -> list[Any]:
    examples = spec()["paths"][path][method]["x-oaiMeta"]["examples"]
    if isinstance(examples, dict):
        examples = [examples]
    return [value for example in examples for value in example_values(example["response"])]


def _response_types() -> dict[str, Any]:
    from workbench.client._pagination import CursorPage

    types = workbench.types
    return {
        "CreateChatCompletionResponse": types.ChatCompletion,
        "CreateChatCompletionStreamResponse": types.ChatCompletionChunk,
        "ChatCompletionList": CursorPage[types.ChatCompletion],
        "ChatCompletionMessageList": CursorPage[types.ChatCompletionStoreMessage],
        "ChatCompletionDeleted": types.ChatCompletionDeleted,
        "Model": types.Model,
        "ListModelsResponse": CursorPage[types.Model],
        "DeleteModelResponse": types.ModelDeleted,
    }


def _all_response_examples() -> list[tuple[str, Any]]:
    """Every response example in the spec, with the schema it illustrates.

    Schemas carry one in ``x-oaiMeta.example``; operations in ``x-oaiMeta.examples``, for the
    schema their 200 response refers to (chunks of a stream for the ``text/event-stream`` one).
    """
    found = []
    for name, schema in spec()["components"]["schemas"].items():
        example = schema.get("x-oaiMeta", {}).get("example")
        if example and name in _response_types():
            found += [(name, value) for value in example_values(example)]
    for operations in spec()["paths"].values():
        for operation in operations.values():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            refs = {
                kind: body["schema"]["$ref"].rsplit("/", 1)[1] for kind, body in content.items()
            }
            examples = operation.get("x-oaiMeta", {}).get("examples") or []
            for example in [examples] if isinstance(examples, dict) else examples:
                for value in example_values(example["response"]):
                    is_chunk = value.get("object") == "chat.completion.chunk"
                    found.append(
                        (refs["text/event-stream" if is_chunk else "application/json"], value)
                    )
    return found


def test_every_response_example_of_the_spec_validates_into_the_types() -> None:
    types = _response_types()
    examples = _all_response_examples()
    assert {name for name, _ in examples} == set(types)  # each type has at least one example
    for name, value in examples:
        parsed = types[name].model_validate(value)
        # Nothing of the example is lost, not even fields the types do not declare.
        assert parsed.model_dump(mode="json", exclude_unset=True) == value, name
    assert len(examples) >= 20


@both
async def test_path_examples_parse_through_the_client(kind: str) -> None:
    """Each operation's example response, served to the method that calls that operation."""
    calls: list[tuple[str, str, Any]] = [
        ("/chat/completions/{completion_id}", "get", lambda c: c.chat.completions.retrieve("x")),
        (
            "/chat/completions/{completion_id}",
            "post",
            lambda c: c.chat.completions.update("x", metadata={"foo": "bar"}),
        ),
        ("/chat/completions/{completion_id}", "delete", lambda c: c.chat.completions.delete("x")),
        ("/models/{model}", "get", lambda c: c.models.retrieve("gpt-4o")),
        ("/models/{model}", "delete", lambda c: c.models.delete("ft:x")),
    ]
    for path, method, call in calls:
        for value in _path_examples(path, method):
            client = make_client(kind, Recorder(httpx.Response(200, json=value)))
            result = await resolve(call(client))
            assert result.model_dump(mode="json", exclude_unset=True) == value

    for value in _path_examples("/chat/completions", "post"):
        if value["object"] != "chat.completion":
            continue
        completion = await create(make_client(kind, Recorder(httpx.Response(200, json=value))))
        assert completion.model_dump(mode="json", exclude_unset=True) == value

    listings: list[tuple[str, Any]] = [
        ("/chat/completions", lambda c: c.chat.completions.list()),
        (
            "/chat/completions/{completion_id}/messages",
            lambda c: c.chat.completions.messages.list("x"),
        ),
        ("/models", lambda c: c.models.list()),
    ]
    for path, call in listings:
        for value in _path_examples(path, "get"):
            client = make_client(kind, Recorder(httpx.Response(200, json=value)))
            items = await collect(call(client))
            assert [item.model_dump(mode="json", exclude_unset=True) for item in items] == value[
                "data"
            ]


@both
async def test_the_streaming_example_streams_through_the_client(kind: str) -> None:
    chunks = [v for v in _path_examples("/chat/completions", "post") if "delta" in json.dumps(v)]
    assert len(chunks) >= 2
    handler = Recorder(sse_response(sse_body(*chunks)))
    stream = await create(make_client(kind, handler), stream=True)
    received = await collect(stream)
    assert [c.model_dump(mode="json", exclude_unset=True) for c in received] == chunks
    assert stream.completed
