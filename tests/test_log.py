"""The SQLite log: branches survive a fresh process, writes are upserts, and no key is written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.conversation._history import History, Message
from workbench.conversation._log import ConversationLog, default_log_path, redact, scrub

CANARY = "canary-3f9a2c7e51d84b06"  # a registered secret with no key-like shape
SK_CANARY = "sk-proj-CANARYabcdefghijklmnopqrstuvwxyz0123"  # caught by shape alone


def branched_history() -> History:
    """user -> (reply A | reply B | reply C), user2 under B, user edited twice at the root."""
    history = History()
    first = history.append(Message(role="user", content="hello"))
    history.add(Message(role="assistant", content="A", parent_id=first.id))
    b = history.add(Message(role="assistant", content="B", parent_id=first.id))
    history.append(Message(role="user", content="more"))
    history.append(Message(role="assistant", content="more reply"))
    history.add(Message(role="assistant", content="C", parent_id=first.id))
    history.add(Message(role="user", content="hello, edited"), select=False)
    history.select(b.id)  # back to B: its own subtree comes back whole
    return history


def save(log: ConversationLog, conversation_id: str, history: History) -> None:
    log.save_conversation(conversation_id, model="m", system="be brief", title="t", meta={"k": 1})
    for message in history:
        log.save_message(conversation_id, message)
    log.save_selection(conversation_id, history.selected)


def test_branches_are_restored_in_a_fresh_process(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    history = branched_history()
    with ConversationLog(path) as log:
        save(log, "c1", history)
    script = (
        "import json, sys\n"
        "from workbench.conversation._log import ConversationLog\n"
        "loaded = ConversationLog(sys.argv[1]).load('c1')\n"
        "history = loaded.history()\n"
        "print(json.dumps({\n"
        "    'path': [m.text for m in history.path()],\n"
        "    'ids': [m.id for m in loaded.messages],\n"
        "    'siblings': [m.text for m in history.siblings(history.path()[1])],\n"
        "    'roots': [history.messages[i].text for i in history.children[None]],\n"
        "    'settings': [loaded.model, loaded.system, loaded.title, loaded.meta],\n"
        "}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    assert out["path"] == ["hello", "B", "more", "more reply"]
    assert out["siblings"] == ["A", "B", "C"], "every sibling kept, oldest first"
    assert out["roots"] == ["hello", "hello, edited"]
    assert out["ids"] == [m.id for m in history], "insertion order"
    assert out["settings"] == ["m", "be brief", "t", {"k": 1}]


def test_loaded_messages_equal_the_saved_ones(tmp_path: Path) -> None:
    history = branched_history()
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        save(log, "c1", history)
        loaded = log.load("c1")
    assert [m.model_dump() for m in loaded.messages] == [m.model_dump() for m in history]
    assert loaded.selected == history.selected
    assert None in loaded.selected, "the root's choice survives as a None key"


def test_a_streamed_reply_is_updated_in_place(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        user = Message(role="user", content="hi")
        reply = Message(role="assistant", content="par", parent_id=user.id, status="incomplete")
        log.save_message("c", user)
        log.save_message("c", reply)
        reply.content, reply.status = "partial no more", "complete"
        log.save_message("c", reply)
        loaded = log.load("c")
        raw = log._read("SELECT id, status FROM messages ORDER BY position")
    assert [m.text for m in loaded.messages] == ["hi", "partial no more"]
    assert loaded.messages[1].status == "complete"
    assert raw == [(user.id, "complete"), (reply.id, "complete")], "one row, position kept"


def test_a_forked_conversation_may_share_message_ids(tmp_path: Path) -> None:
    message = Message(role="user", content="shared")
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        log.save_message("a", message)
        log.save_message("b", message.model_copy(update={"content": "fork"}))
        assert log.load("a").messages[0].text == "shared"
        assert log.load("b").messages[0].text == "fork"


def test_exchanges_are_recorded_in_order(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        log.save_conversation("c", model="m")
        first = log.record_exchange("c", "msg_1", {"model": "m"}, {"id": "cmpl_1"}, "complete")
        second = log.record_exchange("c", "msg_2", {"model": "m", "n": 2}, None, "error")
        rows = log.exchanges("c")
    assert second > first
    assert [(r["message_id"], r["request"], r["response"], r["status"]) for r in rows] == [
        ("msg_1", {"model": "m"}, {"id": "cmpl_1"}, "complete"),
        ("msg_2", {"model": "m", "n": 2}, None, "error"),
    ]


def test_an_unknown_id_is_a_key_error_naming_it(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log, pytest.raises(KeyError, match="nope"):
        log.load("nope")


def test_conversations_newest_first_with_counts(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log:
        log.save_conversation("old", title="old", model="m")
        log.save_conversation("new", title="new")
        log.save_conversation("empty")
        log.save_message("old", Message(role="user", content="1"))  # touching makes it newest
        log.save_message("new", Message(role="user", content="1"))
        log.save_message("new", Message(role="user", content="2"))
        summaries = log.conversations()
    assert [(s.id, s.messages) for s in summaries] == [("new", 2), ("old", 1), ("empty", 0)]
    assert summaries[1].title == "old" and summaries[1].model == "m"
    assert all(s.updated >= s.created for s in summaries)


def test_default_path_honours_workbench_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "mine.db"))
    assert default_log_path() == tmp_path / "mine.db"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG applies on Linux")
def test_default_path_under_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WORKBENCH_LOG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_log_path() == tmp_path / "workbench" / "log.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_log_path() == tmp_path / "home/.local/share/workbench/log.sqlite3"


def test_the_directory_is_created_and_wal_is_on(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "log.sqlite3"
    log = ConversationLog(path)
    assert not path.exists(), "opened lazily"
    log.save_conversation("c")
    assert log._read("PRAGMA journal_mode") == [("wal",)]
    assert log._read("PRAGMA synchronous") == [(1,)], "NORMAL"
    log.close()
    with sqlite3.connect(path) as other:  # the mode is persistent in the file
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()


def test_each_write_is_visible_at_once_to_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    log = ConversationLog(path)
    log.save_message("c", Message(role="user", content="x"))
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT COUNT(*) FROM messages").fetchone() == (1,)
    reader.close()
    log.close()


def test_concurrent_writes_from_threads(tmp_path: Path) -> None:
    log = ConversationLog(tmp_path / "log.sqlite3")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                log.save_message("shared", Message(role="user", content=f"{n}-{i}"))
                log.save_message(f"own-{n}", Message(role="user", content=str(i)))
                log.record_exchange(f"own-{n}", None, {"i": i}, {"n": n}, "complete")
                log.load("shared")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = {s.id: s.messages for s in log.conversations()}
    assert counts["shared"] == 200 and all(counts[f"own-{n}"] == 25 for n in range(8))
    positions = log._read("SELECT position FROM messages WHERE conversation_id = 'shared'")
    assert sorted(p for (p,) in positions) == list(range(200)), "no position given twice"
    assert len(log.exchanges("own-3")) == 25
    log.close()


def test_no_secret_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    log = ConversationLog(path)
    log.add_secret(CANARY)
    log.save_conversation(
        "c", model="m", system=f"key {CANARY}", title=SK_CANARY, meta={"api_key": CANARY}
    )
    user = Message(role="user", content=[{"type": "text", "text": f"my key is {SK_CANARY}"}])
    log.save_message("c", user)
    log.save_message(
        "c",
        Message(
            role="assistant",
            content=f"you said {CANARY}",
            parent_id=user.id,
            params={"extra_headers": {"X-Api-Key": "hidden-by-name"}, "note": CANARY},
        ),
    )
    request = {
        "model": "m",
        "headers": {"Authorization": f"Bearer {CANARY}", "OpenAI-Organization": "org"},
        "messages": [{"role": "user", "content": f"{SK_CANARY} and {CANARY}"}],
        "nested": [{"deeper": {"api-key": "by-name-only", "ok": (CANARY, 1)}}],
        "client": {"openai_api_key": "by-name-only"},
    }
    log.record_exchange("c", user.id, request, {"echo": CANARY, "Api_Key": "x"}, "complete")
    wal = Path(f"{path}-wal")
    assert wal.exists(), "checked while the WAL still holds the writes"
    for file in (path, wal):
        data = file.read_bytes()
        for secret in (CANARY, SK_CANARY, "by-name-only", "hidden-by-name", "Bearer"):
            assert secret.encode() not in data, (file.name, secret)
    exchange = log.exchanges("c")[0]
    assert exchange["request"]["headers"] == {"OpenAI-Organization": "org"}
    assert exchange["request"]["messages"][0]["content"] == "sk-...redacted and [redacted]"
    assert exchange["response"] == {"echo": "[redacted]"}
    loaded = log.load("c")
    assert loaded.system == "key [redacted]" and loaded.title == "sk-...redacted"
    assert loaded.meta == {}
    assert loaded.messages[1].params == {"extra_headers": {}, "note": "[redacted]"}
    log.close()
    assert CANARY.encode() not in path.read_bytes(), "nor after the checkpoint"


def test_an_object_turned_to_text_is_scrubbed_too(tmp_path: Path) -> None:
    class Client:
        def __str__(self) -> str:
            return f"Client(api_key={CANARY!r})"

    with ConversationLog(tmp_path / "log.sqlite3") as log:
        log.add_secret(CANARY)
        log.record_exchange("c", None, {"client": Client()}, None, "error")
        assert CANARY not in json.dumps(log.exchanges("c"))


def test_scrub_and_redact() -> None:
    assert scrub(f"a {CANARY} b", CANARY) == "a [redacted] b"
    assert scrub("short", "short") == "short", "values too short to be keys are left alone"
    assert scrub("sk-short stays") == "sk-short stays"
    assert redact({"AUTHORIZATION": 1, "a": [{"x-api-key": 2, "b": SK_CANARY}]}) == {
        "a": [{"b": "sk-...redacted"}]
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values, st.text(max_size=5), st.text(max_size=5))
def test_a_registered_secret_never_survives_redaction(value: Any, before: str, after: str) -> None:
    planted = {"x": value, "y": [before + CANARY + after], before + CANARY: after}
    assert CANARY not in json.dumps(redact(planted, [CANARY]))


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with ConversationLog(tmp_path / "log.sqlite3") as log:

        def statements(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO selected VALUES ('c', NULL, 'x')")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            log._write("c", statements)
        assert log.conversations() == [] and log._read("SELECT * FROM selected") == []
        log.save_conversation("d")
        assert [s.id for s in log.conversations()] == ["d"], "still usable"


def test_the_schema_version_is_set_and_a_newer_log_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import workbench
    from workbench.conversation._log import SCHEMA_VERSION

    path = tmp_path / "log.sqlite3"
    with ConversationLog(path) as db:
        db.save_message("c", Message(role="user", content="hi"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(workbench.WorkbenchError, match=r"newer workbench .*upgrade"):
        ConversationLog(path).load("c")
    # A conversation with such a log keeps going without it, and says so once.
    chat = workbench.Conversation(log=path)
    with caplog.at_level("WARNING", logger="workbench"):
        assert chat.send("Hello").status == "complete"
    assert "newer workbench" in caplog.text
    with sqlite3.connect(path) as conn:  # and the newer log was left as it was
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (1,)
