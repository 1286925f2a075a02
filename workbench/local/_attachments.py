"""What the local model makes of media parts: a phrase acknowledging each, and their tokens.

Images are read from their headers (kind, width x height, GIF frames), recordings from theirs
(WAV exactly, MP3 from its frames), PDFs for their page objects; nothing is fetched (an http(s)
image or an uploaded file id is named, not read). Token counts are the local model's rules:

* an image: the tile rule OpenAI documents for gpt-4o: ``detail="low"`` costs 85; otherwise
  the image is scaled to fit 2048 x 2048, then its shorter side to 768, and costs 85 plus 170
  per 512-pixel tile (85 when its size cannot be read);
* audio: 10 tokens per second, counted in ``prompt_tokens_details.audio_tokens`` too;
* a file: 85 per page seen (85 when no page can be seen).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..media import audio_duration, data_url, image_info, kind_name, pdf_pages, sniff

__all__ = ["AUDIO_TOKENS_PER_SECOND", "Seen", "acknowledge", "media_tokens", "read_parts"]

AUDIO_TOKENS_PER_SECOND = 10


@dataclass(frozen=True)
class Seen:
    """One media part as the local model reads it."""

    phrase: str
    tokens: int
    audio_tokens: int = 0


def read_parts(message: Mapping[str, Any]) -> list[Seen]:
    """The media parts of a message, read; text parts are left to the text."""
    content = message.get("content")
    if not isinstance(content, list):
        return []
    seen: list[Seen] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind, value = part.get("type"), part.get(str(part.get("type")))
        if not isinstance(value, Mapping):
            continue
        if kind == "image_url":
            seen.append(_image(value))
        elif kind == "input_audio":
            seen.append(_audio(value))
        elif kind == "file":
            seen.append(_file(value))
    return seen


def acknowledge(seen: Sequence[Seen]) -> str | None:
    """A sentence naming what came with the message, or None when nothing did."""
    if not seen:
        return None
    phrases = [s.phrase for s in seen]
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"You sent {listed}."


def media_tokens(messages: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(all media tokens, of which audio) of the messages' parts."""
    tokens = audio = 0
    for message in messages:
        for seen in read_parts(message):
            tokens += seen.tokens
            audio += seen.audio_tokens
    return tokens, audio


def _decode(text: str, start: int = 0) -> bytes | None:
    try:
        return base64.b64decode(text[start:] if start else text)
    except (binascii.Error, ValueError):
        return None


def _image(spec: Mapping[str, Any]) -> Seen:
    url, detail = str(spec.get("url", "")), spec.get("detail")
    how = f", detail {detail}" if detail in ("low", "high") else ""
    where = data_url(url)
    if where is None:
        shown = url if len(url) <= 80 else url[:77] + "..."
        return Seen(f"an image at {shown} (not fetched: the local model is offline{how})", 85)
    media, _, start = where
    data = _decode(url, start) or b""
    info = image_info(data)
    if info is None:
        return Seen(f"an image I could not read ({media}, {len(data):,} bytes)", 85)
    frames = f", {info.frames} frames" if info.frames > 1 else ""
    phrase = (
        f"an image ({kind_name(info.kind)}, {info.width}x{info.height}{frames},"
        f" {len(data):,} bytes{how})"
    )
    return Seen(phrase, _image_tokens(info.width, info.height, detail))


def _image_tokens(width: int, height: int, detail: object) -> int:
    if detail == "low" or width <= 0 or height <= 0:
        return 85
    scale = min(1.0, 2048 / max(width, height))
    scale *= min(1.0, 768 / (min(width, height) * scale))
    return 85 + 170 * math.ceil(width * scale / 512) * math.ceil(height * scale / 512)


def _audio(spec: Mapping[str, Any]) -> Seen:
    audio_format = str(spec.get("format"))
    data = _decode(str(spec.get("data", ""))) or b""
    seconds = audio_duration(data, audio_format)
    if seconds is None:
        return Seen(f"a recording I could not read ({audio_format}, {len(data):,} bytes)", 0)
    about = "about " if audio_format == "mp3" else ""
    tokens = math.ceil(seconds * AUDIO_TOKENS_PER_SECOND)
    phrase = f"a recording ({kind_name(audio_format)}, {about}{seconds:.2f} seconds)"
    return Seen(phrase, tokens, tokens)


def _file(spec: Mapping[str, Any]) -> Seen:
    file_id, file_data = spec.get("file_id"), spec.get("file_data")
    if not isinstance(file_data, str):
        return Seen(f"an uploaded file {file_id} (not available offline)", 85)
    where = data_url(file_data)
    data = _decode(file_data, where[2] if where else 0) or b""
    name = spec.get("filename") or "a file"
    pages = pdf_pages(data)
    counted = f", {pages} page{'s' if pages != 1 else ''}" if pages else ""
    phrase = f"the file {name!r} ({kind_name(sniff(data))}, {len(data):,} bytes{counted})"
    return Seen(phrase, 85 * (pages or 1))
