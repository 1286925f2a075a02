"""Check a Chat Completions request before it is sent; every failure names the parameter."""

from __future__ import annotations

import re
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

__all__ = ["check_content", "validate_create_params"]

_ROLES = ("developer", "system", "user", "assistant", "tool", "function")
_REASONING_EFFORTS = ("minimal", "low", "medium", "high")
_VERBOSITIES = ("low", "medium", "high")
_SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")
_MODALITIES = ("text", "audio")
_AUDIO_FORMATS = ("wav", "aac", "mp3", "flac", "opus", "pcm16")
_TOOL_CHOICES = ("none", "auto", "required")
_TOOL_TYPES = ("function", "custom")
_PART_TYPES = {
    "developer": ("text",),
    "system": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
}
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOKEN_ID = re.compile(r"[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)
_STRINGS = {"user": None, "prompt_cache_key": None, "safety_identifier": 64}  # name: max length
_CONTEXT_SIZES = ("low", "medium", "high")

# (low, high) for numeric parameters; None means unbounded on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
    "top_logprobs": (0, 20),
    "n": (1, 128),
    "max_tokens": (1, None),
    "max_completion_tokens": (1, None),
}
_INTEGERS = ("top_logprobs", "n", "max_tokens", "max_completion_tokens", "seed")
_CHOICES: dict[str, tuple[str, ...]] = {
    "reasoning_effort": _REASONING_EFFORTS,
    "verbosity": _VERBOSITIES,
    "service_tier": _SERVICE_TIERS,
}
_BOOLEANS = ("logprobs", "parallel_tool_calls", "store", "stream")


def validate_create_params(params: Mapping[str, Any]) -> None:
    """Raise ``InvalidParameterError`` for the first invalid parameter of a create request.

    ``params`` holds only what the caller passed (``NOT_GIVEN`` already removed); ``None`` is an
    explicit JSON null and is left to the server. Values sent through ``extra_body`` are not
    checked, so a caller can always send what this validator does not know.
    """
    model = params.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidParameterError("model", f"must be a non-empty string, got {model!r}")
    _check_messages(params.get("messages"))
    for name, (low, high) in _RANGES.items():
        value = params.get(name)
        if value is not None:
            _check_number(name, value, low, high, integer=name in _INTEGERS)
    seed = params.get("seed")
    if seed is not None:
        _check_number("seed", seed, *_INT64, integer=True)
    for name, choices in _CHOICES.items():
        value = params.get(name)
        if value is not None and value not in choices:
            raise InvalidParameterError(name, f"got {value!r}", allowed=choices)
    for name in _BOOLEANS:
        value = params.get(name)
        if value is not None and not isinstance(value, bool):
            raise InvalidParameterError(name, f"must be a bool, got {value!r}")
    if params.get("top_logprobs") is not None and params.get("logprobs") is not True:
        raise InvalidParameterError("top_logprobs", "requires logprobs=True")
    if params.get("stream_options") is not None and params.get("stream") is not True:
        raise InvalidParameterError("stream_options", "is only allowed with stream=True")
    _check_stop(params.get("stop"))
    _check_logit_bias(params.get("logit_bias"))
    _check_metadata(params.get("metadata"))
    _check_modalities(params.get("modalities"), params.get("audio"))
    _check_tools(params.get("tools"))
    _check_tool_choice(params.get("tool_choice"))
    _check_options(params)


def _check_number(
    name: str, value: object, low: float | None, high: float | None, *, integer: bool
) -> None:
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type:
        raise InvalidParameterError(name, f"must be {kind}, got {value!r}")
    assert isinstance(value, (int, float))
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f">= {low}"
        raise InvalidParameterError(name, f"{value!r} is out of range", allowed=span)


def _check_messages(messages: object) -> None:
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
            _check_field(where, value, key, str)
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


def _check_stop(stop: object) -> None:
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, (list, tuple)) or not all(isinstance(s, str) for s in stop):
        raise InvalidParameterError("stop", "must be a string or a list of strings")
    if not stop:
        raise InvalidParameterError("stop", "an empty list", allowed="a string or 1 to 4 strings")
    if len(stop) > 4:
        raise InvalidParameterError("stop", f"got {len(stop)} sequences", allowed="at most 4")


def _check_logit_bias(bias: object) -> None:
    if bias is None:
        return
    if not isinstance(bias, Mapping):
        raise InvalidParameterError("logit_bias", "must map token ids to biases")
    for token, value in bias.items():
        if isinstance(token, bool) or not _TOKEN_ID.fullmatch(str(token)):
            raise InvalidParameterError("logit_bias", f"key {token!r} is not a token id")
        _check_number(f"logit_bias[{token}]", value, -100, 100, integer=True)


def _check_metadata(metadata: object) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise InvalidParameterError("metadata", "must be a dict of strings")
    if len(metadata) > 16:
        raise InvalidParameterError("metadata", f"has {len(metadata)} keys", allowed="at most 16")
    for key, value in metadata.items():
        if not isinstance(key, str) or len(key) > 64:
            raise InvalidParameterError("metadata", f"key {key!r} must be a string of <= 64 chars")
        if not isinstance(value, str) or len(value) > 512:
            raise InvalidParameterError(
                f"metadata[{key!r}]", "must be a string of <= 512 characters"
            )


def _check_modalities(modalities: object, audio: object) -> None:
    if modalities is not None:
        if not isinstance(modalities, (list, tuple)) or not all(
            m in _MODALITIES for m in modalities
        ):
            raise InvalidParameterError("modalities", f"got {modalities!r}", allowed=_MODALITIES)
        if "audio" in modalities and not isinstance(audio, Mapping):
            raise InvalidParameterError(
                "audio",
                'is required when modalities include "audio" ({"voice": ..., "format": ...})',
            )
    if audio is not None and not isinstance(audio, Mapping):
        raise InvalidParameterError(
            "audio", f"must be a dict, got {audio!r}", allowed="{'voice': ..., 'format': ...}"
        )
    if isinstance(audio, Mapping):
        if audio.get("format") not in _AUDIO_FORMATS:
            raise InvalidParameterError(
                "audio.format", f"got {audio.get('format')!r}", allowed=_AUDIO_FORMATS
            )
        if not isinstance(audio.get("voice"), str):
            raise InvalidParameterError("audio.voice", "must name a voice, e.g. 'alloy'")


def _check_tools(tools: object) -> None:
    if tools is None:
        return
    if not isinstance(tools, (list, tuple)):
        raise InvalidParameterError("tools", "must be a list of tool dicts")
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if kind not in ("function", "custom"):
            raise InvalidParameterError(
                f"{where}.type", f"got {kind!r}", allowed=("function", "custom")
            )
        assert isinstance(tool, Mapping)
        spec = tool.get(kind)
        if not isinstance(spec, Mapping):
            raise InvalidParameterError(f"{where}.{kind}", "must be a dict with a name")
        name = spec.get("name")
        if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
            raise InvalidParameterError(
                f"{where}.{kind}.name", f"got {name!r}", allowed="1-64 of a-z, A-Z, 0-9, _ and -"
            )
        parameters = spec.get("parameters")
        if kind == "function" and parameters is not None and not isinstance(parameters, Mapping):
            raise InvalidParameterError(
                f"{where}.function.parameters", "must be a JSON schema dict"
            )
        _check_field(f"{where}.{kind}", spec, "description", str)
        _check_field(f"{where}.{kind}", spec, "strict", bool, nullable=True)
        if kind == "custom" and spec.get("format") is not None:
            _check_custom_format(f"{where}.custom.format", spec["format"])


def _check_tool_choice(choice: object) -> None:
    if choice is None or choice in _TOOL_CHOICES:
        return
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if isinstance(choice, Mapping) and kind in ("function", "custom"):
        named = choice.get(kind)
        if not isinstance(named, Mapping) or not isinstance(named.get("name"), str):
            raise InvalidParameterError(
                f"tool_choice.{kind}", f"must name the tool: {{'name': ...}}, got {named!r}"
            )
        return
    if isinstance(choice, Mapping) and kind == "allowed_tools":
        allowed = choice.get("allowed_tools")
        tools = allowed.get("tools") if isinstance(allowed, Mapping) else None
        if (
            not isinstance(allowed, Mapping)
            or allowed.get("mode") not in ("auto", "required")
            or not isinstance(tools, (list, tuple))
            or not all(isinstance(tool, Mapping) for tool in tools)
        ):
            raise InvalidParameterError(
                "tool_choice.allowed_tools",
                f"got {allowed!r}",
                allowed="{'mode': 'auto' or 'required', 'tools': [{...}, ...]}",
            )
        return
    raise InvalidParameterError(
        "tool_choice",
        f"got {choice!r}",
        allowed='"none", "auto", "required", {"type": "function", "function": {"name": ...}}',
    )


# -- the rest of the parameters, as the API's schema has them ----------------------------------


def _check_field(
    where: str, holder: Mapping[str, Any], key: str, kind: type, *, nullable: bool = False
) -> None:
    """``holder[key]`` is absent, or of ``kind`` (a bool only where a bool is wanted), or null
    where the API allows it."""
    if key not in holder or (nullable and holder[key] is None):
        return
    value = holder[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        what = {str: "a string", bool: "true or false"}.get(kind, "a dict")
        raise InvalidParameterError(f"{where}.{key}", f"must be {what}, got {value!r}")


def _check_message_fields(where: str, message: Mapping[str, Any]) -> None:
    """The fields of a message besides its role and content."""
    _check_field(where, message, "name", str)
    _check_field(where, message, "refusal", str, nullable=True)
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


def _check_custom_format(where: str, value: object) -> None:
    if isinstance(value, Mapping):
        grammar = value.get("grammar")
        if value.get("type") == "text" and len(value) == 1:
            return
        if (
            value.get("type") == "grammar"
            and set(value) == {"type", "grammar"}
            and isinstance(grammar, Mapping)
            and isinstance(grammar.get("definition"), str)
            and grammar.get("syntax") in ("lark", "regex")
        ):
            return
    raise InvalidParameterError(
        where,
        f"got {value!r}",
        allowed="{'type': 'text'} or {'type': 'grammar', 'grammar': {'definition', 'syntax'}}",
    )


def _check_options(params: Mapping[str, Any]) -> None:
    """Strings, stream options, prediction, web search and the deprecated functions."""
    for name, longest in _STRINGS.items():
        value = params.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameterError(name, f"must be a string, got {value!r}")
        if longest is not None and isinstance(value, str) and len(value) > longest:
            raise InvalidParameterError(
                name, f"has {len(value)} characters", allowed=f"<= {longest}"
            )
    options = params.get("stream_options")
    if options is not None:
        if not isinstance(options, Mapping):
            raise InvalidParameterError(
                "stream_options", "must be a dict, e.g. {'include_usage': True}"
            )
        for key in ("include_usage", "include_obfuscation"):
            _check_field("stream_options", options, key, bool)
    _check_prediction(params.get("prediction"))
    _check_web_search(params.get("web_search_options"))
    functions = params.get("functions")
    if functions is not None:
        if not isinstance(functions, (list, tuple)) or not 1 <= len(functions) <= 128:
            raise InvalidParameterError("functions", "must be a list of 1 to 128 function dicts")
        for i, function in enumerate(functions):
            if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
                raise InvalidParameterError(f"functions[{i}]", "must be a dict with a name")
            _check_field(f"functions[{i}]", function, "description", str)
            _check_field(f"functions[{i}]", function, "parameters", Mapping)
    call = params.get("function_call")
    if (
        call is not None
        and call not in ("none", "auto")
        and not (isinstance(call, Mapping) and isinstance(call.get("name"), str))
    ):
        raise InvalidParameterError(
            "function_call", f"got {call!r}", allowed="'none', 'auto' or {'name': ...}"
        )


def _check_prediction(value: object) -> None:
    """Raise ``InvalidParameterError`` unless ``value`` is None or a predicted output:
    ``{'type': 'content', 'content': str or a non-empty list of text parts}``."""
    if value is None:
        return
    content = value.get("content") if isinstance(value, Mapping) else None
    ok_content = isinstance(content, str) or (
        isinstance(content, (list, tuple))
        and bool(content)
        and all(
            isinstance(p, Mapping) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    )
    if not isinstance(value, Mapping) or value.get("type") != "content" or not ok_content:
        raise InvalidParameterError(
            "prediction",
            f"got {value!r}",
            allowed="{'type': 'content', 'content': str or a list of text parts}",
        )


def _check_web_search(options: object) -> None:
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise InvalidParameterError("web_search_options", f"must be a dict, got {options!r}")
    size = options.get("search_context_size", "medium")
    if size not in _CONTEXT_SIZES:
        raise InvalidParameterError(
            "web_search_options.search_context_size", f"got {size!r}", allowed=_CONTEXT_SIZES
        )
    location = options.get("user_location")
    if location is None:
        return
    place = location.get("approximate") if isinstance(location, Mapping) else None
    if (
        not isinstance(location, Mapping)
        or location.get("type") != "approximate"
        or not isinstance(place, Mapping)
        or not all(
            isinstance(place[key], str)
            for key in ("city", "country", "region", "timezone")
            if key in place
        )
    ):
        raise InvalidParameterError(
            "web_search_options.user_location",
            f"got {location!r}",
            allowed="{'type': 'approximate', 'approximate': {'city': ..., 'country': ...}}",
        )
