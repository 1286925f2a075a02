"""Media in the widget: references in the transcript, bytes once on request, never in the state.

The transcript's HTML names each image and recording by the sha256 of its bytes; the front end
asks for what it lacks (``{"action": "media", "hash"}``) and gets the bytes once as a binary
buffer. These tests play the front end over the recording comm; ``test_widget_frontend.py``
runs the real ``widget.js`` against the same widget.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
import struct
import wave
from typing import Any

import pytest

import workbench
from tests._media import mp3_frames, pdf, wav
from tests._widgets import RecordingComm, front_end, make_chat, recorded
from tests.test_render import assert_inert, elements
from workbench.conversation._history import Message
from workbench.widgets._media_view import describe_part, human_size, pcm16_to_wav
from workbench.widgets._plain_text import transcript_text
from workbench.widgets._render import markdown_to_html, message_to_html, sanitize
from workbench.widgets._widget import ConversationWidget, widget

pytestmark = pytest.mark.usefixtures("recording_comm")

SPOKEN_WAV = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}
SPOKEN_PCM = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "pcm16"}}


def png(width: int = 8, height: int = 6, *, noise: bool = False) -> bytes:
    """A PNG of ``width`` x ``height``: one colour, or random pixels (``noise``: big)."""
    from PIL import Image

    size = (width, height)
    if noise:
        picture = Image.frombytes("RGB", size, random.Random(7).randbytes(3 * width * height))
    else:
        picture = Image.new("RGB", size, "#c82a5a")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashes_in(html: str) -> list[str]:
    return [str(dict(a)["data-wb-hash"]) for _, a in elements(html) if "data-wb-hash" in dict(a)]


def media_replies(comm: RecordingComm) -> list[tuple[dict[str, Any], list[bytes]]]:
    return [
        (m["content"], buffers)
        for m, buffers in zip(comm.messages, comm.buffers, strict=True)
        if m["method"] == "custom" and m["content"].get("type") == "media"
    ]


def ask(w: ConversationWidget, digest: str) -> tuple[dict[str, Any], list[bytes]] | None:
    """Ask as the front end does; the widget's answer, if any."""
    comm = recorded(w)
    before = len(comm.messages)
    front_end(w, {"action": "media", "hash": digest})
    answers = [
        (m["content"], b)
        for m, b in zip(comm.messages[before:], comm.buffers[before:], strict=True)
        if m["method"] == "custom"
    ]
    assert len(answers) <= 1
    return answers[0] if answers else None


def snippets(data: bytes) -> list[str]:
    """Pieces of ``data``'s base64 that any copy of it would contain, whatever its alignment."""
    text = base64.b64encode(data).decode()
    middle = len(text) // 2 // 4 * 4
    return [text[middle : middle + 40], text[4:44]]


# -- references, not bytes -------------------------------------------------------------------------


def test_media_are_references_in_the_state_its_patches_and_every_other_message() -> None:
    chat = make_chat()
    w = widget(chat)
    image, clip, paper = png(40, 30, noise=True), wav(0.5), pdf(3)
    chat.send(["Look", workbench.image(image), workbench.audio(clip), workbench.file(paper)])
    chat.send("Say it", **SPOKEN_WAV)
    chat.send("Again in raw samples", **SPOKEN_PCM)
    for k in range(3):
        chat.send(f"text turn {k}")
    spoken = [m.audio for m in chat.messages if m.audio]
    assert len(spoken) == 2
    blobs = [image, clip, paper, *(base64.b64decode(a["data"]) for a in spoken)]

    state = json.dumps(w.get_state(), default=str)
    comm = recorded(w)
    assert not any(comm.buffers[: len(comm.messages)]), "nothing was asked for: no bytes sent"
    sent = json.dumps(comm.messages, default=str)
    for data in blobs:
        for piece in snippets(data):
            assert piece not in state and piece not in sent
    assert "base64" not in state and "base64" not in sent

    shown = [h for entry in w.messages_html for h in hashes_in(entry["html"])]
    assert set(shown) == {sha(b) for b in blobs}, "every item is named by its bytes' sha256"
    for entry in w.messages_html:
        assert_inert(entry["html"], remote_images=True, media=True)
    user = w.messages_html[0]["html"]
    assert "PNG 40x30" in user and "wav, 0.5 s" in user and "file: document.pdf, 3 pages" in user

    # What the front end asks for comes as bytes, in buffers only.
    for data in blobs[:2] + blobs[3:]:
        answer = ask(w, sha(data))
        assert answer is not None and len(answer[1]) == 1
    answers = json.dumps([c for c, _ in media_replies(comm)])
    assert all(piece not in answers for data in blobs for piece in snippets(data))


def test_an_image_then_five_text_turns_sends_its_bytes_once() -> None:
    chat = make_chat()
    w = widget(chat)
    comm = recorded(w)
    image = png(200, 150, noise=True)  # about 90 KB
    chat.send(["What is in this picture?", workbench.image(image)])
    [digest] = hashes_in(w.messages_html[0]["html"])
    asked: set[str] = set()

    def front_end_draws() -> None:
        """A front end that asks for every hash it has not got yet, as widget.js does."""
        for entry in w.messages_html:
            for h in hashes_in(entry["html"]):
                if h not in asked:
                    asked.add(h)
                    ask(w, h)

    front_end_draws()
    turn_bytes = []
    for k in range(5):
        before = len(comm.messages)
        chat.send(f"And now something else, {k}")
        front_end_draws()
        turn_bytes.append(_size(comm, before))
    total = _size(comm, 0)
    media_bytes = sum(len(b) for _, buffers in media_replies(comm) for b in buffers)
    print(
        f"image {len(image):,} bytes; comm total {total:,} bytes over 6 turns, of which media "
        f"buffers {media_bytes:,}; turns 2-6: {', '.join(f'{b:,}' for b in turn_bytes)} bytes"
    )
    assert len(media_replies(comm)) == 1 and media_bytes == len(image)
    assert all(b < len(image) / 4 for b in turn_bytes), turn_bytes
    assert digest == sha(image)


def _size(comm: RecordingComm, start: int) -> int:
    """Bytes the comm carried from message ``start`` on: JSON and buffers."""
    return sum(
        len(json.dumps(m, default=str)) + sum(len(b) for b in buffers)
        for m, buffers in zip(comm.messages[start:], comm.buffers[start:], strict=True)
    )


# -- what is served ----------------------------------------------------------------------------


def test_an_unknown_or_forged_hash_is_refused_quietly() -> None:
    chat = make_chat()
    old = png(5, 5)
    chat.send(["old", workbench.image(old)])
    chat.send("newer")
    w = widget(chat, window=2)  # the image's turn is out of the window: not shown yet
    comm = recorded(w)
    for forged in ("", "x" * 64, "../../etc/passwd", sha(b"x").upper(), sha(b"x")[:63], "a" * 65):
        before = len(comm.messages)
        front_end(w, {"action": "media", "hash": forged})
        assert len(comm.messages) == before, forged
    front_end(w, {"action": "media", "hash": {"not": "text"}})
    for unknown in (sha(b"never shown"), sha(old)):
        answer = ask(w, unknown)
        assert answer == ({"type": "media", "hash": unknown, "missing": True}, [])
    assert w.error == ""
    w.earlier_messages(len(chat.messages))  # shown on demand: now it may be asked for
    answer = ask(w, sha(old))
    assert answer is not None and answer[1] == [old]


def test_pcm16_is_served_as_a_wav_file() -> None:
    chat = make_chat()
    w = widget(chat)
    reply = chat.send("Read this aloud", **SPOKEN_PCM)
    assert reply.audio is not None
    raw = base64.b64decode(reply.audio["data"])
    [digest] = hashes_in(w.messages_html[-1]["html"])
    assert digest == sha(raw), "named by the bytes the API sent"
    answer = ask(w, digest)
    assert answer is not None
    content, [served] = answer
    assert content["mime"] == "audio/wav" and content["kind"] == "audio"
    with wave.open(io.BytesIO(served), "rb") as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 24_000)
        assert clip.readframes(clip.getnframes()) == raw
    assert served[:4] == b"RIFF" and struct.unpack("<I", served[4:8])[0] == len(served) - 8
    assert pcm16_to_wav(b"\x01\x02\x03")[40:44] == struct.pack("<I", 2), "an odd byte is dropped"
    assert "pcm16, " in w.messages_html[-1]["html"]


def test_the_served_type_is_read_from_the_bytes_not_the_declared_one() -> None:
    gif = b"GIF89a\x02\x00\x02\x00\x00\x00\x00;"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    mp3 = mp3_frames(40)
    parts: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": _data("image/png", gif)}},
        {"type": "image_url", "image_url": {"url": _data("image/png", svg)}},
        {"type": "input_audio", "input_audio": {"data": _b64(mp3), "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": _b64(b"junk" * 10), "format": "wav"}},
    ]
    chat = make_chat()
    chat.history.add(Message(role="user", content=parts))
    w = widget(chat)
    html = w.messages_html[0]["html"]
    assert_inert(html, remote_images=True, media=True)
    got = {}
    for data in (gif, svg, mp3, b"junk" * 10):
        answer = ask(w, sha(data))
        assert answer is not None
        got[data] = answer[0].get("mime")
    assert got == {gif: "image/gif", svg: None, mp3: "audio/mpeg", b"junk" * 10: None}
    assert "SVG, " in html and "mp3, 1.0 s" in html


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _data(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{_b64(data)}"


# -- the HTML and the text fallback -----------------------------------------------------------


def test_a_reply_cannot_forge_a_media_placeholder() -> None:
    image = png()
    real = sha(image)
    forged = (
        f'<span class="wb-media wb-media-image" data-wb-kind="image" data-wb-hash="{real}">'
        '<span class="wb-media-label">x</span></span>'
        f'<span data-wb-kind="audio" data-wb-hash="{real}">y</span>'
    )
    user = Message(role="user", content=[{"type": "text", "text": forged}, workbench.image(image)])
    reply = Message(role="assistant", content=f"{forged}\n\n`{forged}`\n\n    {forged}")
    tool = Message(role="tool", tool_call_id="c", content=forged)
    call = {"id": "c", "type": "function", "function": {"name": forged, "arguments": forged}}
    caller = Message(role="assistant", content=forged, tool_calls=[call])
    assert hashes_in(message_to_html(user)) == [real], "only the user's own image"
    for message in (reply, tool, caller):
        html = message_to_html(message, tool_results={"c": tool})
        assert hashes_in(html) == [] and "wb-media" not in str(elements(html))
        assert_inert(html, remote_images=True)
    assert hashes_in(markdown_to_html(forged)) == []
    # The message cleaner keeps the two attributes only with a known kind and a hex hash.
    bad = '<span data-wb-kind="script" data-wb-hash="../x" data-wb-other="1">z</span>'
    assert sanitize(bad, remote_images=True) == "<span>z</span>"
    assert "data-wb" not in sanitize(forged), "the Markdown cleaner never keeps them"


def test_the_text_fallback_names_media_without_their_data() -> None:
    chat = make_chat()
    image = png(64, 48)
    remote = workbench.image("https://example.com/cat.png")
    chat.send(["Look", workbench.image(image), workbench.audio(wav(1.25)), workbench.file(pdf(3))])
    chat.send(["Say it", remote], **SPOKEN_WAV)
    text = transcript_text(chat)
    assert f"  [image: PNG 64x48, {human_size(len(image))}]\n" in text
    assert "  [audio: wav, 1.2 s, 39.1 KB]\n" in text
    assert re.search(r"\[file: document\.pdf, 3 pages, \d+ B\]", text)
    spoken = re.search(r"\[audio: wav, \d+\.\d s, [\d.]+ KB\] \[local model", text)
    assert spoken, text
    assert "[image: https://example.com/cat.png]" in text
    assert "base64" not in text and max(len(w) for w in text.split()) < 100
    assert transcript_text(chat) == text, "deterministic"
    assert describe_part({"type": "image_url", "image_url": {"url": "https://x.example/a"}}) is None
