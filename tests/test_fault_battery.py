"""The fault battery (issue 8): every fault of ``tests/_faults.py``'s table, at every level.

- the client: the exact ``APIError`` class, a message naming the cause and no key; retried as
  specified (a stream never once a chunk was handed over); a fault that passes is retried through;
- a conversation: the history and the partial reply are kept, marked ``incomplete``/``error``
  with its error, and the next turn works;
- a grid: the faulty cells record their error, the others finish;
- the SQLite log holds everything up to the fault;
- no connection is left in the pool, no thread and no task left running.

Sync and async clients both, over real sockets: the local server (module-wide) with its fault
options, and a hostile ``TinyServer`` for what no well-behaved server does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench
from tests._faults import (
    FAULTS,
    HOSTILE_TEXT,
    MARK,
    SLOW,
    Fault,
    assert_names_the_cause,
    assert_no_key,
    assert_no_leak,
    facing,
)
from tests._local import server_thread
from tests._mock import both, create, each, patch_sleep
from workbench import Grid
from workbench.conversation import Conversation
from workbench.conversation._log import ConversationLog
from workbench.local import LocalModel

TEN_MB = 10 * 1024 * 1024


def cases(*, streamed: bool = True) -> list[Any]:
    """The faults as parameters (the slow ones marked); ``streamed=False`` leaves out those
    that only a stream meets."""
    return [
        pytest.param(f, id=f.id, marks=[pytest.mark.slow] if f.id in SLOW else [])
        for f in FAULTS
        if streamed or not f.streams_only
    ]


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    """The local model over HTTP, for the whole module: the good replies and the local faults."""
    with server_thread(LocalModel()) as url:
        yield url


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The clients' retry waits, recorded instead of slept."""
    return patch_sleep(monkeypatch)


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


async def call(c: Any, *, stream: bool) -> tuple[Any, list[Any], BaseException | None]:
    """One marked request: its result, the chunks read (streamed) and the error, if any."""
    result: Any = None
    chunks: list[Any] = []
    try:
        result = await create(c, messages=ask(f"{MARK} Tell me about tides."), stream=stream)
        if stream:
            async for chunk in each(result):
                chunks.append(chunk)
    except workbench.WorkbenchError as exc:
        return result, chunks, exc
    return result, chunks, None


def streamed_text(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def check_waits(fault: Fault, sleeps: list[float]) -> None:
    """One wait per retry, within the fault's bounds (retry-after, or the backoff)."""
    assert len(sleeps) == fault.attempts - 1, sleeps
    low, high = fault.wait
    assert all(low <= s <= high for s in sleeps), sleeps


# -- the client -------------------------------------------------------------------------------


WHOLE_OR_STREAMED = [
    pytest.param(*case.values, stream, id=f"{case.id}-{'stream' if stream else 'whole'}",
                 marks=case.marks)
    for stream in (True, False)
    for case in cases(streamed=stream)
]  # fmt: skip


@both
@pytest.mark.parametrize(("fault", "stream"), WHOLE_OR_STREAMED)
async def test_the_client_raises_the_typed_error_or_gets_through(
    kind: str, stream: bool, fault: Fault, local_url: str, sleeps: list[float]
) -> None:
    async with facing(fault, kind, local_url) as (aim, c):
        result, chunks, error = await call(c, stream=stream)
        if fault.error is None:
            assert error is None, f"{type(error).__name__}: {error}"
            text = streamed_text(chunks) if stream else result.choices[0].message.content
            assert len(text) > TEN_MB if fault.id == "huge-10mb" else "tides" in text
        else:
            assert error is not None, "no error raised"
            assert_names_the_cause(fault, error)
        if stream:
            assert bool(streamed_text(chunks)) == (fault.partial or fault.error is None)
        assert aim.marked == fault.attempts, "retried as specified"
        check_waits(fault, sleeps)
        await assert_no_leak(c)


@both
@pytest.mark.parametrize("fault", [f for f in cases(streamed=False) if f.values[0].retried])
async def test_a_fault_that_passes_is_retried_through(
    kind: str, fault: Fault, local_url: str, sleeps: list[float]
) -> None:
    for stream in (True, False):
        sleeps.clear()
        async with facing(fault, kind, local_url, times=1) as (aim, c):
            result, chunks, error = await call(c, stream=stream)
            assert error is None, f"{type(error).__name__}: {error}"
            text = streamed_text(chunks) if stream else result.choices[0].message.content
            assert "tides" in text
            assert (aim.marked, aim.fired) == (2, 1)
            check_waits(fault, sleeps)
            await assert_no_leak(c)


# -- the conversation and its log ---------------------------------------------------------------


async def say(chat: Conversation, text: str) -> workbench.Message:
    if isinstance(chat.client, workbench.AsyncClient):
        return await chat.asend(text)
    return chat.send(text)


def saved(log: Path, conversation_id: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """The messages (as id, role, status, content, error) and exchanges the log holds."""
    with ConversationLog(log) as db:
        messages = db.load(conversation_id).messages
        exchanges = db.exchanges(conversation_id)
    return [row(m) for m in messages], exchanges


def row(message: workbench.Message) -> tuple[Any, ...]:
    return (message.id, message.role, message.status, message.content, message.error)


@both
@pytest.mark.parametrize("fault", cases())
async def test_the_conversation_keeps_the_partial_reply_and_goes_on(
    kind: str, fault: Fault, local_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "log.sqlite3"
    async with facing(fault, kind, local_url) as (aim, c):
        chat = Conversation(client=c, model="gpt-4o-mini", system="Be brief.", log=log)
        await say(chat, "Hello there.")  # history before the fault
        error: BaseException | None = None
        try:
            await say(chat, f"{MARK} Tell me about tides.")
        except workbench.APIError as exc:
            error = exc
        reply = chat.messages[-1]
        assert [m.role for m in chat.messages] == ["user", "assistant"] * 2
        assert chat.messages[2].content == f"{MARK} Tell me about tides."
        assert reply.status == fault.status
        if fault.error is None:
            assert error is None and reply.error is None
            assert len(reply.text) > TEN_MB if fault.id == "huge-10mb" else "tides" in reply.text
        else:
            assert error is not None, "no error raised"
            assert_names_the_cause(fault, error)
            assert reply.error == str(error)
            assert bool(reply.content) == fault.partial
            if fault.script is not None and fault.partial:
                assert reply.content == "".join(HOSTILE_TEXT)
            assert chat.to_messages()[-1]["role"] == "user", "the partial reply is not sent"

        # The log holds everything up to the fault.
        messages, exchanges = saved(log, chat.id)
        assert messages == [row(m) for m in chat.messages]
        assert [e["status"] for e in exchanges] == ["complete", fault.status]
        if error is not None:
            partial = {"error": reply.error, "partial": reply.text}
            assert exchanges[-1]["response"] == partial

        # And the conversation goes on.
        after = await say(chat, "And now?")
        assert after.status == "complete" and after.text
        assert [m.role for m in chat.messages] == ["user", "assistant"] * 3
        messages, _ = saved(log, chat.id)
        assert messages == [row(m) for m in chat.messages]
        assert_no_key(log.read_bytes(), *[m.model_dump_json() for m in chat.history])
        await chat.aclose()
        assert aim.marked == fault.attempts
        await assert_no_leak(c)


# -- the grid ---------------------------------------------------------------------------------

PROMPTS = [f"{MARK} Tell me about tides.", "Tell me about eclipses.", "Tell me about comets."]


@both
@pytest.mark.parametrize("fault", cases())
async def test_the_grid_records_the_faulty_cells_and_finishes_the_rest(
    kind: str, fault: Fault, local_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "log.sqlite3"
    async with facing(fault, kind, local_url) as (aim, c):
        grid = Grid(PROMPTS, models=["m-a", "m-b"], client=c, log=log, rate_limit_retries=1)
        if kind == "sync":
            result = grid.run(display=False)
        else:
            result = await grid.arun(display=False)
        faulty = [cell for cell in grid.cells if MARK in cell.prompt]
        others = [cell for cell in grid.cells if MARK not in cell.prompt]
        assert len(faulty) == 2 and len(others) == 4
        for cell in others:
            assert cell.status == "done" and cell.output and cell.error is None
        for cell in faulty:
            assert cell.conversation.messages[-1].status == fault.status
            messages, _ = saved(log, cell.conversation.id)
            assert messages == [row(m) for m in cell.conversation.messages]
            if fault.error is None:
                assert cell.status == "done" and cell.output and cell.error is None
                continue
            assert cell.status == "error" and cell.error is not None
            assert cell.error.startswith(f"{fault.error.__name__}: "), cell.error
            assert re.search(fault.says, cell.error), cell.error
            assert bool(cell.output) == fault.partial
            assert_no_key(cell.error, cell.output)
        done = len(others) + (len(faulty) if fault.error is None else 0)
        assert result.counts == {"done": done, **({"error": 2} if fault.error else {})}
        assert aim.marked == len(faulty) * fault.attempts, "retried as specified, 429s included"
        await assert_no_leak(c)


def test_the_table_covers_every_fault_of_the_issue() -> None:
    """Connection refused, reset before headers and mid-stream, a stall, 429 with and without
    retry-after, 500/502/503, a body not JSON, an error body not OpenAI's, a malformed line, no
    [DONE], an error event, an empty 200, a response over 10 MB: each at least once."""
    ids = {f.id for f in FAULTS}
    wanted = {
        "refused", "reset-before-headers", "reset-mid-stream", "stall-before-headers",
        "stall-mid-stream", "429-retry-after", "429-no-retry-after", "500", "502", "503",
        "not-json", "error-body-html", "error-body-detail", "malformed-line",
        "no-done-mid-reply", "error-event", "empty-200", "huge-10mb",
    }  # fmt: skip
    assert wanted <= ids
    hostile = {f.id for f in FAULTS if f.script is not None}
    assert hostile == {"reset-before-headers", "reset-mid-stream"}, "real TCP resets"
    assert all(f.local or f.script or f.refused for f in FAULTS), "each has a source"
