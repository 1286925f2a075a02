"""Media in the SQLite log: stored once by the sha256 of its bytes, restored exactly on reading,
old logs still read, and no secret reaches the file through media bytes."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import workbench
from tests._media import local_over_http, pdf, picture, wav
from workbench.conversation._history import Message
from workbench.conversation._log import ConversationLog
from workbench.media import decode_inline, drop_media, extract_media, media_in, restore_media

SPOKEN = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def noise_png(size: int) -> bytes:
    """A valid PNG of about ``size`` bytes that does not compress (as ``bench_media`` makes)."""
    from bench.bench_media import noise_png as make

    return make(size)


def logged_chat(path: Path, **params: Any) -> tuple[workbench.Conversation, list[Any]]:
    client, _ = local_over_http()
    chat = workbench.Conversation(client=client, log=path, **params)
    recorded: list[Any] = []
    original = ConversationLog.record_exchange

    def spy(self: ConversationLog, *args: Any) -> int:
        recorded.append(copy.deepcopy(args[2:4]))
        return original(self, *args)

    chat._log.record_exchange = spy.__get__(chat._log)  # type: ignore[union-attr]
    return chat, recorded


def rows(path: Path, sql: str) -> list[Any]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


# -- the addressing helpers ----------------------------------------------------------------------


def test_a_reference_restores_the_very_text_and_hashes_the_decoded_bytes() -> None:
    image, sound = picture(), wav(0.1)
    document = f"data:application/pdf;base64,{b64(pdf())}"
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(image)}"}},
            {"type": "input_audio", "input_audio": {"data": b64(sound), "format": "wav"}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": document}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
    }
    spoken = {"id": "audio_1", "data": b64(sound), "transcript": "hi"}
    reply = {"role": "assistant", "audio": spoken}
    value = {"messages": [message, reply], "params": {"audio": {"voice": "alloy"}}}
    before = copy.deepcopy(value)
    stripped, found = extract_media(value)
    assert value == before, "the input is not changed"
    assert set(found) == {hashlib.sha256(b).hexdigest() for b in (image, sound, pdf())}
    text = json.dumps(stripped)
    assert b64(image)[:40] not in text and b64(sound)[:40] not in text
    assert stripped["messages"][0]["content"][4] is message["content"][4], "URLs stay"
    ref = stripped["messages"][0]["content"][1]["image_url"]["url"]
    assert ref == {
        "$media": hashlib.sha256(image).hexdigest(),
        "mime": "image/png",
        "size": len(image),
        "prefix": "data:image/png;base64,",
    }
    assert restore_media(stripped, lambda r: found[r.sha256].data) == before
    kinds = [(where, ref.kind, ref.format) for where, ref in media_in(message)]
    assert kinds == [
        ("content[1]", "image", "png"),
        ("content[2]", "audio", "wav"),
        ("content[3]", "file", "pdf"),
    ]
    assert [(w, r.format) for w, r in media_in(reply)] == [("audio", "wav")]
    dropped = drop_media(message["content"])
    assert dropped[1] == {
        "type": "text",
        "text": f"[image: image/png, {len(image)} bytes, "
        f"sha256 {hashlib.sha256(image).hexdigest()[:12]}]",
    }
    assert dropped[4] == message["content"][4]


@pytest.mark.parametrize(
    "text",
    [
        b64(b"abcd")[:-1],  # padding missing
        b64(b"abcd")[:-3] + "R==",  # padding bits set: decodes, but encodes back differently
        "aGVsbG8g\nd29ybGQ=",  # a line break
        "data:image/png,not-base64",
    ],
)
def test_only_canonical_base64_is_replaced(text: str) -> None:
    assert decode_inline(text, "image/png") is None
    part = {"type": "input_audio", "input_audio": {"data": text * 20, "format": "wav"}}
    assert extract_media(part)[0] is part


# -- the log -------------------------------------------------------------------------------------


def test_an_image_sent_in_every_turn_is_stored_once_and_read_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    image = noise_png(200_000)
    chat, recorded = logged_chat(path)
    for turn in range(4):
        chat.send([f"Turn {turn}: what is this?", workbench.image(image)])
    sha = hashlib.sha256(image).hexdigest()
    assert rows(path, "SELECT sha256, mime, size FROM media") == [(sha, "image/png", len(image))]
    stored = rows(path, "SELECT data FROM messages") + rows(path, "SELECT request FROM exchanges")
    assert all(b64(image)[:100] not in text for (text,) in stored)
    assert path.stat().st_size < len(image) + 100_000
    with ConversationLog(path) as db:
        loaded = db.load(chat.id)
        exchanges = db.exchanges(chat.id)
    originals = {m.id: m.model_dump(mode="json") for m in chat.history.messages.values()}
    assert {m.id: m.model_dump(mode="json") for m in loaded.messages} == originals
    assert [(e["request"], e["response"]) for e in exchanges] == [tuple(r) for r in recorded]
    again = workbench.Conversation.load(chat.id, client=chat.client, log=path)
    assert again.to_messages() == chat.to_messages()


def test_spoken_replies_and_their_responses_keep_one_copy_of_the_audio(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    chat, recorded = logged_chat(path, **SPOKEN)
    first = chat.send("Sing", stream=True)
    second = chat.send("Sing", stream=False)
    assert first.audio is not None and second.audio is not None
    clips = [base64.b64decode(m.audio["data"]) for m in (first, second)]  # type: ignore[index]
    media = rows(path, "SELECT sha256, mime, size FROM media")
    assert sorted(media) == sorted(
        (hashlib.sha256(c).hexdigest(), "audio/wav", len(c)) for c in clips
    ), "each clip once, for its message and its response"
    stored = rows(path, "SELECT response FROM exchanges") + rows(path, "SELECT data FROM messages")
    assert all(first.audio["data"][:100] not in text for (text,) in stored)
    with ConversationLog(path) as db:
        exchanges = db.exchanges(chat.id)
        loaded = db.load(chat.id)
    assert [(e["request"], e["response"]) for e in exchanges] == [tuple(r) for r in recorded]
    assert loaded.messages[1].audio == first.audio


def test_a_log_of_the_previous_schema_still_opens_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"data:image/png;base64,{b64(picture())}"
    message = Message(role="user", content=[{"type": "image_url", "image_url": {"url": url}}])
    with sqlite3.connect(path) as conn:  # the tables as they were, media inline
        conn.executescript(
            "CREATE TABLE conversations (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL"
            " NOT NULL, title TEXT, model TEXT, system TEXT, meta TEXT NOT NULL DEFAULT '{}');"
            "CREATE TABLE messages (id TEXT NOT NULL, conversation_id TEXT NOT NULL, parent_id"
            " TEXT, position INTEGER NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL, created"
            " REAL NOT NULL, PRIMARY KEY (conversation_id, id));"
            "CREATE TABLE selected (conversation_id TEXT NOT NULL, parent_id TEXT, child_id TEXT);"
            "CREATE TABLE exchanges (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT"
            " NOT NULL, message_id TEXT, created REAL NOT NULL, request TEXT NOT NULL, response"
            " TEXT, status TEXT NOT NULL);"
        )
        conn.execute("INSERT INTO conversations VALUES ('c', 1, 1, NULL, 'm', NULL, '{}')")
        data = message.model_dump_json()
        conn.execute("INSERT INTO messages VALUES (?, 'c', NULL, 0, ?, 'complete', 1)",
                     (message.id, data))  # fmt: skip
        request = json.dumps({"messages": [message.model_dump(mode="json")]})
        conn.execute("INSERT INTO exchanges VALUES (1, 'c', ?, 1, ?, NULL, 'error')",
                     (message.id, request))  # fmt: skip
    with ConversationLog(path) as db:
        assert db.load("c").messages[0].content == message.content
        assert db.exchanges("c")[0]["request"] == json.loads(request)
        db.save_message("c", Message(role="assistant", content=[
            {"type": "text", "text": "an image again"}], parent_id=message.id))  # fmt: skip
        db.save_message("c", message.model_copy(update={"id": "again"}))
        assert [m.content for m in db.load("c").messages][2] == message.content
    assert len(rows(path, "SELECT * FROM media")) == 1


def test_media_holding_a_secret_stays_inline_and_redacted(tmp_path: Path) -> None:
    key = "sk-proj-MEDIACANARYabcdefghijklmnop0123456789"
    secret = "canary-in-a-pdf-5e1d"
    leaky = pdf().replace(b"%%EOF", f"% {key} {secret}\n%%EOF".encode())
    path = tmp_path / "log.sqlite3"
    with ConversationLog(path) as db:
        db.add_secret(secret)
        part = workbench.file(leaky, filename="leak.pdf")
        db.save_message("c", Message(role="user", content=[dict(part)]))
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw and secret.encode() not in raw
    assert key[-12:].encode() not in raw and secret[-12:].encode() not in raw
    assert rows(path, "SELECT * FROM media") == []


def test_a_missing_blob_is_named_not_a_broken_message(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    with ConversationLog(path) as db:
        url = f"data:image/png;base64,{b64(picture())}"
        db.save_message("c", Message(role="user", content=[
            {"type": "image_url", "image_url": {"url": url}}]))  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM media")
    with ConversationLog(path) as db, pytest.raises(ValueError, match="lacks the media sha256"):
        db.load("c")
