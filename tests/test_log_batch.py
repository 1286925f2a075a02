"""The log's batched writes (``ConversationLog.deferred``), as a grid run uses them: the same
rows as writing at once, none lost when the run is cancelled, fails or the process ends, and
rows readable while the run goes on; and ``plain_json``, the log's shortcut past redaction."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
from tests._grid import local_client
from workbench.conversation import _log
from workbench.conversation._history import Message
from workbench.conversation._log import ConversationLog, plain_json, redact, scrub
from workbench.local import Pacing
from workbench.media import extract_media, secret_finder

VOLATILE = {"created", "latency", "id", "parent_id", "system_fingerprint"}
PROMPTS = ["Question 1: what is 1 squared?", "Say hello", "Write a short list of fruit"]


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def snapshot(path: Path) -> list[dict[str, Any]]:
    """Every row of the log, ids and times left out, conversations in a fixed order."""
    conn = sqlite3.connect(path)
    out = []
    for cid, title, model, system, meta, updated, created in conn.execute(
        "SELECT id, title, model, system, meta, updated, created FROM conversations"
    ):
        messages = conn.execute(
            "SELECT id, parent_id, position, data, status FROM messages"
            " WHERE conversation_id = ? ORDER BY position",
            (cid,),
        ).fetchall()
        at = {m[0]: m[2] for m in messages}
        selected = sorted(
            (at.get(p, -1), at.get(c, -1))
            for p, c in conn.execute(
                "SELECT parent_id, child_id FROM selected WHERE conversation_id = ?", (cid,)
            )
        )
        exchanges = [
            (at.get(m), _clean(json.loads(req)), res and _clean(json.loads(res)), status)
            for m, req, res, status in conn.execute(
                "SELECT message_id, request, response, status FROM exchanges"
                " WHERE conversation_id = ? ORDER BY id",
                (cid,),
            )
        ]
        rows = [(at.get(p, -1), n, _clean(json.loads(d)), s) for _, p, n, d, s in messages]
        out.append(
            {"title": title, "model": model, "system": system, "meta": json.loads(meta)}
            | {"ordered": updated >= created, "messages": rows, "selected": selected}
            | {"exchanges": exchanges}
        )
    conn.close()
    return sorted(out, key=lambda c: json.dumps(c, sort_keys=True))


def _grid(path: Path, **kwargs: Any) -> workbench.Grid:
    return workbench.Grid(
        PROMPTS,
        models=["model-a", "model-b"],
        params={"temperature": [0.2, 1.0]},
        system="Be brief.",
        concurrency=4,
        client=local_client(pacing=kwargs.pop("pacing", None))[0],
        log=path,
        **kwargs,
    )


def _unbatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write as before batching: each write at once, every row redacted the long way."""

    class Immediate:
        def __init__(self, db: ConversationLog) -> None:
            self.db = db

        def __enter__(self) -> ConversationLog:
            return self.db

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(ConversationLog, "deferred", lambda self: Immediate(self))
    monkeypatch.setattr(_log, "plain_json", lambda value, secrets=(): None)


def _assert_logged_as_held(grid: workbench.Grid, path: Path) -> int:
    """Each cell's conversation reads back from the log exactly as memory holds it; returns
    how many cells had one."""
    seen = 0
    for cell in grid.cells:
        chat = cell.conversation
        if chat is None:
            continue
        seen += 1
        loaded = workbench.Conversation.load(chat.id, log=path)
        held = [m.model_dump() for m in chat.history.messages.values()]
        assert [m.model_dump() for m in loaded.history.messages.values()] == held, cell.key
    return seen


def test_a_grid_logs_the_same_rows_batched_as_written_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, unbatched = tmp_path / "batched.sqlite3", tmp_path / "unbatched.sqlite3"
    grid = _grid(batched)
    assert grid.run(display=False).counts == {"done": 12}
    with monkeypatch.context() as patch:
        _unbatched(patch)
        assert _grid(unbatched).run(display=False).counts == {"done": 12}
    assert len(snapshot(batched)) == 12
    assert snapshot(batched) == snapshot(unbatched)
    assert _assert_logged_as_held(grid, batched) == 12


def test_rows_written_before_a_cancel_are_all_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    grid = _grid(path, pacing=Pacing(first_token=0.05, tokens_per_second=400))
    finished: list[Any] = []

    def on_event(event: Any) -> None:
        if event.type == "cell.finished":
            finished.append(event)
            if len(finished) == 3:
                grid.cancel()

    grid.subscribe(on_event)
    counts = grid.run(display=False).counts
    assert counts.get("cancelled", 0) > 0 and counts.get("done", 0) >= 3, counts
    assert _assert_logged_as_held(grid, path) >= 3


class Boom(BaseException):
    """Not an ``Exception``: the grid's scorer guard lets it through and the run fails."""


def test_rows_written_before_a_failure_are_all_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    scored: list[str] = []

    def scorer(output: str) -> int:
        scored.append(output)
        if len(scored) == 4:
            raise Boom("the run fails here")
        return len(output)

    grid = _grid(path, scorers={"length": scorer}, pacing=Pacing(first_token=0.02))
    with pytest.raises(Boom):
        asyncio.run(grid.arun(display=False))
    assert _assert_logged_as_held(grid, path) >= 4
    done = [c for c in grid.cells if c.status == "done"]
    assert len(done) >= 3
    reader = sqlite3.connect(path)
    logged = {row[0] for row in reader.execute("SELECT conversation_id FROM exchanges")}
    reader.close()
    assert {c.conversation.id for c in done if c.conversation} <= logged


def test_rows_are_readable_by_another_connection_while_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    grid = workbench.Grid(
        [f"Question {i}" for i in range(12)],
        concurrency=2,
        client=local_client(pacing=Pacing(first_token=0.1))[0],
        log=path,
    )

    async def main() -> tuple[int, bool]:
        run = asyncio.create_task(grid.arun(display=False))
        seen = 0
        while not run.done() and not seen:
            await asyncio.sleep(0.05)
            reader = sqlite3.connect(path)
            with contextlib.suppress(sqlite3.OperationalError):  # the schema is not there yet
                (seen,) = reader.execute("SELECT COUNT(*) FROM exchanges").fetchone()
            reader.close()
        still_running = not run.done()
        await run
        return seen, still_running

    seen, still_running = asyncio.run(main())
    assert seen > 0 and still_running, "rows appear as the run goes, not only at its end"


def test_deferred_writes_are_committed_when_the_process_exits(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    script = f"""
from workbench.conversation._history import Message
from workbench.conversation._log import ConversationLog
log = ConversationLog({str(path)!r})
log.deferred().__enter__()  # never left: the interpreter's exit must commit
for i in range(50):
    log.save_message("c", Message(role="user", content=str(i)))
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT COUNT(*) FROM messages").fetchone() == (50,)
    reader.close()


def test_reads_through_the_log_see_its_deferred_writes(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log, log.deferred():
        log.save_message("c", Message(role="user", content="hi"))
        assert log.record_exchange("c", None, {"n": 1}, None, "error") is None  # written later
        assert [m.content for m in log.load("c").messages] == ["hi"]
        assert [e["request"] for e in log.exchanges("c")] == [{"n": 1}]
        assert [s.messages for s in log.conversations()] == [1]


def test_a_failing_deferred_write_is_reported_and_the_others_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        with log.deferred():
            log.save_message("c", Message(role="user", content="one"))

            def broken(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO no_such_table VALUES (1)")

            log._write("c", broken)
            log.save_message("c", Message(role="user", content="two"))
        assert [m.content for m in log.load("c").messages] == ["one", "two"]
    assert "failed and was dropped" in caplog.text


# -- plain_json: the same text as the long way, or None ---------------------------------------

SECRET = "hunter2-hunter2-hunter2"
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from([SECRET, "sk-" + "a" * 24, 'say "hi"\n', "data:image/png;base64,AAAA"]),
)
_keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["api_key", "Authorization", "x-api-key", "audio", "image_url", "file"]),
    st.sampled_from(["author\u0130zation", "AUTHOR\u0131ZATION", "Api-Key", "apiKey", "sk-key"]),
    st.sampled_from(["type", "data", "id", "url", "input_audio", "file_data", "true"]),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=20,
)


def _long_way(value: Any, secrets: set[str]) -> str:
    value, _ = extract_media(value, secret_finder(secrets))
    text = json.dumps(redact(value, secrets), ensure_ascii=False, default=str)
    return scrub(text, secrets)


@settings(max_examples=400, deadline=None)
@given(_values, st.sets(st.sampled_from([SECRET, "short", 'quo"te-secret'])))
def test_plain_json_is_the_long_way_whenever_it_answers(value: Any, secrets: set[str]) -> None:
    text = plain_json(value, secrets)
    if text is not None:
        assert text == _long_way(value, secrets)


@pytest.mark.parametrize(
    "value",
    [
        {"api_key": "x"},
        {"headers": {"Authorization": "Bearer x"}},
        {"note": "sk-" + "a" * 24},
        {"note": SECRET},
        {True: 1},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 80}},
        {"audio": {"id": "a", "data": "A" * 80}},
        {"x": object()},
        {"x-author\u0130zation": "Bearer x"},  # CREDENTIAL_NAME ignores case: re takes it for i
        {"\u0131-api-key": "x"},
    ],
)
def test_plain_json_leaves_what_needs_the_long_way(value: Any) -> None:
    assert plain_json(value, [SECRET]) is None


def test_plain_json_takes_an_ordinary_message() -> None:
    message = Message(role="assistant", content='A "reply"\nwith lines', params={"seed": 1})
    value = message.model_dump(mode="json")
    assert plain_json(value, [SECRET]) == json.dumps(value, ensure_ascii=False)
