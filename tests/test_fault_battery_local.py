"""The local model's fault kinds added for the fault battery (stall, empty, not-json, huge,
error-event, no-done, and the ``format`` of a status fault's body), in-process and over HTTP."""

from __future__ import annotations

import time

import pytest

import workbench
from tests._local import USER, ServerProcess
from tests._mock import patch_sleep
from tests.test_local_faults import Connect, connect, create
from tests.test_local_faults import _read_until_error as read
from workbench.local import FAULT_HEADER, Fault, LocalModel, parse_fault

__all__ = ["connect"]  # the fixture, shared with test_local_faults.py


def faulty(spec: str) -> dict[str, str]:
    return {FAULT_HEADER: spec}


# -- parsing ------------------------------------------------------------------------------------


def test_the_new_kinds_parse() -> None:
    assert parse_fault("stall") == Fault("stall")
    assert parse_fault("stall").in_stream is False
    assert parse_fault("stall;after=4;seconds=2") == Fault("stall", after=4, seconds=2.0)
    assert parse_fault("stall;after=4").in_stream is True
    assert parse_fault("502;format=html;times=1") == Fault(
        "status", status=502, format="html", times=1
    )
    assert parse_fault("huge;size=1000") == Fault("huge", size=1000)
    for kind in ("empty", "not-json", "huge", "error-event", "no-done"):
        assert parse_fault(kind).kind == kind
    for kind in ("cut", "malformed", "error-event", "no-done"):
        assert parse_fault(kind).in_stream is True
    for kind in ("latency", "drop", "empty", "not-json", "huge", "503"):
        assert parse_fault(kind).in_stream is False


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("500;format=xml", "format must be one of"),
        ("stall;after=-1", ">= 0"),
        ("hang", "fault kind must be one of"),
        ("no-done;afer=2", "unknown fault option"),
    ],
)
def test_a_bad_spec_is_refused(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_fault(spec)


def test_a_bad_header_is_a_400_naming_it(connect: Connect) -> None:
    client = connect(LocalModel())
    with pytest.raises(workbench.BadRequestError, match="format must be one of"):
        create(client, extra_headers=faulty("502;format=xml"))


# -- before the reply --------------------------------------------------------------------------


def test_a_stall_ends_in_the_clients_read_timeout(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = patch_sleep(monkeypatch)
    client = connect(LocalModel(), timeout=0.2, max_retries=1)
    started = time.monotonic()
    with pytest.raises(workbench.APITimeoutError):
        create(client, extra_headers=faulty("stall"))
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 3, f"two attempts of 0.2 s each took {elapsed:.2f} s"
    assert len(sleeps) == 1, "a timeout is retried"


def test_a_stall_with_an_end_closes_the_connection(connect: Connect) -> None:
    client = connect(LocalModel(), timeout=5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(workbench.APIConnectionError) as info:
        create(client, extra_headers=faulty("stall;seconds=0.2"))
    assert not isinstance(info.value, workbench.APITimeoutError)
    assert 0.2 <= time.monotonic() - started < 3


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("spec", "words"),
    [("empty", "empty body"), ("not-json", "not JSON|not an event stream")],
)
def test_a_200_that_is_not_a_reply(connect: Connect, spec: str, words: str, stream: bool) -> None:
    model = LocalModel(faults=[parse_fault(f"{spec};times=1")])
    client = connect(model, max_retries=2)
    with pytest.raises(workbench.APIResponseValidationError, match=words) as info:
        result = create(client, stream=stream)
        if stream:
            list(result)
    assert info.value.status_code == 200
    assert create(client).choices, "the fault fired once, and a bad 200 is not retried"


@pytest.mark.parametrize("stream", [False, True])
def test_a_huge_reply_comes_whole(connect: Connect, stream: bool) -> None:
    client = connect(LocalModel(faults=[Fault("huge", size=300_000)]))
    if stream:
        chunks = list(create(client, stream=True, stream_options={"include_usage": True}))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-1].usage is not None
        assert len(chunks) == 4, "one event holds the whole text"
    else:
        completion = create(client, model="m-big")
        text = completion.choices[0].message.content
        assert completion.model == "m-big" and completion.usage.completion_tokens == 75_000
    assert len(text) == 300_000 and text.startswith("A huge reply")


@pytest.mark.parametrize(
    ("status", "form", "cls", "shown"),
    [
        (502, "html", workbench.InternalServerError, "<h1>502 Bad Gateway</h1>"),
        (404, "detail", workbench.NotFoundError, "Injected fault: status 404"),
        (503, "text", workbench.InternalServerError, "Injected fault: status 503"),
    ],
)
def test_an_error_body_in_another_format_still_names_the_cause(
    connect: Connect, status: int, form: str, cls: type[Exception], shown: str
) -> None:
    client = connect(LocalModel(), max_retries=0)
    with pytest.raises(cls) as info:
        create(client, extra_headers=faulty(f"{status};format={form}"))
    assert shown in str(info.value) and str(status) in str(info.value)
    assert info.value.response.headers["content-type"].startswith(  # type: ignore[attr-defined]
        {"html": "text/html", "detail": "application/json", "text": "text/plain"}[form]
    )


# -- in the stream ------------------------------------------------------------------------------


def test_an_error_event_keeps_the_chunks_before(connect: Connect) -> None:
    client = connect(LocalModel(), max_retries=2)
    received, error = read(create(client, stream=True, extra_headers=faulty("error-event;after=2")))
    assert type(error) is workbench.APIError and "an error event" in str(error)
    assert error.type == "server_error"
    assert len(received) == 2


def test_no_done_mid_reply_is_a_cut_and_after_the_whole_reply_is_fine(connect: Connect) -> None:
    client = connect(LocalModel(), max_retries=2)
    received, error = read(create(client, stream=True, extra_headers=faulty("no-done;after=2")))
    assert isinstance(error, workbench.APIConnectionError)
    assert "before the reply was finished" in str(error) and len(received) == 2
    stream = create(client, stream=True, extra_headers=faulty("no-done"))
    received, error = read(stream)
    assert error is None and not stream.completed
    assert received[-1].choices[0].finish_reason == "stop"


def test_a_stall_mid_stream_times_out_with_the_chunks_kept(connect: Connect) -> None:
    client = connect(LocalModel(), timeout=0.2, max_retries=2)
    started = time.monotonic()
    received, error = read(create(client, stream=True, extra_headers=faulty("stall;after=3")))
    assert isinstance(error, workbench.APITimeoutError) and len(received) == 3
    assert 0.2 <= time.monotonic() - started < 3, "one attempt: a stream is not retried"


def test_the_new_kinds_from_the_command_line() -> None:
    server = ServerProcess("--fault", "stall;after=1;times=1", "--fault", "502;format=html;times=1")
    try:
        with workbench.Client(base_url=server.url, api_key="sk-t", timeout=1.0) as client:
            with pytest.raises(workbench.InternalServerError, match="502 Bad Gateway"):
                create(client.with_options(max_retries=0), stream=True)
            received, error = read(create(client, stream=True))
            assert isinstance(error, workbench.APITimeoutError) and len(received) == 1
            assert create(client, messages=USER).choices
        code, err = server.interrupt()
        assert code == 0, err
    finally:
        server.kill()
