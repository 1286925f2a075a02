"""One scan for secrets: a canary key set through every route appears in no artifact.

The routes: ``OPENAI_API_KEY``, ``Client(api_key=...)``, ``default_headers`` (an
``Authorization: Bearer`` header and an ``api-key`` header), per-request ``extra_headers``, the
magics (``%wb record``/``replay``, ``%%chat``, ``%wb params``/``history``/``export``/``models``)
against a server that requires the key, and a notebook run by nbclient with the key in its
kernel's environment. Each route has its own canary (OpenAI-shaped or not), so a leak names its
route. The servers echo every credential they get back in their error messages, stream errors
and malformed bodies, as some real servers do.

Every artifact is collected into one list of ``(where, text)``: reprs and strs, exceptions
(message, body, traceback), warnings, log records, every row of every SQLite table (and the raw
database files), cassettes, DataFrames (transcripts, usage, grid results), JSONL and Parquet
files, widget state (``ConversationWidget`` and ``GridView``), copy-as-code snippets, what the
magics print, and the executed notebook and its HTML export. Neither a canary nor its last 12
characters may appear in any. And the keys were sent: each server saw each canary where it
belongs (the local servers refuse requests without it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import workbench
from tests._local import server_thread
from tests._mock import chunk_json, completion_json, sse_body, sse_response
from tests._notebook import run_notebook
from workbench.local import LocalModel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.usefixtures("recording_comm")]

CANARIES = {
    "env": "sk-proj-EnvCanaryT9q4Lm2Xv7Rb1Kd5Zw8H",  # shaped like an OpenAI key
    "constructor": "wb-ctor-canary-K7m2Q9x4Z1v8R3t6N0",  # not: known only as the client's key
    "bearer header": "wb-hdr-canary-P4n8W2q6Y9s1U5e3",
    "api-key header": "wb-azk-canary-J3k7M1p5T9w2G6y0",
    "extra header": "wb-xtr-canary-B6d0F4h8L2r5C9v1",
    "magics": "wb-mag-canary-H2j6N0s4V8z3X7c1",
    "notebook": "wb-nbk-canary-Q5w9E3r7T1y6U0i4",
}
TAIL = 12  # characters: a partial leak ("sk-proj-...Zw8H") counts too

Artifacts = list[tuple[str, str]]


def get_weather(city: str) -> dict[str, Any]:
    """Get the weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21}


# -- an echoing server ---------------------------------------------------------------------------

CREDENTIAL_HEADERS = ("authorization", "api-key", "x-api-key")


class EchoServer:
    """A ``MockTransport`` handler that requires ``credentials`` (header name -> value) and
    echoes every credential header it gets in errors, stream errors and malformed bodies."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials
        self.seen: list[dict[str, str]] = []
        self.retried = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append(headers)
        echo = " | ".join(f"{k}={headers[k]}" for k in CREDENTIAL_HEADERS if k in headers)
        if any(headers.get(k.lower()) != v for k, v in self.credentials.items()):
            return httpx.Response(401, json={"error": {"message": f"Incorrect key: {echo}"}})
        body = json.loads(request.content) if request.content else {}
        last = (body.get("messages") or [{}])[-1].get("content")
        if request.url.path.endswith("/models"):
            return httpx.Response(
                200,
                json={
                    "object": "list",
                    "data": [
                        {"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "echo"}
                    ],
                },
            )
        if last == "fail":
            return httpx.Response(
                400, json={"error": {"message": f"bad request ({echo})", "param": echo}}
            )
        if last == "retry" and not self.retried:  # once, for a retry line in the log
            self.retried = True
            return httpx.Response(429, headers={"retry-after-ms": "1"}, json={"error": echo})
        if last == "garbage":
            return httpx.Response(200, json={"unexpected": echo})
        if last == "fail mid-stream":
            error = json.dumps({"error": {"message": f"stream failed ({echo})"}})
            events = [chunk_json({"content": "partial"}), f"event: error\ndata: {error}\n\n"]
            return sse_response(sse_body(*events, done=False))
        if body.get("stream"):
            chunks = [chunk_json({"role": "assistant", "content": ""})]
            chunks += [chunk_json({"content": "Hello there"}), chunk_json({}, finish_reason="stop")]
            return sse_response(sse_body(*chunks))
        return httpx.Response(200, json=completion_json("Hello there"))


# -- collecting artifacts ------------------------------------------------------------------------


class Collector(logging.Handler):
    """Every log record of workbench and httpx, formatted, as an artifact."""

    def __init__(self, artifacts: Artifacts) -> None:
        super().__init__(logging.DEBUG)
        self.artifacts = artifacts

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        self.artifacts.append((f"log {record.name}", text))


@contextmanager
def collecting(artifacts: Artifacts) -> Iterator[None]:
    handler = Collector(artifacts)
    loggers = [logging.getLogger(name) for name in ("workbench", "httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.removeHandler(handler)
                logger.setLevel(level)
    artifacts.extend((f"warning {w.category.__name__}", str(w.message)) for w in caught)


def add_exception(artifacts: Artifacts, where: str, exc: BaseException) -> None:
    artifacts.append((f"{where}: str", str(exc)))
    artifacts.append((f"{where}: repr", repr(exc)))
    artifacts.append((f"{where}: args", repr(exc.args)))
    artifacts.append((f"{where}: traceback", "".join(traceback.format_exception(exc))))
    for name in ("message", "body", "param"):
        if hasattr(exc, name):
            artifacts.append((f"{where}: .{name}", repr(getattr(exc, name))))


def expect_error(artifacts: Artifacts, where: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except workbench.WorkbenchError as exc:
        add_exception(artifacts, where, exc)
    else:
        pytest.fail(f"{where}: no error")


def add_frame(artifacts: Artifacts, where: str, frame: pd.DataFrame) -> None:
    artifacts.append((where, repr(frame.to_dict("records")) + repr(list(frame.columns))))
    artifacts.append((f"{where} as CSV", frame.to_csv()))


def add_database(artifacts: Artifacts, where: str, path: Path) -> None:
    """Every row of every table, and the raw bytes of the database and its journal files."""
    with sqlite3.connect(path) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
            artifacts.append((f"{where} table {table}", repr(rows)))
    assert {"conversations", "messages", "exchanges"} <= set(tables)
    for file in path.parent.glob(path.name + "*"):
        artifacts.append((f"{where} file {file.name}", file.read_bytes().decode("latin-1")))


def add_widgets(artifacts: Artifacts, where: str, chat: workbench.Conversation) -> None:
    from workbench.widgets._widget import ConversationWidget

    view = ConversationWidget(chat)
    artifacts.append((f"{where} widget state", json.dumps(view.get_state(), default=repr)))
    bundle = view._repr_mimebundle_()
    artifacts.append((f"{where} widget bundle", json.dumps(bundle, default=repr)))
    for flavor, code in view.code("one more").items():
        artifacts.append((f"{where} copy as {flavor}", code))
    sent = view.comm.messages  # type: ignore[union-attr]
    artifacts.append((f"{where} widget comm", json.dumps(sent, default=repr)))


# -- the routes ----------------------------------------------------------------------------------


def exercise_client(
    artifacts: Artifacts, where: str, make: Callable[..., Any], folder: Path
) -> workbench.Client:
    """Every kind of call through a client made by ``make(**options)``, failures included,
    and every artifact a conversation, the log, the exports, a cassette and a grid make."""
    client = make()
    artifacts += [(f"{where} client repr", repr(client)), (f"{where} client str", str(client))]
    artifacts.append((f"{where} copy repr", repr(client.with_options(max_retries=0))))
    completions = client.chat.completions
    user = [{"role": "user", "content": "Hi"}]
    artifacts.append((f"{where} completion", repr(completions.create(model="m", messages=user))))
    artifacts.append(
        (f"{where} chunks", repr(list(completions.create(model="m", messages=user, stream=True))))
    )
    with completions.stream(model="m", messages=user) as stream:
        artifacts.append((f"{where} stream events", repr(list(stream))))
        artifacts.append((f"{where} stream repr", repr(stream)))
    artifacts.append((f"{where} models", repr(client.models.list())))
    retried = make(max_retries=1).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "retry"}]
    )
    artifacts.append((f"{where} retried", repr(retried)))
    raw = completions.with_raw_response.create(model="m", messages=user)
    artifacts.append((f"{where} raw response", repr(raw) + repr(dict(raw.headers))))
    for text in ("fail", "garbage"):
        expect_error(
            artifacts,
            f"{where} {text}",
            lambda t=text: completions.create(model="m", messages=[{"role": "user", "content": t}]),
        )
    expect_error(
        artifacts,
        f"{where} fail mid-stream",
        lambda: list(
            completions.create(
                model="m", messages=[{"role": "user", "content": "fail mid-stream"}], stream=True
            )
        ),
    )

    log = folder / "log.sqlite3"
    # the scripted server speaks Chat Completions (on OpenAI's URL, where "auto" takes Responses)
    chat = workbench.Conversation(
        client=client, model="gpt-4o-mini", tools=[get_weather], log=log, api="chat"
    )
    chat.send("Hello")
    for text in ("fail", "fail mid-stream"):
        with pytest.raises(workbench.APIError) as caught:
            chat.send(text)
        add_exception(artifacts, f"{where} conversation {text}", caught.value)
    assert chat.messages[1].status == "complete", "the key was sent and accepted"
    artifacts += [(f"{where} chat repr", repr(chat)), (f"{where} params", repr(chat.params))]
    from workbench.widgets import transcript_text

    artifacts.append((f"{where} transcript", transcript_text(chat)))
    artifacts.append(
        (f"{where} messages", repr([m.model_dump() for m in chat.history.messages.values()]))
    )
    add_widgets(artifacts, where, chat)
    add_frame(artifacts, f"{where} to_dataframe", chat.to_dataframe(branches=True))
    add_frame(artifacts, f"{where} usage_dataframe", chat.usage_dataframe())
    add_frame(
        artifacts, f"{where} log to_dataframe", workbench.to_dataframe(log=log, branches=True)
    )
    add_frame(artifacts, f"{where} log usage", workbench.usage_dataframe(log=log))
    chat.to_jsonl(folder / "chat.jsonl")
    chat.to_parquet(folder / "chat.parquet")
    for name in ("chat.jsonl", "chat.parquet"):
        artifacts.append((f"{where} {name}", (folder / name).read_bytes().decode("latin-1")))
    chat.close()
    add_database(artifacts, f"{where} log", log)

    cassette = folder / "run.jsonl"
    with make(record=cassette) as recording:
        recording.chat.completions.create(model="m", messages=user)
        expect_error(
            artifacts,
            f"{where} recorded fail",
            lambda: recording.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "fail"}]
            ),
        )
    artifacts.append((f"{where} cassette", cassette.read_text(encoding="utf-8")))

    grid = workbench.Grid(["Hi", "fail"], models=["m"], client=client, apis="chat")
    from workbench.widgets import GridView

    view = GridView(grid)
    result = grid.run(display=False)
    add_frame(artifacts, f"{where} grid result", result.to_dataframe())
    artifacts += [(f"{where} grid repr", repr(grid)), (f"{where} result repr", repr(result))]
    artifacts.append((f"{where} grid view state", json.dumps(view.get_state(), default=repr)))
    return client


def echo_route(server: EchoServer, **options: Any) -> Callable[..., workbench.Client]:
    def make(**more: Any) -> workbench.Client:
        transport = httpx.MockTransport(server)
        settings = {"max_retries": 0, **options, **more}
        return workbench.Client(http_client=httpx.Client(transport=transport), **settings)

    return make


def magics_route(artifacts: Artifacts, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = CANARIES["magics"]
    with server_thread(LocalModel(api_key=key)) as url, pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_API_KEY", key)
        env.setenv("OPENAI_BASE_URL", url)
        env.setenv("WORKBENCH_LOG", str(folder / "magics-log.sqlite3"))
        shell = InteractiveShell.instance()
        shell.reset(new_session=True)
        shell.run_line_magic("load_ext", "workbench")
        cassette = folder / "magics.jsonl"
        cells = [
            f"%wb record {cassette}",
            "%%chat\nHello from the magics",
            "%wb params chat temperature=0.5 metadata={'run': 'scan'}",
            "%wb params chat",
            "%wb history",
            "%wb export chat frame",
            "%wb models",
            "%wb params chat temperature=7",  # a UsageError
            f"%wb replay {cassette}",
            "%%chat\nHello from the magics",
            "%wb record off",
        ]
        magics = shell.magics_manager.registry["WorkbenchMagics"]
        clients = []
        try:
            for cell in cells:
                clients.append(magics._client)  # each %wb record/replay makes a new one
                result = shell.run_cell(cell)
                error = result.error_in_exec or result.error_before_exec
                if error is not None:
                    add_exception(artifacts, f"magics {cell!r}", error)
            chat = shell.user_ns["chat"]
            assert chat.messages[1].status == "complete", "the server took the key"
            artifacts += [("magics chat repr", repr(chat)), ("magics client", repr(chat.client))]
            add_frame(artifacts, "magics %wb export", shell.user_ns["frame"])
            add_widgets(artifacts, "magics", chat)
        finally:
            for client in {id(c): c for c in [*clients, magics._client] if c is not None}.values():
                client.close()
            shell.run_line_magic("unload_ext", "workbench")
            shell.reset(new_session=True)
        out = capsys.readouterr()
        artifacts += [("magics stdout", out.out), ("magics stderr", out.err)]
        artifacts.append(("magics cassette", cassette.read_text(encoding="utf-8")))
        add_database(artifacts, "magics log", folder / "magics-log.sqlite3")


NOTEBOOK = [
    "import logging, workbench, workbench.widgets\n"
    "logging.basicConfig(level=logging.DEBUG)  # every library's debug lines into the output",
    "client = workbench.Client()\nprint(repr(client), client, client.base_url)",
    "chat = workbench.Conversation(client=client, log=True)\n"
    "chat.send('Hello from a notebook')\nprint(chat.messages[-1].status)",
    "chat",
    "chat.to_dataframe()",
    "%load_ext workbench",
    "%%chat other\nHello again",
    "%wb params other",
    "workbench.Client(api_key='a-wrong-key-0123456789').models.list()",
    "import os\nprint(sorted(k for k in os.environ if k.startswith('OPENAI')))",
]


def notebook_route(artifacts: Artifacts, folder: Path) -> None:
    key = CANARIES["notebook"]
    with server_thread(LocalModel(api_key=key)) as url:
        ipynb, html = run_notebook(
            folder / "notebook", NOTEBOOK, env={"OPENAI_API_KEY": key, "OPENAI_BASE_URL": url}
        )
    assert "complete" in ipynb and "Incorrect API key" in ipynb, "the right key was sent, only"
    artifacts += [("notebook .ipynb", ipynb), ("notebook HTML", html)]
    add_database(artifacts, "notebook log", folder / "notebook" / "log.sqlite3")


# -- the scan ------------------------------------------------------------------------------------


def test_no_canary_key_leaks_into_any_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts: Artifacts = []
    servers: dict[str, EchoServer] = {}
    with collecting(artifacts):
        monkeypatch.setenv("OPENAI_API_KEY", CANARIES["env"])
        servers["env"] = EchoServer({"authorization": f"Bearer {CANARIES['env']}"})
        exercise_client(artifacts, "env", echo_route(servers["env"]), tmp_path / "env")
        monkeypatch.delenv("OPENAI_API_KEY")

        key = CANARIES["constructor"]
        servers["constructor"] = EchoServer({"authorization": f"Bearer {key}"})
        exercise_client(
            artifacts,
            "constructor",
            echo_route(servers["constructor"], api_key=key),
            tmp_path / "constructor",
        )

        bearer, azure = CANARIES["bearer header"], CANARIES["api-key header"]
        servers["headers"] = EchoServer({"authorization": f"Bearer {bearer}", "api-key": azure})
        headers = {"Authorization": f"Bearer {bearer}", "api-key": azure}
        client = exercise_client(
            artifacts,
            "headers",
            echo_route(servers["headers"], default_headers=headers),
            tmp_path / "headers",
        )
        extra = {"api-key": CANARIES["extra header"], "X-Api-Key": CANARIES["extra header"]}
        servers["headers"].credentials["api-key"] = CANARIES["extra header"]
        create = client.chat.completions.create
        expect_error(
            artifacts,
            "extra_headers fail",
            lambda: create(
                model="m", messages=[{"role": "user", "content": "fail"}], extra_headers=extra
            ),
        )
        reply = create(model="m", messages=[{"role": "user", "content": "Hi"}], extra_headers=extra)
        artifacts.append(("extra_headers completion", repr(reply)))

        aclient = workbench.AsyncClient(
            api_key=CANARIES["constructor"],
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(servers["constructor"])),
        )
        artifacts.append(("async client repr", repr(aclient)))
        reply = asyncio.run(
            aclient.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}])
        )
        artifacts.append(("async completion", repr(reply)))

        magics_route(artifacts, tmp_path, capsys)
        notebook_route(artifacts, tmp_path)

    # The keys were sent, each where it belongs.
    assert any(h.get("authorization") == f"Bearer {CANARIES['env']}" for h in servers["env"].seen)
    key = f"Bearer {CANARIES['constructor']}"
    assert sum(h.get("authorization") == key for h in servers["constructor"].seen) > 10
    seen = servers["headers"].seen
    assert any(h.get("authorization") == f"Bearer {CANARIES['bearer header']}" for h in seen)
    assert any(h.get("api-key") == CANARIES["api-key header"] for h in seen)
    assert any(h.get("api-key") == CANARIES["extra header"] for h in seen)

    # The scan sees what it claims to (so it cannot pass by collecting nothing).
    wheres = " | ".join(where for where, _ in artifacts)
    for expected in (
        "log httpx",
        "log workbench",
        "table exchanges",
        "copy as curl",
        "grid view state",
        "magics stdout",
        "notebook .ipynb",
        "cassette",
    ):
        assert expected in wheres, expected
    texts = dict(artifacts)
    assert "HTTP Request: POST" in texts["notebook .ipynb"], "the kernel's debug log was kept"
    assert "Hello from the magics" in texts["magics stdout"] + texts["magics cassette"]
    assert len(artifacts) > 150
    leaks = [
        (where, route, text[max(0, text.find(needle) - 60) : text.find(needle) + 60])
        for where, text in artifacts
        for route, canary in CANARIES.items()
        for needle in (canary, canary[-TAIL:])
        if needle in text
    ]
    assert leaks == [], "\n".join(
        f"{where} ({route}): ...{around}..." for where, route, around in leaks
    )
