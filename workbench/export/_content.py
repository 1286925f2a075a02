"""Message content for a table: text, with media as compact references (never base64)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..media import describe_inline, media_in

__all__ = ["compact_audio", "compact_parts", "content_text", "media_column"]


def content_text(content: object) -> str | None:
    """The text of a message's content: a string as it is; content parts joined by newlines,
    each non-text part as a short reference such as ``[image: https://...]`` or
    ``[image: image/png, 5120 bytes, sha256 1a2b3c4d5e6f]``."""
    if content is None or isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    return "\n".join(_part_text(part) for part in content)


def compact_parts(content: object) -> list[dict[str, Any]] | None:
    """Content parts with inline data (data URLs, base64 audio or files) replaced by a reference;
    None for plain text content."""
    if not isinstance(content, list):
        return None
    return [_compact_part(part) if isinstance(part, Mapping) else part for part in content]


def compact_audio(audio: object) -> dict[str, Any] | None:
    """An assistant reply's audio with its base64 ``data`` replaced by a reference."""
    if not isinstance(audio, Mapping):
        return None
    out = dict(audio)
    if isinstance(out.get("data"), str):
        out["data"] = _reference("audio", out["data"])
    return out


def media_column(content: object, audio: object) -> list[dict[str, Any]] | None:
    """The inline media of a message (content parts, a reply's speech) as plain references:
    ``where`` (``content[1]``, ``audio``), kind, format, media type, size and full sha256 of the
    decoded bytes; None when it has none. URLs and uploaded files' ids are not media here."""
    if not isinstance(content, list) and not isinstance(audio, Mapping):
        return None
    found = media_in({"content": content, "audio": audio})
    return [{"where": where, **ref.as_dict()} for where, ref in found] or None


def _part_text(part: object) -> str:
    if not isinstance(part, Mapping):
        return str(part)
    kind = part.get("type")
    if kind == "text":
        return str(part.get("text", ""))
    if kind == "refusal":
        return str(part.get("refusal", ""))
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else None
        return f"[image: {_url_text(url)}]"
    if kind == "input_audio":
        audio = part.get("input_audio")
        fmt = audio.get("format") if isinstance(audio, Mapping) else None
        data = audio.get("data") if isinstance(audio, Mapping) else None
        return f"[audio: {_reference(f'audio/{fmt}', data)}]"
    if kind == "file":
        file = part.get("file")
        if isinstance(file, Mapping):
            name = file.get("filename") or file.get("file_id")
            data = file.get("file_data")
            if isinstance(data, str):  # inline: the bytes' reference, after the name if any
                return (
                    f"[file: {name}, {_url_text(data)}]" if name else f"[file: {_url_text(data)}]"
                )
            return f"[file: {name}]" if name else "[file]"
        return "[file]"
    return f"[{kind}]"


def _compact_part(part: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(part)
    kind = out.get("type")
    if kind == "image_url" and isinstance(out.get("image_url"), Mapping):
        image = dict(out["image_url"])
        if _is_data_url(image.get("url")):
            image["url"] = _url_text(image["url"])
        out["image_url"] = image
    elif kind == "input_audio" and isinstance(out.get("input_audio"), Mapping):
        audio = dict(out["input_audio"])
        if isinstance(audio.get("data"), str):
            audio["data"] = _reference(f"audio/{audio.get('format')}", audio["data"])
        out["input_audio"] = audio
    elif kind == "file" and isinstance(out.get("file"), Mapping):
        file = dict(out["file"])
        if isinstance(file.get("file_data"), str):
            file["file_data"] = _url_text(file["file_data"])
        out["file"] = file
    return out


def _is_data_url(url: object) -> bool:
    return isinstance(url, str) and url[:5].lower() == "data:"


def _url_text(url: object) -> str:
    """A URL as it is, or a data URL as its media type, size and hash."""
    if not isinstance(url, str):
        return "?"
    if not _is_data_url(url):
        return url
    ref = describe_inline(url)
    if ref is not None:
        return ref.label()
    media = url[5:].partition(",")[0].split(";")[0] or "text/plain"
    return f"{media}, not base64 ({len(url)} characters)"


def _reference(media: str, data: object) -> str:
    """``<media>, <bytes> bytes, sha256 <12 hex>`` for base64 ``data`` (never the data): the hash
    of the decoded bytes, as the log, the exports and the widget address media."""
    if not isinstance(data, str):
        return media
    ref = describe_inline(data, media if "/" in media else "")
    return ref.label() if ref is not None else f"{media}, not base64 ({len(data)} characters)"
