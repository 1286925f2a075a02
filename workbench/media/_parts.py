"""Content parts from what a user has at hand: paths, URLs, bytes and PIL images.

Each helper checks the format and the API's size limits before anything is sent, and raises
``InvalidParameterError`` naming the argument and the allowed values.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidParameterError
from ._inspect import (
    AUDIO_FORMATS,
    AUDIO_MAX_BYTES,
    DETAILS,
    FILES_MAX_TOTAL,
    IMAGE_MAX_BYTES,
    IMAGE_TYPES,
    base64_size,
    data_url,
    image_info,
    kind_name,
    sniff,
)

if TYPE_CHECKING:
    from ..types.params import (
        ChatCompletionContentPartImageParam,
        ChatCompletionContentPartInputAudioParam,
        ChatCompletionFileParam,
    )

__all__ = ["audio", "check_image_url", "check_size", "file", "image", "user_content"]

_IMAGES_ALLOWED = "PNG, JPEG, WebP or non-animated GIF: a path, bytes, an http(s) URL, a PIL image"
_FILE_ID = re.compile(r"^file-[A-Za-z0-9_-]+$")
_LIMITS = {  # per argument: the limit, and how the errors state it (see _inspect for sources)
    "image": (IMAGE_MAX_BYTES, "up to 20 MB per image"),
    "audio": (AUDIO_MAX_BYTES, "up to 25 MB"),
    "file": (FILES_MAX_TOTAL, "up to 32 MB of files per request"),
}


def image(source: Any, detail: str | None = None) -> ChatCompletionContentPartImageParam:
    """An ``image_url`` content part.

    Args:
        source: an ``http(s)://`` URL (sent as it is), a ``data:`` URL, a path, the image's
            bytes, or a PIL image (saved as PNG, or as JPEG when it was read from one). A path,
            bytes or PIL image becomes a base64 ``data:`` URL whose media type is read from
            the bytes' magic numbers.
        detail: ``"auto"``, ``"low"`` or ``"high"`` (default: not sent, the server's ``auto``).

    Raises:
        InvalidParameterError: an unknown ``detail``; a format other than PNG, JPEG, WebP or a
            non-animated GIF; an image over the API's 20 MB limit.
    """
    if detail is not None and detail not in DETAILS:
        raise InvalidParameterError("detail", f"got {detail!r}", allowed=DETAILS)
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        url = source
    elif isinstance(source, str) and source.startswith("data:"):
        check_image_url(source)
        url = source
    else:
        data = _pil_bytes(source) if _is_pil(source) else _read(source, "image")
        kind = sniff(data)
        if kind not in IMAGE_TYPES:
            raise InvalidParameterError(
                "image",
                f"{kind_name(kind)} is not an image format the API takes",
                allowed=_IMAGES_ALLOWED,
            )
        check_size("image", len(data))
        info = image_info(data)
        if info is not None and info.frames > 1:
            raise InvalidParameterError(
                "image", f"an animated GIF ({info.frames} frames)", allowed=_IMAGES_ALLOWED
            )
        url = f"data:{IMAGE_TYPES[kind]};base64,{base64.b64encode(data).decode('ascii')}"
    part: ChatCompletionContentPartImageParam = {"type": "image_url", "image_url": {"url": url}}
    if detail is not None:
        part["image_url"]["detail"] = detail  # type: ignore[typeddict-item]
    return part


def audio(source: Any, format: str | None = None) -> ChatCompletionContentPartInputAudioParam:
    """An ``input_audio`` content part: the recording base64-encoded, with its format.

    Args:
        source: a path or the recording's bytes.
        format: ``"wav"`` or ``"mp3"``; by default read from the bytes (a RIFF/WAVE header, an
            ID3 tag or an MPEG Layer III frame).

    Raises:
        InvalidParameterError: a format other than WAV or MP3 (or one that contradicts the
            bytes); a recording over 25 MB.
    """
    if format is not None and format not in AUDIO_FORMATS:
        raise InvalidParameterError("format", f"got {format!r}", allowed=AUDIO_FORMATS)
    data = _read(source, "audio")
    kind = sniff(data)
    if kind in AUDIO_FORMATS:
        if format is not None and format != kind:
            raise InvalidParameterError(
                "format", f"is {format!r}, but the data is {kind_name(kind)}", allowed=(kind,)
            )
        format = kind
    elif kind is not None or format is None:
        raise InvalidParameterError(
            "audio",
            f"{kind_name(kind)} is not an audio format the API takes",
            allowed="WAV or MP3 (give format= for headerless data)",
        )
    check_size("audio", len(data))
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "input_audio", "input_audio": {"data": encoded, "format": format}}  # type: ignore[typeddict-item]


def file(source: Any, filename: str | None = None) -> ChatCompletionFileParam:
    """A ``file`` content part: a PDF sent inline, or a file uploaded before, by its id.

    Args:
        source: a path or the PDF's bytes (sent as ``file_data``, a base64 ``data:`` URL), or
            the id of an uploaded file (``"file-..."``; sent as ``file_id``).
        filename: the name the model is told (default: the path's name, or ``document.pdf``).

    Raises:
        InvalidParameterError: anything but a PDF (Chat Completions takes only PDF file
            parts), or a file over the API's 32 MB per request.
    """
    if isinstance(source, str) and _FILE_ID.match(source) and not os.path.exists(source):
        return {"type": "file", "file": {"file_id": source}}
    data = _read(source, "file")
    kind = sniff(data)
    if kind != "pdf":
        raise InvalidParameterError(
            "file",
            f"{kind_name(kind)}: Chat Completions takes only PDF files",
            allowed="a PDF (a path or bytes), or an uploaded file's id 'file-...'",
        )
    check_size("file", len(data))
    if filename is None:
        filename = Path(source).name if isinstance(source, (str, os.PathLike)) else "document.pdf"
    encoded = base64.b64encode(data).decode("ascii")
    return {
        "type": "file",
        "file": {"filename": filename, "file_data": f"data:application/pdf;base64,{encoded}"},
    }


def user_content(content: object) -> str | list[dict[str, Any]]:
    """A user turn's content as the API takes it: a string, or a list of content parts in which
    a plain string becomes a text part (a single part alone becomes a list of one)."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        content = [content]
    if not isinstance(content, Sequence) or isinstance(content, (bytes, bytearray)):
        raise InvalidParameterError(
            "content",
            f"must be a string or a list of strings and parts, not {type(content).__name__}",
            allowed="str, or a list of str and parts such as workbench.image(...)",
        )
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(content):
        if isinstance(part, str):
            parts.append({"type": "text", "text": part})
        elif isinstance(part, Mapping):
            parts.append(dict(part))
        else:
            raise InvalidParameterError(
                f"content[{i}]",
                f"must be a string or a content part dict, not {type(part).__name__}",
                allowed="str, workbench.image(...), workbench.audio(...), workbench.file(...)",
            )
    return parts


# -- reading -------------------------------------------------------------------------------------


def _read(source: Any, argument: str) -> bytes:
    """The bytes of a path or a bytes-like ``source``; a file over the limit is not read."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        size = path.stat().st_size  # FileNotFoundError names the path
        check_size(argument, size)
        return path.read_bytes()
    raise TypeError(
        f"{argument} must be a path or bytes"
        + (", a URL or a PIL image" if argument == "image" else "")
        + f", not {type(source).__name__}"
    )


def check_size(where: str, size: int, kind: str | None = None) -> None:
    """Refuse ``size`` bytes of an ``image``, ``audio`` or ``file`` (``kind``, by default
    ``where``) over the API's limit, naming ``where``."""
    limit, allowed = _LIMITS[kind or where]
    if size > limit:
        raise InvalidParameterError(
            where,
            f"{size:,} bytes is over the API's limit of {limit:,} bytes",
            allowed=allowed,
        )


def check_image_url(url: str, where: str = "image") -> int:
    """Refuse a ``data:`` URL that is not a base64 PNG, JPEG, GIF or WebP of at most 20 MB,
    naming ``where``; the image's size in bytes (0 for any other URL, which is not read)."""
    info = data_url(url)
    if info is None:
        return 0
    media, is_base64, start = info
    if media not in IMAGE_TYPES.values() or not is_base64:
        raise InvalidParameterError(
            where,
            f"a data: URL of {media or 'no media type'!r}" + ("" if is_base64 else ", not base64"),
            allowed=", ".join(f"data:{m};base64,..." for m in IMAGE_TYPES.values()),
        )
    size = base64_size(url, start)
    check_size(where, size, "image")
    return size


def _is_pil(value: object) -> bool:
    """Whether ``value`` is a PIL image, without importing PIL (it is never needed otherwise)."""
    return any(cls.__module__.startswith("PIL.") for cls in type(value).__mro__) and hasattr(
        value, "save"
    )


def _pil_bytes(picture: Any) -> bytes:
    kind = "JPEG" if getattr(picture, "format", None) == "JPEG" else "PNG"
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return buffer.getvalue()
