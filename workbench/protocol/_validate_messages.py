"""A request's messages checked: roles, content parts, their media and the per-request limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ..media import (
    AUDIO_FORMATS,
    DETAILS,
    FILES_MAX_TOTAL,
    IMAGES_MAX_COUNT,
    IMAGES_MAX_TOTAL,
    base64_size,
    check_image_url,
    check_size,
    data_url,
)
from ._validate_fields import check_field

__all__ = ["check_content", "check_messages"]

_ROLES = ("developer", "system", "user", "assistant", "tool", "function")
_TOOL_TYPES = ("function", "custom")
_PART_TYPES = {
    "developer": ("text",),
    "system": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
}
_RESPONSES_PARTS = {  # the Responses API's content part: Chat Completions' name for it
    "input_text": "text",
    "output_text": "text",
    "input_image": "image_url",
    "input_file": "file",
}


def check_messages(messages: object) -> None:
    """Raise ``InvalidParameterError`` for the first invalid message of ``messages``."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, (list, tuple)):
        raise InvalidParameterError(
            "messages", f"must be a list of message dicts, got {type(messages).__name__}"
        )
    if not messages:
        raise InvalidParameterError("messages", "must hold at least one message")
    media = _Media()
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping):
            raise InvalidParameterError(where, f"must be a dict, got {type(message).__name__}")
        role = message.get("role")
        if role not in _ROLES:
            raise InvalidParameterError(f"{where}.role", f"got {role!r}", allowed=_ROLES)
        content = message.get("content")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise InvalidParameterError(
                f"{where}.tool_call_id",
                "a tool message must name the tool call it answers (a string)",
            )
        if role == "function" and not isinstance(message.get("name"), str):
            raise InvalidParameterError(f"{where}.name", "a function message needs a name")
        if role == "function" and not isinstance(message.get("content", 0), (str, type(None))):
            raise InvalidParameterError(f"{where}.content", "must be a string or None")
        _check_message_fields(where, message)
        if role == "assistant":
            # An assistant message may omit content only when it carries a call, audio or refusal.
            carries = ("tool_calls", "function_call", "audio", "refusal")
            if content is None and not any(message.get(key) for key in carries):
                raise InvalidParameterError(
                    f"{where}.content", "needs content, tool_calls, function_call or audio"
                )
            _check_audio_reference(where, message.get("audio"))
        elif role != "function" and content is None:
            raise InvalidParameterError(f"{where}.content", "is required for this role")
        if content is not None and not isinstance(content, str):
            _check_parts(f"{where}.content", content, _PART_TYPES.get(str(role), ("text",)), media)
    media.check()


def check_content(role: str, content: object, where: str = "content") -> None:
    """Raise ``InvalidParameterError`` unless ``content`` is valid for a message of ``role``:
    the checks a request makes of each message's parts (types, formats, sizes), with errors
    named from ``where``."""
    if not isinstance(content, str):
        media = _Media()
        _check_parts(where, content, _PART_TYPES.get(role, ("text",)), media)
        media.check()


class _Media:
    """The media of one request, counted against the API's per-request limits."""

    __slots__ = ("file_bytes", "image_bytes", "images")

    def __init__(self) -> None:
        self.images = self.image_bytes = self.file_bytes = 0

    def check(self) -> None:
        if self.images > IMAGES_MAX_COUNT or self.image_bytes > IMAGES_MAX_TOTAL:
            raise InvalidParameterError(
                "messages",
                f"{self.images} images of {self.image_bytes:,} bytes in one request",
                allowed="up to 500 images and 50 MB of image data per request",
            )
        if self.file_bytes > FILES_MAX_TOTAL:
            raise InvalidParameterError(
                "messages",
                f"{self.file_bytes:,} bytes of files in one request",
                allowed="up to 32 MB of files per request",
            )


def _check_parts(where: str, parts: object, allowed: tuple[str, ...], media: _Media) -> None:
    if not isinstance(parts, (list, tuple)):
        raise InvalidParameterError(
            where, f"must be a string or a list of content parts, got {type(parts).__name__}"
        )
    if not parts:
        raise InvalidParameterError(where, "an empty list of parts", allowed="a string or parts")
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if isinstance(kind, str) and kind in _RESPONSES_PARTS and kind not in allowed:
            raise InvalidParameterError(
                f"{where}[{j}].type",
                f"{kind!r} is a Responses API content part; Chat Completions takes"
                f" {_RESPONSES_PARTS[kind]!r}",
                allowed=allowed,
            )
        if kind not in allowed:
            raise InvalidParameterError(f"{where}[{j}].type", f"got {kind!r}", allowed=allowed)
        assert isinstance(part, Mapping)
        if kind not in part:
            raise InvalidParameterError(f"{where}[{j}]", f"a {kind!r} part needs a {kind!r} key")
        if kind != "text" or not isinstance(part["text"], str):
            _check_part(f"{where}[{j}].{kind}", str(kind), part[kind], media)


def _check_part(where: str, kind: str, value: object, media: _Media) -> None:
    """The inside of a part: a string for text; for media, formats and the API's size limits."""
    if kind in ("text", "refusal"):
        if not isinstance(value, str):
            raise InvalidParameterError(where, f"must be a string, got {type(value).__name__}")
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(where, f"must be a dict, got {type(value).__name__}")
    if kind == "image_url":
        url, detail = value.get("url"), value.get("detail")
        if not isinstance(url, str) or not url:
            raise InvalidParameterError(
                f"{where}.url", "must be the image's URL or a data: URL (see workbench.image)"
            )
        if detail is not None and detail not in DETAILS:
            raise InvalidParameterError(f"{where}.detail", f"got {detail!r}", allowed=DETAILS)
        media.images += 1
        media.image_bytes += check_image_url(url, f"{where}.url")
    elif kind == "input_audio":
        data, audio_format = value.get("data"), value.get("format")
        if audio_format not in AUDIO_FORMATS:
            raise InvalidParameterError(
                f"{where}.format", f"got {audio_format!r}", allowed=AUDIO_FORMATS
            )
        if not isinstance(data, str):
            raise InvalidParameterError(f"{where}.data", "must be the recording, base64-encoded")
        check_size(f"{where}.data", base64_size(data), "audio")
    elif kind == "file":
        data, file_id = value.get("file_data"), value.get("file_id")
        if not isinstance(data, str) and not isinstance(file_id, str):
            raise InvalidParameterError(
                where, "needs file_data (base64) or file_id (an uploaded file's id)"
            )
        for key in ("filename", "file_data", "file_id"):
            check_field(where, value, key, str)
        if isinstance(data, str):
            info = data_url(data)
            media.file_bytes += base64_size(data, info[2] if info else 0)


def _check_audio_reference(where: str, audio: object) -> None:
    """An assistant message refers to an earlier spoken reply by its id alone."""
    if audio is not None and not (isinstance(audio, Mapping) and isinstance(audio.get("id"), str)):
        raise InvalidParameterError(
            f"{where}.audio",
            f"must name an earlier audio reply by id, got {audio!r}",
            allowed="{'id': 'audio_...'}",
        )


def _check_message_fields(where: str, message: Mapping[str, Any]) -> None:
    """The fields of a message besides its role and content."""
    check_field(where, message, "name", str)
    check_field(where, message, "refusal", str, nullable=True)
    calls = message.get("tool_calls", ())
    if not isinstance(calls, (list, tuple)):
        raise InvalidParameterError(f"{where}.tool_calls", f"must be a list, got {calls!r}")
    for k, call in enumerate(calls):
        at = f"{where}.tool_calls[{k}]"
        kind = call.get("type") if isinstance(call, Mapping) else None
        if kind not in _TOOL_TYPES:
            raise InvalidParameterError(f"{at}.type", f"got {kind!r}", allowed=_TOOL_TYPES)
        assert isinstance(call, Mapping)
        body = call.get(kind)
        fields = ("name", "arguments") if kind == "function" else ("name", "input")
        if not isinstance(call.get("id"), str) or not isinstance(body, Mapping):
            raise InvalidParameterError(at, f"needs an id and {kind} {{{', '.join(fields)}}}")
        for field in fields:
            if not isinstance(body.get(field), str):
                raise InvalidParameterError(f"{at}.{kind}.{field}", "must be a string")
    call = message.get("function_call")
    if call is not None and not (
        isinstance(call, Mapping)
        and isinstance(call.get("name"), str)
        and isinstance(call.get("arguments"), str)
    ):
        raise InvalidParameterError(f"{where}.function_call", "needs a name and arguments")
