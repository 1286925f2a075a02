"""How failures reach the caller: one error class per status, connection errors and timeouts,
responses that are not what the protocol promises, and an API key that never leaks."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import httpx
import pytest

import workbench
from tests._mock import (
    KEY,
    Pieces,
    Recorder,
    TinyServer,
    both,
    chunk_json,
    close,
    collect,
    create,
    each,
    http_head,
    make_client,
    patch_sleep,
    real_client,
    resolve,
    sse_body,
    sse_response,
)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    return patch_sleep(monkeypatch)


def error_json(
    message: str, *, code: str | None = "some_code", type: str = "invalid_request_error"
):
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


STATUS_CLASSES = [
    (400, workbench.BadRequestError),
    (401, workbench.AuthenticationError),
    (403, workbench.PermissionDeniedError),
    (404, workbench.NotFoundError),
    (409, workbench.ConflictError),
    (422, workbench.UnprocessableEntityError),
    (429, workbench.RateLimitError),
    (500, workbench.InternalServerError),
    (502, workbench.InternalServerError),
    (503, workbench.InternalServerError),
]


# -- status errors ---------------------------------------------------------------------------------


@both
@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_each_status_raises_its_class(kind: str, status: int, cls: type[Any]) -> None:
    body = error_json(f"the server says no ({status})", code=f"code_{status}")
    handler = Recorder(httpx.Response(status, json=body, headers={"x-request-id": "req_abc"}))
    client = make_client(kind, handler, max_retries=0)
    with pytest.raises(workbench.APIStatusError) as info:
        await create(client)
    err = info.value
    assert type(err) is cls
    assert isinstance(err, workbench.APIError)
    assert isinstance(err, workbench.OpenAIError)
    assert err.status_code == status
    assert err.request_id == "req_abc"
    assert err.body == body["error"]
    assert err.code == f"code_{status}"
    assert err.type == "invalid_request_error"
    assert f"the server says no ({status})" in str(err)
    assert str(status) in str(err)
    assert "req_abc" in str(err)
    assert err.response.status_code == status
    assert err.request.url.path == "/v1/chat/completions"
    assert handler.calls == 1


@both
async def test_an_unmapped_4xx_is_an_api_status_error(kind: str) -> None:
    handler = Recorder(httpx.Response(418, json=error_json("I'm a teapot")))
    with pytest.raises(workbench.APIStatusError) as info:
        await create(make_client(kind, handler))
    assert type(info.value) is workbench.APIStatusError
    assert info.value.status_code == 418
    assert "I'm a teapot" in str(info.value)


@both
async def test_other_endpoints_map_errors_too(kind: str) -> None:
    handler = Recorder(httpx.Response(404, json=error_json("No such completion: cc-1")))
    client = make_client(kind, handler)
    with pytest.raises(workbench.NotFoundError, match="No such completion"):
        await resolve(client.chat.completions.retrieve("cc-1"))
    with pytest.raises(workbench.NotFoundError):
        await resolve(client.models.retrieve("nope"))
    with pytest.raises(workbench.NotFoundError):
        await collect(client.chat.completions.list())


@both
async def test_a_non_json_error_body_is_kept_as_text(kind: str) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    handler = Recorder(httpx.Response(502, text=html, headers={"content-type": "text/html"}))
    with pytest.raises(workbench.InternalServerError) as info:
        await create(make_client(kind, handler, max_retries=0))
    assert info.value.status_code == 502
    assert info.value.body == html
    assert "502 Bad Gateway" in str(info.value)
    assert info.value.request_id is None


@both
@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"detail": "Model 'llama9' not found"}, "Model 'llama9' not found"),  # FastAPI servers
        ({"error": "model is required"}, "model is required"),  # Ollama
        ({"error": {"code": "no_message_here"}}, "no_message_here"),
        ({"object": "error", "message": "vLLM says no", "code": 404}, "vLLM says no"),
    ],
)
async def test_an_error_body_not_in_openais_format_still_shows_the_server_message(
    kind: str, body: dict[str, Any], shown: str
) -> None:
    handler = Recorder(httpx.Response(404, json=body))
    with pytest.raises(workbench.NotFoundError) as info:
        await create(make_client(kind, handler))
    assert shown in str(info.value)
    assert info.value.body == body.get("error", body)


@both
async def test_an_empty_error_body(kind: str) -> None:
    handler = Recorder(httpx.Response(500))
    with pytest.raises(workbench.InternalServerError) as info:
        await create(make_client(kind, handler, max_retries=0))
    assert str(info.value) == "Error code: 500"
    assert info.value.body == ""


# -- responses that are not what the protocol promises ---------------------------------------------


@both
@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(200), "empty"),
        (httpx.Response(200, content=b"  \n"), "empty"),
        (httpx.Response(200, text="<html>login page</html>"), "not JSON"),
        (httpx.Response(200, json={"hello": "world"}), "ChatCompletion"),
        (httpx.Response(200, json=[1, 2, 3]), "ChatCompletion"),
    ],
    ids=["empty", "blank", "html", "wrong-shape", "a-list"],
)
async def test_a_200_that_is_not_a_completion_is_a_validation_error(
    kind: str, response: httpx.Response, words: str
) -> None:
    handler = Recorder(response)
    with pytest.raises(workbench.APIResponseValidationError, match=words) as info:
        await create(make_client(kind, handler))
    assert info.value.status_code == 200
    assert isinstance(info.value, workbench.APIError)
    assert handler.calls == 1  # a bad 200 is not retried


# -- no response at all ----------------------------------------------------------------------------


@both
async def test_connection_refused_is_an_api_connection_error(kind: str) -> None:
    handler = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(workbench.APIConnectionError) as info:
        await create(make_client(kind, handler, max_retries=0))
    assert type(info.value) is workbench.APIConnectionError
    assert "Connection refused" in str(info.value)
    assert info.value.request.url.path == "/v1/chat/completions"
    assert handler.calls == 1


@both
@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out")],
    ids=["read", "connect"],
)
async def test_a_timeout_is_an_api_timeout_error(kind: str, exc: Exception) -> None:
    handler = Recorder(exc)
    with pytest.raises(workbench.APITimeoutError) as info:
        await create(make_client(kind, handler, max_retries=0))
    assert isinstance(info.value, workbench.APIConnectionError)
    assert handler.calls == 1


@both
async def test_a_real_refused_connection(kind: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = real_client(kind, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(workbench.APIConnectionError) as info:
        await create(client)
    assert type(info.value) is workbench.APIConnectionError
    await close(client)


@both
async def test_a_real_stalled_server_times_out(kind: str) -> None:
    def stall(server: TinyServer, conn: socket.socket, n: int) -> None:
        server.stopping.wait(5)

    with TinyServer(stall) as server:
        client = real_client(kind, base_url=server.url, max_retries=1, timeout=0.2)
        with pytest.raises(workbench.APITimeoutError):
            await create(client)
        assert server.connections == 2  # the timeout was retried once
        await close(client)


# -- the API key never leaks -----------------------------------------------------------------------


def _echo_key(request: httpx.Request) -> httpx.Response:
    """A server that repeats the credentials it got, in its message and elsewhere in the body."""
    sent = request.headers.get("authorization", "")
    body = {
        "error": {
            "message": f"Incorrect API key provided: {sent}. Key: {KEY}",
            "type": "invalid_request_error",
            "param": KEY,
            "code": "invalid_api_key",
            "details": {"headers": dict(request.headers), "keys": [KEY]},
        }
    }
    return httpx.Response(401, json=body, headers={"x-request-id": "req_leak"})


def _assert_no_key(*texts: object) -> None:
    for text in texts:
        assert KEY not in str(text)
        assert KEY not in repr(text)


@both
async def test_the_key_never_appears_in_a_status_error_or_the_logs(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    busy = httpx.Response(503, json=error_json(f"busy, {KEY}"))
    client = make_client(kind, Recorder(busy, _echo_key))
    with pytest.raises(workbench.AuthenticationError) as info:
        await create(client)
    assert any("retry" in r.getMessage() for r in caplog.records)  # the retry was logged
    err = info.value
    assert "Incorrect API key provided" in str(err)  # the message is kept, only the key goes
    _assert_no_key(err, err.body, err.message, err.param, err.args, client)
    _assert_no_key(err.request.headers, err.request, json.dumps(err.body))
    _assert_no_key(caplog.text, [r.getMessage() for r in caplog.records])


@both
async def test_the_key_never_appears_in_a_stream_error(kind: str) -> None:
    echoed = {"error": {"message": f"bad key {KEY}", "type": "auth", "param": KEY, "code": None}}
    for body in (
        f"event: error\ndata: {json.dumps(echoed)}\n\n".encode(),
        sse_body(chunk_json({"content": "a"}), echoed),
    ):
        client = make_client(kind, Recorder(sse_response(body)))
        stream = await create(client, stream=True)
        with pytest.raises(workbench.APIError) as info:
            await collect(stream)
        assert "bad key" in str(info.value)
        _assert_no_key(info.value, info.value.body, json.dumps(info.value.body), info.value.param)


@both
async def test_the_key_never_appears_in_a_validation_error(kind: str) -> None:
    # A base URL pointing at an echo service (such as httpbin's /anything) answers 200 with the
    # request's headers, key included; the error about that body must not repeat it.
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"headers": dict(request.headers), "key": KEY})

    client = make_client(kind, Recorder(echo))
    with pytest.raises(workbench.APIResponseValidationError) as info:
        await create(client)
    _assert_no_key(info.value, info.value.body, json.dumps(info.value.body))

    chunk = {**chunk_json({"content": "a"}), "choices": KEY}  # a chunk of the wrong shape
    client = make_client(kind, Recorder(sse_response(sse_body(chunk))))
    stream = await create(client, stream=True)
    with pytest.raises(workbench.APIResponseValidationError) as info:
        await collect(stream)
    _assert_no_key(info.value, info.value.body, json.dumps(info.value.body))


@both
async def test_the_key_never_appears_in_real_http_logs(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    message = json.dumps(error_json(f"Incorrect API key provided: {KEY}")).encode()

    def answer(server: TinyServer, conn: socket.socket, n: int) -> None:
        head = http_head(401, content_type="application/json", content_length=str(len(message)))
        conn.sendall(head + message)

    with TinyServer(answer) as server:
        client = real_client(kind, base_url=server.url)
        with pytest.raises(workbench.AuthenticationError) as info:
            await create(client)
        await close(client)
    assert KEY.encode() in server.requests[0]  # it was sent, as it must be...
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    _assert_no_key(info.value, info.value.body, caplog.text)  # ...but never shown


def test_repr_of_clients_hides_the_key() -> None:
    for client in (workbench.Client(api_key=KEY), workbench.AsyncClient(api_key=KEY)):
        assert KEY not in repr(client)
        assert KEY not in str(client)
        assert "api_key=<set>" in repr(client)
        assert client.api_key == KEY


@both
async def test_the_stream_payload_error_keeps_the_chunks_before(kind: str) -> None:
    body = sse_body(
        chunk_json({"role": "assistant", "content": "Hel"}),
        {"error": {"message": "overloaded", "type": "server_error"}},
        chunk_json({"content": "never"}),
    )
    stream = await create(make_client(kind, Recorder(sse_response(body))), stream=True)
    got: list[Any] = []
    with pytest.raises(workbench.APIError, match="overloaded") as info:
        async for chunk in each(stream):
            got.append(chunk)
    assert [c.choices[0].delta.content for c in got] == ["Hel"]
    assert info.value.body == {"message": "overloaded", "type": "server_error"}
    assert not stream.completed


@both
async def test_a_body_cut_short_is_an_api_connection_error(kind: str) -> None:
    pieces = Pieces([sse_body(chunk_json({"content": "a"}), done=False), httpx.ReadError("reset")])
    stream = await create(make_client(kind, Recorder(sse_response(pieces))), stream=True)
    with pytest.raises(workbench.APIConnectionError, match="reset"):
        await collect(stream)
