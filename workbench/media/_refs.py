"""Media by content address: inline base64 in messages, requests and replies, the sha256 of its
decoded bytes, the references that stand in for it in logs and files, and the way back.

An inline payload sits in one of four slots: an ``image_url`` part's ``url`` and a ``file``
part's ``file_data`` (``data:`` URLs), an ``input_audio`` part's ``data``, and an assistant
reply's ``audio.data`` (with its ``id``). A reference replaces the slot's string by
``{"$media": <sha256 hex>, "mime": ..., "size": ..., "prefix": <the data: URL's head>}``, from
which ``restore_media`` rebuilds the very string (only canonical base64 is replaced, so
encoding the bytes again gives it back character for character).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .._credentials import OPENAI_KEY_BYTES
from ._inspect import data_url, sniff

__all__ = [
    "REF_KEY",
    "Inline",
    "MediaRef",
    "decode_inline",
    "describe_inline",
    "describing",
    "drop_media",
    "extract_media",
    "is_reference",
    "map_media",
    "media_in",
    "reference_of",
    "restore_media",
    "secret_finder",
]

REF_KEY = "$media"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SAFE_EXT = re.compile(r"[a-z0-9]{1,16}")
# Headerless formats by what sniff() cannot tell; the API's only headerless output is pcm16.
_AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mp3", "flac": "audio/flac", "ogg": "audio/ogg"}
_AUDIO_MIME |= {"aac": "audio/aac"}


@dataclass(frozen=True)
class MediaRef:
    """What a piece of media is, without its bytes: media type, size in bytes, sha256 (hex) of
    the decoded bytes (the address shared by the log, the exports and the widget)."""

    sha256: str
    mime: str
    size: int

    @property
    def kind(self) -> str:
        """``image``, ``audio`` or ``file``."""
        top = self.mime.split("/", 1)[0]
        return top if top in ("image", "audio") else "file"

    @property
    def format(self) -> str:
        """The media type's subtype: ``png``, ``jpeg``, ``wav``, ``pdf``..."""
        return self.mime.rpartition("/")[2] or "bin"

    @property
    def extension(self) -> str:
        """A file name extension safe to put in a path (``bin`` when the subtype is not)."""
        ext = self.format.lower()
        return ext if _SAFE_EXT.fullmatch(ext) else "bin"

    def label(self) -> str:
        """``image/png, 5120 bytes, sha256 1a2b3c4d5e6f``: how tables and text show it."""
        return f"{self.mime}, {self.size} bytes, sha256 {self.sha256[:12]}"

    def as_dict(self) -> dict[str, Any]:
        """Kind, format, media type, size and the full hash, as plain values."""
        return {
            "kind": self.kind,
            "format": self.format,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Inline:
    """One inline payload: its reference, its bytes, and the text before the base64 (the
    ``data:...;base64,`` head of a URL; empty for bare base64)."""

    ref: MediaRef
    data: bytes
    prefix: str

    def reference(self) -> dict[str, Any]:
        """The JSON object that stands in for the payload's string."""
        out: dict[str, Any] = {REF_KEY: self.ref.sha256, "mime": self.ref.mime}
        out["size"] = self.ref.size
        if self.prefix:
            out["prefix"] = self.prefix
        return out

    def text(self) -> str:
        """The slot's original string."""
        return self.prefix + base64.b64encode(self.data).decode("ascii")


Slot = Callable[[Any, str], Any]
"""Called with a slot's value and the media type it implies (empty: read it from the bytes);
returns the value to put in its place."""


def map_media(value: Any, slot: Slot) -> Any:
    """A copy of JSON-like ``value`` with each media slot's value replaced by ``slot``'s answer
    (containers without a slot are returned as they are, not copied)."""
    if isinstance(value, list):
        items = [map_media(v, slot) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] | None = None
    kind = value.get("type")
    holder = _HOLDERS.get(kind) if isinstance(kind, str) else None
    for key, item in value.items():
        if holder is not None and key == holder[0] and isinstance(item, Mapping):
            field = holder[1]
            mime = f"audio/{item.get('format')}" if key == "input_audio" else ""
            new = {**item, field: slot(item[field], mime)} if field in item else item
            if new is not item and new[field] is item[field]:
                new = item
        elif key == "audio" and isinstance(item, Mapping) and "data" in item and "id" in item:
            data = slot(item["data"], "")
            new = item if data is item["data"] else {**item, "data": data}
        else:
            new = map_media(item, slot)
        if new is not item:
            out = dict(value) if out is None else out
            out[key] = new
    return value if out is None else out


_HOLDERS: dict[str, tuple[str, str]] = {
    "image_url": ("image_url", "url"),
    "input_audio": ("input_audio", "data"),
    "file": ("file", "file_data"),
}


def decode_inline(text: str, mime: str) -> Inline | None:
    """The payload of a slot's string (a base64 ``data:`` URL, or bare base64 of ``mime``);
    None for anything else, and for base64 that would not encode back to the same text."""
    prefix = ""
    head = data_url(text)
    if head is not None:
        media, is_base64, start = head
        if not is_base64:
            return None
        prefix, payload, mime = text[:start], text[start:], media
    elif text.startswith(("http://", "https://")):
        return None
    else:
        payload = text
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(data).decode("ascii") != payload:
        return None  # not canonical: only what restores exactly is replaced
    return Inline(_ref(data, mime), data, prefix)


_SEEN: ContextVar[dict[tuple[int, str], tuple[str, MediaRef | None]] | None] = ContextVar(
    "workbench_media_seen", default=None
)


@contextmanager
def describing() -> Iterator[None]:
    """Within this block, ``describe_inline`` decodes and hashes each string object once (a
    table asks for each item three times: its text, its parts, its media column)."""
    token = _SEEN.set({})
    try:
        yield
    finally:
        _SEEN.reset(token)


def describe_inline(text: str, mime: str = "") -> MediaRef | None:
    """The reference of a slot's inline payload, canonical or not (None for a URL, or text that
    is not base64); tables show it instead of the data."""
    seen = _SEEN.get()
    if seen is None:
        return _describe(text, mime)
    key = (id(text), mime)
    found = seen.get(key)
    if found is None or found[0] is not text:
        found = seen[key] = (text, _describe(text, mime))  # holding text keeps its id unique
    return found[1]


def _describe(text: str, mime: str) -> MediaRef | None:
    head = data_url(text)
    if head is not None:
        mime, is_base64, start = head
        if not is_base64:
            return None
        text = text[start:]
    elif text.startswith(("http://", "https://")):
        return None
    try:
        data = base64.b64decode(text)
    except (binascii.Error, ValueError):
        return None
    return _ref(data, mime)


def _ref(data: bytes, mime: str) -> MediaRef:
    if not mime or mime == "audio/None":
        kind = sniff(data)
        mime = _AUDIO_MIME.get(kind or "", "audio/pcm16")
    return MediaRef(hashlib.sha256(data).hexdigest(), mime, len(data))


def is_reference(value: object) -> bool:
    """Whether ``value`` is a reference object (``{"$media": ...}``)."""
    return isinstance(value, Mapping) and REF_KEY in value


def reference_of(value: Mapping[str, Any]) -> tuple[MediaRef, str]:
    """The ``MediaRef`` and prefix a reference object holds.

    Raises:
        ValueError: naming the field that is not as ``Inline.reference`` writes it.
    """
    sha, mime, size = value.get(REF_KEY), value.get("mime"), value.get("size")
    prefix = value.get("prefix", "")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ValueError(f"{REF_KEY} must be a sha256 in 64 lowercase hex digits, got {sha!r}")
    if not isinstance(mime, str) or not mime:
        raise ValueError(f"mime must be a media type, got {mime!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"size must be a number of bytes, got {size!r}")
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be text, got {prefix!r}")
    extra = set(value) - {REF_KEY, "mime", "size", "prefix"}
    if extra:
        raise ValueError(f"unknown field {sorted(extra)[0]!r}")
    return MediaRef(sha, mime, size), prefix


def secret_finder(secrets: Iterable[str | None] = ()) -> Callable[[bytes], bool]:
    """A test of media bytes: whether they hold one of ``secrets`` (8 characters or more) or
    an OpenAI-shaped key as text (a PDF quoting a key). Such media stays inline, as base64,
    where the text's redaction applies, instead of reaching a log or a file as raw bytes."""
    keys = [s.encode() for s in secrets if isinstance(s, str) and len(s) >= 8]

    def holds(data: bytes) -> bool:
        return any(key in data for key in keys) or bool(OPENAI_KEY_BYTES.search(data))

    return holds


def extract_media(
    value: Any, keep_inline: Callable[[bytes], bool] | None = None
) -> tuple[Any, dict[str, Inline]]:
    """``value`` with each inline payload replaced by its reference, and the payloads by hash.

    Args:
        keep_inline: a payload whose bytes it accepts stays inline (e.g. bytes that hold a
            secret, which the caller redacts in the text instead).
    """
    found: dict[str, Inline] = {}

    def slot(text: Any, mime: str) -> Any:
        if not isinstance(text, str) or len(text) < 64:
            return text  # short payloads cost less inline than a reference
        inline = decode_inline(text, mime)
        if inline is None or (keep_inline is not None and keep_inline(inline.data)):
            return text
        found.setdefault(inline.ref.sha256, inline)
        return inline.reference()

    return map_media(value, slot), found


def restore_media(value: Any, fetch: Callable[[MediaRef], bytes]) -> Any:
    """``value`` with each reference replaced by the string it stood for.

    Args:
        fetch: the bytes of a reference (raising what the caller wants raised when they are
            missing or do not match).

    Raises:
        ValueError: a reference object not as ``Inline.reference`` writes it, or one whose
            media type, size or head disagree with the bytes ``fetch`` gives.
    """

    def slot(item: Any, mime: str) -> Any:
        if not is_reference(item):
            return item
        ref, prefix = reference_of(item)
        text = Inline(ref, fetch(ref), prefix).text()
        again = decode_inline(text, mime)
        if again is None or again.ref != ref:  # an edited reference: it would not export back
            raise ValueError(
                f"the reference to sha256 {ref.sha256} says {ref.mime!r} with the head"
                f" {prefix!r}, which does not describe its media"
            )
        return text

    return map_media(value, slot)


def drop_media(value: Any) -> Any:
    """``value`` with each content part holding inline media (or a reference to it) replaced by
    a text part describing it: ``[image: image/png, 5120 bytes, sha256 1a2b3c4d5e6f]``."""
    if isinstance(value, list):
        return [drop_media(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    kind = value.get("type")
    holder = _HOLDERS.get(kind) if isinstance(kind, str) else None
    if holder is not None and isinstance(value.get(holder[0]), Mapping):
        body = value[holder[0]]
        item = body.get(holder[1])
        mime = f"audio/{body.get('format')}" if kind == "input_audio" else ""
        ref = reference_of(item)[0] if is_reference(item) else None
        if ref is None and isinstance(item, str):
            ref = describe_inline(item, mime)
        if ref is not None:
            return {"type": "text", "text": f"[{ref.kind}: {ref.label()}]"}
    return {k: drop_media(v) for k, v in value.items()}


def media_in(value: Any) -> list[tuple[str, MediaRef]]:
    """Each inline payload (or reference) in ``value`` with where it is, in order: content
    part ``content[1]``, or ``audio`` for a reply's speech."""
    out: list[tuple[str, MediaRef]] = []

    def visit(item: Any, mime: str) -> Any:
        ref = reference_of(item)[0] if is_reference(item) else None
        if ref is None and isinstance(item, str):
            ref = describe_inline(item, mime)
        if ref is not None:
            out.append(("", ref))
        return item

    if isinstance(value, Mapping):
        content = value.get("content")
        if isinstance(content, list):
            for i, part in enumerate(content):
                before = len(out)
                map_media(part, visit)
                out[before:] = [(f"content[{i}]", ref) for _, ref in out[before:]]
        audio = value.get("audio")
        if isinstance(audio, Mapping) and "data" in audio:
            before = len(out)
            visit(audio["data"], "")
            out[before:] = [("audio", ref) for _, ref in out[before:]]
    return out
