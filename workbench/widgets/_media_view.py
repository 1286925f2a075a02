"""Media as the widget shows them: what a content part or a spoken reply holds, its label, and the
bytes a front end may ask for, named by the sha256 of the decoded bytes.

The transcript's HTML carries only a reference to each media item (a placeholder with its kind
and hash, see ``_render``); the widget answers a front end's request for a hash once, with the
bytes as a binary buffer (``ConversationWidget.send_media``). So media never travel in the synced
state or its patches. The hash is of the decoded bytes, as the log and the exports name them.

The type served is read from the bytes, never taken from what a part declares: an image must be
PNG, JPEG, GIF or WebP, a recording WAV, MP3, FLAC, Ogg or AAC; raw ``pcm16`` (what the API sends
for ``audio={"format": "pcm16"}``: 24 kHz, mono, 16-bit little-endian) gets a WAV header, since
browsers cannot play it bare. Anything else is labelled but not served.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..media import audio_duration, data_url, image_info, kind_name, pdf_pages, sniff

__all__ = [
    "HASH",
    "KINDS",
    "Media",
    "MediaStore",
    "describe_part",
    "describe_reply_audio",
    "human_size",
    "media_label",
    "pcm16_to_wav",
]

HASH = re.compile(r"^[0-9a-f]{64}$")
"""A media reference: the sha256 of the decoded bytes, in lower-case hex."""
KINDS = ("image", "audio", "file")
PCM16_RATE = 24_000
SERVED = {
    "image": {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"},
    "audio": {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "flac": "audio/flac",
        "ogg": "audio/ogg",
        "aac": "audio/aac",
        "pcm16": "audio/wav",  # served with a WAV header
    },
}
"""What a front end may get, by kind and by the format sniffed from the bytes."""


@dataclass(frozen=True)
class Media:
    """One media item: its kind, its hash, what its bytes are, and where its base64 text is.

    ``source[start:]`` is the base64 text (the message's own string: nothing is copied until a
    front end asks for the bytes).
    """

    kind: str
    hash: str
    size: int
    format: str | None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    pages: int | None = None
    name: str | None = None
    source: str = field(default="", repr=False, compare=False)
    start: int = field(default=0, repr=False, compare=False)

    @property
    def mime(self) -> str | None:
        """The type a front end gets, or None when this item is not served (an SVG image, a
        recording of an unknown kind, a file)."""
        return SERVED.get(self.kind, {}).get(self.format or "")

    @property
    def label(self) -> str:
        """A short description: ``PNG 64x48, 12.3 KB``, ``wav, 1.2 s``, ``report.pdf, 3 pages,
        80.1 KB`` (deterministic: nothing but the bytes and the name)."""
        return media_label(self)

    def payload(self) -> tuple[bytes, str] | None:
        """The bytes to serve and their type (checked against the bytes again), or None."""
        mime = self.mime
        if mime is None:
            return None
        data = _decode(self.source, self.start)
        if data is None or hashlib.sha256(data).hexdigest() != self.hash:
            return None
        if self.format == "pcm16":
            return pcm16_to_wav(data), mime
        if sniff(data) != self.format:
            return None
        return data, mime


def human_size(size: int) -> str:
    """``512 B``, ``12.3 KB``, ``1.5 MB`` (powers of 1,024)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def media_label(media: Media) -> str:
    """What ``Media.label`` says."""
    size = human_size(media.size)
    if media.kind == "image":
        name = kind_name(media.format) if media.format else "unknown"
        if media.width is not None and media.height is not None:
            return f"{name} {media.width}x{media.height}, {size}"
        return f"{name}, {size}"
    if media.kind == "audio":
        pieces = [media.format or "unknown"]
        if media.seconds is not None:
            pieces.append(f"{media.seconds:.1f} s")
        return ", ".join([*pieces, size])
    pieces = [media.name or "file"]
    if media.pages:
        pieces.append(f"{media.pages} page" + ("s" if media.pages != 1 else ""))
    return ", ".join([*pieces, size])


def pcm16_to_wav(pcm: bytes, rate: int = PCM16_RATE) -> bytes:
    """Raw PCM (mono, 16-bit little-endian) as a WAV file."""
    pcm = pcm[: len(pcm) & ~1]
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(pcm)) + pcm


# -- describing parts ---------------------------------------------------------------------------


def _decode(source: str, start: int) -> bytes | None:
    try:
        return base64.b64decode(source[start:] if start else source)
    except (binascii.Error, ValueError):
        return None


@lru_cache(maxsize=64)
def _describe(
    kind: str, source: str, start: int, declared: str | None, name: str | None, encoded: bool
) -> Media | None:
    """``Media`` for the data in ``source[start:]`` (cached: a reply is drawn several times, and
    the text view of a conversation draws every message)."""
    # A data: URL that is not base64 holds percent-encoded bytes.
    data = _decode(source, start) if encoded else urllib.parse.unquote_to_bytes(source[start:])
    if data is None:
        return None
    digest = hashlib.sha256(data).hexdigest()
    sniffed = sniff(data)
    if kind == "image":
        info = image_info(data)
        if info is not None:
            return Media("image", digest, len(data), info.kind, info.width, info.height,
                         source=source, start=start)  # fmt: skip
        return Media("image", digest, len(data), sniffed, source=source, start=start)
    if kind == "audio":
        fmt = sniffed
        if declared == "pcm16" or (fmt not in SERVED["audio"] and declared in (None, "pcm16")):
            fmt = "pcm16"  # raw samples: nothing to sniff
        if fmt == "pcm16":
            seconds: float | None = (len(data) // 2) / PCM16_RATE
        else:
            seconds = audio_duration(data, fmt) if fmt in ("wav", "mp3") else None
        return Media("audio", digest, len(data), fmt, seconds=seconds, source=source, start=start)
    pages = pdf_pages(data) if sniffed == "pdf" else None
    return Media("file", digest, len(data), sniffed, pages=pages, name=name, source=source,
                 start=start)  # fmt: skip


def describe_part(part: Mapping[str, Any]) -> Media | None:
    """The media item of an ``image_url`` (a ``data:`` URL), ``input_audio`` or ``file`` (with
    ``file_data``) content part; None for other parts, remote images and unreadable data."""
    kind = part.get("type")
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if not isinstance(url, str):
            return None
        found = data_url(url)
        if found is None:
            return None
        _, encoded, start = found
        return _describe("image", url, start, None, None, encoded)
    if kind == "input_audio":
        audio = part.get("input_audio")
        if not isinstance(audio, Mapping) or not isinstance(audio.get("data"), str):
            return None
        declared = audio.get("format")
        return _describe("audio", audio["data"], 0, str(declared or "") or None, None, True)
    if kind == "file":
        file = part.get("file")
        if not isinstance(file, Mapping) or not isinstance(file.get("file_data"), str):
            return None
        text = file["file_data"]
        found = data_url(text)
        encoded, start = (found[1], found[2]) if found is not None else (True, 0)
        name = file.get("filename")
        return _describe("file", text, start, None, str(name) if name else None, encoded)
    return None


def describe_reply_audio(
    audio: Mapping[str, Any] | None, params: Mapping[str, Any] | None = None
) -> Media | None:
    """The media item of a spoken reply's ``message.audio`` (its format is what the request
    asked for, in ``params["audio"]["format"]``, or what the bytes say); None without data."""
    if not audio or not isinstance(audio.get("data"), str) or not audio["data"]:
        return None
    asked = (params or {}).get("audio")
    declared = asked.get("format") if isinstance(asked, Mapping) else None
    return _describe("audio", audio["data"], 0, str(declared) if declared else None, None, True)


class MediaStore:
    """The media items a widget has shown, by hash: what a front end may ask for.

    It holds references to the messages' own base64 text, not copies of the bytes.
    """

    def __init__(self) -> None:
        self._items: dict[str, Media] = {}

    def add(self, media: Media) -> None:
        self._items.setdefault(media.hash, media)

    def get(self, digest: str) -> Media | None:
        return self._items.get(digest)

    def payload(self, digest: str) -> tuple[Media, bytes, str] | None:
        """The item, its bytes and their type, or None for a hash not shown or not served."""
        media = self._items.get(digest)
        if media is None:
            return None
        found = media.payload()
        return None if found is None else (media, *found)

    def __len__(self) -> int:
        return len(self._items)
