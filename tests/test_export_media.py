"""Media in tables and files: references (kind, format, size, sha256 of the decoded bytes) in
DataFrames, JSONL with ``media="embed"|"reference"|"drop"``, Parquet keeping each item once."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import workbench
from bench.bench_media import noise_png, run
from tests._media import pdf, wav
from workbench import Conversation, TranscriptError
from workbench.conversation._log import ConversationLog

SPOKEN = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_chat(image: bytes, turns: int = 3, **kwargs: Any) -> Conversation:
    chat = Conversation(**kwargs)
    for turn in range(turns):
        chat.send([f"Turn {turn}", workbench.image(image), workbench.audio(wav(0.05))])
    return chat


def no_base64(frame: Any, data: bytes) -> bool:
    probe = base64.b64encode(data[60:300]).decode()[4:100]
    return not any(probe in repr(v) for column in frame.columns for v in frame[column])


# -- tables --------------------------------------------------------------------------------------


def test_tables_show_references_by_the_hash_of_the_decoded_bytes(tmp_path: Path) -> None:
    image, sound = noise_png(5_000), wav(0.05)
    log = tmp_path / "log.sqlite3"
    chat = image_chat(image, turns=2, log=log)
    spoken = Conversation(log=log, **SPOKEN)  # type: ignore[arg-type]
    reply = spoken.send("Sing")
    clip = base64.b64decode(reply.audio["data"])  # type: ignore[index]
    for frame in (chat.to_dataframe(), workbench.to_dataframe(log=log)):
        text = frame["content"].dropna().tolist()
        assert f"[image: image/png, {len(image)} bytes, sha256 {sha(image)[:12]}]" in text[0]
        assert f"[audio: audio/wav, {len(sound)} bytes, sha256 {sha(sound)[:12]}]" in text[0]
        media = frame["media"].tolist()
        assert media[0] == [
            {"where": "content[1]", "kind": "image", "format": "png", "mime": "image/png"}
            | {"size": len(image), "sha256": sha(image)},
            {"where": "content[2]", "kind": "audio", "format": "wav", "mime": "audio/wav"}
            | {"size": len(sound), "sha256": sha(sound)},
        ]
        assert media[1] is None, "a text reply has no media"
        assert no_base64(frame, image) and no_base64(frame, sound)
    logged = workbench.to_dataframe(log=log)
    spoken_row = logged[logged["conversation_id"] == spoken.id].iloc[1]
    assert spoken_row["media"] == [
        {"where": "audio", "kind": "audio", "format": "wav", "mime": "audio/wav"}
        | {"size": len(clip), "sha256": sha(clip)}
    ]
    assert spoken_row["audio"]["data"] == f"audio/wav, {len(clip)} bytes, sha256 {sha(clip)[:12]}"
    for frame in (chat.usage_dataframe(), workbench.usage_dataframe(log=log)):
        assert no_base64(frame, image) and no_base64(frame, clip)
    exploded = workbench.to_dataframe(log=log, branches=True)["media"].explode().dropna()
    assert sum(ref["kind"] == "image" for ref in exploded) == 2, "media is a column to analyse"


# -- JSONL ---------------------------------------------------------------------------------------


def test_jsonl_writes_media_once_beside_the_file_and_reads_it_back_exactly(
    tmp_path: Path,
) -> None:
    image = noise_png(30_000)
    chat = image_chat(image, log=False)
    other = image_chat(image, turns=1, log=False)
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)  # media="reference" by default
    other.to_jsonl(path, append=True)
    folder = tmp_path / "train.media"
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted([f"{sha(image)}.png", f"{sha(wav(0.05))}.wav"])
    assert (folder / f"{sha(image)}.png").read_bytes() == image
    assert path.stat().st_size < 10_000, "no base64 in the lines"
    line = json.loads(path.read_text().splitlines()[0])
    assert line["messages"][0]["content"][1]["image_url"]["url"] == {
        "$media": sha(image),
        "mime": "image/png",
        "size": len(image),
        "prefix": "data:image/png;base64,",
    }
    back = Conversation.from_jsonl(path, log=False)
    assert [c.to_messages() for c in back] == [chat.to_messages(), other.to_messages()]
    embedded = tmp_path / "embedded.jsonl"
    chat.to_jsonl(embedded, media="embed")
    assert not (tmp_path / "embedded.media").exists()
    assert json.loads(embedded.read_text())["messages"] == chat.to_messages()


def test_jsonl_drop_describes_each_item_in_a_text_part(tmp_path: Path) -> None:
    image = noise_png(5_000)
    chat = image_chat(image, turns=1, log=False)
    path = tmp_path / "dropped.jsonl"
    chat.to_jsonl(path, media="drop")
    content = json.loads(path.read_text())["messages"][0]["content"]
    assert content[1] == {
        "type": "text",
        "text": f"[image: image/png, {len(image)} bytes, sha256 {sha(image)[:12]}]",
    }
    assert content[2]["text"].startswith("[audio: audio/wav, ")
    assert not (tmp_path / "dropped.media").exists()
    (back,) = Conversation.from_jsonl(path, log=False)
    assert back.to_messages()[0]["content"] == content


@pytest.mark.parametrize("damage", ["missing", "altered", "edited mime", "bad hash"])
def test_a_reference_that_cannot_be_resolved_is_refused_naming_line_and_hash(
    tmp_path: Path, damage: str
) -> None:
    image = noise_png(5_000)
    path, log = tmp_path / "train.jsonl", tmp_path / "log.sqlite3"
    first = Conversation(log=False)
    first.send("Hello")
    first.to_jsonl(path)
    image_chat(image, turns=1, log=False).to_jsonl(path, append=True)
    stored = tmp_path / "train.media" / f"{sha(image)}.png"
    if damage == "missing":
        stored.unlink()
    elif damage == "altered":
        stored.write_bytes(image[:-1] + b"!")
    else:
        lines = path.read_text().splitlines()
        edited = json.loads(lines[1])
        ref = edited["messages"][0]["content"][1]["image_url"]["url"]
        ref.update({"mime": "image/gif"} if damage == "edited mime" else {"$media": "x" * 64})
        path.write_text(lines[0] + "\n" + json.dumps(edited) + "\n")
    with pytest.raises(TranscriptError) as caught:
        Conversation.from_jsonl(path, log=log)
    message = str(caught.value)
    assert caught.value.where == "line 2", message
    if damage in ("missing", "altered"):
        assert sha(image) in message and str(stored) in message
    assert not log.exists() or workbench.conversations(log) == [], "nothing imported"


def test_an_unknown_media_mode_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(workbench.InvalidParameterError, match="embed"):
        Conversation(log=False).to_jsonl(tmp_path / "x.jsonl", media="inline")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# -- Parquet -------------------------------------------------------------------------------------


def test_parquet_keeps_each_item_once_and_reads_it_back_exactly(tmp_path: Path) -> None:
    image = noise_png(200_000)
    chat = image_chat(image, turns=4, log=False, **SPOKEN)
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    clips = sum(len(base64.b64decode(m.audio["data"])) for m in chat.messages if m.audio)
    assert clips > 0
    assert path.stat().st_size < len(image) + clips + 100_000, "the image once, not four times"
    back = Conversation.from_parquet(path, log=False)
    assert back.to_messages() == chat.to_messages()
    originals = [(m.content, m.audio) for m in chat.history.messages.values()]
    assert [(m.content, m.audio) for m in back.history.messages.values()] == originals
    chat.to_parquet(tmp_path / "refs.parquet", media="reference")
    assert (tmp_path / "refs.media" / f"{sha(image)}.png").read_bytes() == image
    assert Conversation.from_parquet(tmp_path / "refs.parquet", log=False).to_messages() == (
        chat.to_messages()
    )
    chat.to_parquet(tmp_path / "dropped.parquet", media="drop")
    assert (tmp_path / "dropped.parquet").stat().st_size < 50_000
    dropped = Conversation.from_parquet(tmp_path / "dropped.parquet", log=False)
    assert dropped.to_messages()[0]["content"][1]["type"] == "text"


# -- the scenario of the issue -------------------------------------------------------------------


def test_a_1mb_image_sent_ten_times_keeps_the_log_and_the_table_small(tmp_path: Path) -> None:
    """Structural, not timed: what ``bench/bench_media.py`` prints, asserted."""
    numbers = run(1_000_000, 10, tmp_path)
    assert numbers["log"] < 1.5 * numbers["image"] + 256 * 1024
    assert numbers["requests"] > 50 * numbers["image"], "the baseline: history in every request"
    assert numbers["frame_cell"] < 1024 and not numbers["frame_base64"]
    assert numbers["frame"] < 100_000 and numbers["log_frame"] < 100_000
    assert numbers["jsonl_reference"] < 50_000 and numbers["jsonl_drop"] < 50_000
    assert numbers["jsonl_reference_media"] == numbers["image"]
    assert numbers["load_exact"] and numbers["jsonl_exact"]
    if numbers["parquet"] is not None:
        assert numbers["parquet"] < 1.2 * numbers["image"] and numbers["parquet_exact"]
    with ConversationLog(tmp_path / "log.sqlite3") as db:
        assert len(db._read("SELECT sha256 FROM media")) == 1


def test_media_quoting_the_key_stays_inline_where_redaction_applies(tmp_path: Path) -> None:
    key = "sk-proj-MEDIAKEYabcdefghijklmnopqrstuvwxyz0123"
    leaky = pdf().replace(b"%%EOF", f"% {key}\n%%EOF".encode())
    chat = Conversation(client=workbench.Client(api_key=key, base_url="http://x.test/v1"))
    chat.history.append(workbench.Message(role="user", content=[workbench.file(leaky)]))
    chat.to_jsonl(tmp_path / "t.jsonl")
    chat.to_parquet(tmp_path / "t.parquet")
    chat.to_parquet(tmp_path / "r.parquet", media="reference")
    assert not (tmp_path / "t.media").exists() and not (tmp_path / "r.media").exists()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert key.encode() not in raw and key[-12:].encode() not in raw, path


# -- spoken replies and files --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["embed", "reference", "drop"])
def test_a_spoken_reply_keeps_its_transcript_in_jsonl_and_reads_back_as_speech(
    tmp_path: Path, mode: str
) -> None:
    chat = Conversation(log=False, **SPOKEN)  # type: ignore[arg-type]
    reply = chat.send("Say hello")
    transcript = reply.audio["transcript"]  # type: ignore[index]
    assert reply.content is None and reply.text == transcript
    path = tmp_path / "spoken.jsonl"
    chat.to_jsonl(path, media=mode)  # type: ignore[arg-type]
    line = json.loads(path.read_text())
    assert line["messages"][-1] == {
        "role": "assistant",
        "content": transcript,  # the words, which the fine-tuning format can hold
        "audio": {"id": reply.audio["id"]},  # type: ignore[index]
    }
    (back,) = Conversation.from_jsonl(path, log=False)
    spoken = back.messages[-1]
    assert spoken.content is None and spoken.text == transcript
    assert spoken.audio == {"id": reply.audio["id"], "transcript": transcript}  # type: ignore[index]
    assert back.to_messages()[-1] == chat.to_messages()[-1], "it goes back by id, as sent"
    again = tmp_path / "again.jsonl"
    back.to_jsonl(again, media=mode)  # type: ignore[arg-type]
    assert again.read_text() == path.read_text()


def test_a_spoken_reply_reads_as_its_transcript_in_a_table_and_back() -> None:
    chat = Conversation(log=False, **SPOKEN)  # type: ignore[arg-type]
    reply = chat.send("Say hello")
    frame = chat.to_dataframe()
    assert frame.loc[1, "content"] == reply.text and reply.text
    back = Conversation.from_dataframe(frame, log=False)
    assert back.messages[-1].content is None and back.messages[-1].text == reply.text
    assert back.to_dataframe()["content"].tolist() == frame["content"].tolist()


def test_an_inline_file_is_named_with_its_reference_in_a_table() -> None:
    data = pdf(2)
    chat = Conversation(log=False)
    chat.send(["Summarize", workbench.file(data, filename="report.pdf")])
    text = chat.to_dataframe().loc[0, "content"]
    assert text.endswith(
        f"[file: report.pdf, application/pdf, {len(data)} bytes, sha256 {sha(data)[:12]}]"
    )
