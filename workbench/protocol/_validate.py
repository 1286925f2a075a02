"""Check a Chat Completions request before it is sent; every failure names the parameter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ._validate_fields import (
    check_booleans,
    check_choices,
    check_field,
    check_number,
    check_strings,
)
from ._validate_messages import check_content, check_messages
from ._validate_tools import check_tool_choice, check_tools

__all__ = ["check_content", "check_metadata", "validate_create_params"]

_REASONING_EFFORTS = ("minimal", "low", "medium", "high")
_VERBOSITIES = ("low", "medium", "high")
_SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")
_MODALITIES = ("text", "audio")
_AUDIO_FORMATS = ("wav", "aac", "mp3", "flac", "opus", "pcm16")
_TOKEN_ID = re.compile(r"[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)
_STRINGS: dict[str, int | None] = {  # name: max length
    "user": None,
    "prompt_cache_key": None,
    "safety_identifier": 64,
}
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
    check_messages(params.get("messages"))
    for name, (low, high) in _RANGES.items():
        value = params.get(name)
        if value is not None:
            check_number(name, value, low, high, integer=name in _INTEGERS)
    seed = params.get("seed")
    if seed is not None:
        check_number("seed", seed, *_INT64, integer=True)
    check_choices(params, _CHOICES)
    check_booleans(params, _BOOLEANS)
    if params.get("top_logprobs") is not None and params.get("logprobs") is not True:
        raise InvalidParameterError("top_logprobs", "requires logprobs=True")
    if params.get("stream_options") is not None and params.get("stream") is not True:
        raise InvalidParameterError("stream_options", "is only allowed with stream=True")
    _check_stop(params.get("stop"))
    _check_logit_bias(params.get("logit_bias"))
    check_metadata(params.get("metadata"))
    _check_modalities(params.get("modalities"), params.get("audio"))
    check_tools(params.get("tools"))
    check_tool_choice(params.get("tool_choice"))
    _check_options(params)


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
        check_number(f"logit_bias[{token}]", value, -100, 100, integer=True)


def check_metadata(metadata: object) -> None:
    """At most 16 pairs of strings, keys <= 64 characters, values <= 512; None passes."""
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


# -- the rest of the parameters, as the API's schema has them ----------------------------------


def _check_options(params: Mapping[str, Any]) -> None:
    """Strings, stream options, prediction, web search and the deprecated functions."""
    check_strings(params, _STRINGS)
    options = params.get("stream_options")
    if options is not None:
        if not isinstance(options, Mapping):
            raise InvalidParameterError(
                "stream_options", "must be a dict, e.g. {'include_usage': True}"
            )
        for key in ("include_usage", "include_obfuscation"):
            check_field("stream_options", options, key, bool)
    _check_prediction(params.get("prediction"))
    _check_web_search(params.get("web_search_options"))
    functions = params.get("functions")
    if functions is not None:
        if not isinstance(functions, (list, tuple)) or not 1 <= len(functions) <= 128:
            raise InvalidParameterError("functions", "must be a list of 1 to 128 function dicts")
        for i, function in enumerate(functions):
            if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
                raise InvalidParameterError(f"functions[{i}]", "must be a dict with a name")
            check_field(f"functions[{i}]", function, "description", str)
            check_field(f"functions[{i}]", function, "parameters", Mapping)
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
