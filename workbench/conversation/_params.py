"""ChatParams: the sampling and output parameters a conversation sends, validated on assignment.

Every rule comes from the client's own validator (``_validate.validate_create_params``) and from
``_schema.type_to_response_format``, so ``params.temperature = 3`` fails here with the very
message ``client.chat.completions.create(temperature=3)`` would raise, before anything is sent.

When rules are checked:

* **Per field, at once** (construction, assignment, ``merged``): the field's own type, range or
  choices. A failed assignment leaves the old value in place.
* **Across fields, at** ``to_request()``: ``top_logprobs`` needs ``logprobs=True``; modalities
  that include ``"audio"`` need ``audio``. Checking these later lets a user set the fields one at
  a time in any order (``top_logprobs`` before ``logprobs``, ``modalities`` before ``audio``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import pydantic
from pydantic import ConfigDict, Field, PrivateAttr, SkipValidation
from typing_extensions import override

from .._exceptions import InvalidParameterError
from ..protocol._schema import ResponseFormatInput, is_type_like, type_to_response_format
from ..protocol._validate import (
    _AUDIO_FORMATS,
    _BOOLEANS,
    _CHOICES,
    _INTEGERS,
    _MODALITIES,
    _RANGES,
    validate_create_params,
)
from ..protocol._validate_tools import _TOOL_CHOICES
from ..types.params import (
    ChatCompletionAudioParam,
    ChatCompletionModality,
    ChatCompletionPredictionContentParam,
    ChatCompletionToolChoiceOptionParam,
)

__all__ = ["ChatParams"]

# A request that is valid on its own, so a probe through the validator can only fail on the
# parameter under test.
_PROBE: dict[str, Any] = {"model": "probe", "messages": [{"role": "user", "content": "x"}]}
# What another field must hold for a value to be judged on its own (the cross-field rules are
# checked at to_request() time instead).
_PREREQUISITES: dict[str, dict[str, Any]] = {
    "top_logprobs": {"logprobs": True},
    "modalities": {"audio": {"voice": "alloy", "format": _AUDIO_FORMATS[0]}},
}


class ChatParams(pydantic.BaseModel):
    """The parameters of a chat turn; ``None`` means "not set: use the server default".

    A field that is ``None`` is left out of the request (never sent as an explicit ``null``), so
    ``params.temperature = None`` returns the temperature to the server's default.

    Invalid values raise ``InvalidParameterError`` (also a ``ValueError``) naming the parameter
    and the allowed values, at construction and on assignment; see the module docstring for
    which rules wait until ``to_request()``.

    Example:
        >>> params = ChatParams(model="gpt-4o-mini", temperature=0.2)
        >>> params.max_completion_tokens = 256
        >>> params.to_request(temperature=0)
        {'model': 'gpt-4o-mini', 'temperature': 0, 'max_completion_tokens': 256}
    """

    # Pydantic holds the fields; the checks are the client's (see _check_field), so pydantic's
    # own validation is skipped: it would coerce ("0.5" -> 0.5) and word errors differently.
    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    model: SkipValidation[str | None] = Field(None, description="The model to ask.")
    temperature: SkipValidation[float | None] = Field(
        None, description="Sampling temperature: higher is more random."
    )
    top_p: SkipValidation[float | None] = Field(
        None, description="Nucleus sampling: the probability mass of tokens to consider."
    )
    max_completion_tokens: SkipValidation[int | None] = Field(
        None, description="Upper bound on generated tokens, reasoning tokens included."
    )
    max_tokens: SkipValidation[int | None] = Field(
        None,
        description=(
            "Upper bound on generated tokens, the older parameter: some servers (llama.cpp's)"
            " honour only this one."
        ),
    )
    reasoning_effort: SkipValidation[Literal["minimal", "low", "medium", "high"] | None] = Field(
        None, description="How much a reasoning model thinks before answering."
    )
    verbosity: SkipValidation[Literal["low", "medium", "high"] | None] = Field(
        None, description="How long and detailed the answer should be."
    )
    response_format: SkipValidation[ResponseFormatInput | None] = Field(
        None,
        description=(
            "Structured output: a pydantic model class, a JSON schema dict, an API"
            " response_format dict, 'json_object' or 'text'."
        ),
    )
    seed: SkipValidation[int | None] = Field(
        None, description="Best-effort deterministic sampling."
    )
    stop: SkipValidation[str | list[str] | None] = Field(
        None, description="Up to 4 sequences where generation stops."
    )
    n: SkipValidation[int | None] = Field(None, description="How many choices to generate.")
    presence_penalty: SkipValidation[float | None] = Field(
        None, description="Penalise tokens that already appeared (new topics)."
    )
    frequency_penalty: SkipValidation[float | None] = Field(
        None, description="Penalise tokens by how often they appeared (repetition)."
    )
    logit_bias: SkipValidation[Mapping[str, int] | Mapping[int, int] | None] = Field(
        None, description="Token id -> bias from -100 to 100 added to its logit."
    )
    logprobs: SkipValidation[bool | None] = Field(
        None, description="Return the log probabilities of the output tokens."
    )
    top_logprobs: SkipValidation[int | None] = Field(
        None, description="How many most likely tokens to return per position; needs logprobs."
    )
    tool_choice: SkipValidation[ChatCompletionToolChoiceOptionParam | None] = Field(
        None, description="'none', 'auto', 'required' or a named tool to force."
    )
    parallel_tool_calls: SkipValidation[bool | None] = Field(
        None, description="Allow several tool calls in one reply."
    )
    service_tier: SkipValidation[Literal["auto", "default", "flex", "scale", "priority"] | None] = (
        Field(None, description="The processing tier to serve the request.")
    )
    modalities: SkipValidation[list[ChatCompletionModality] | None] = Field(
        None, description="Output modalities; 'audio' needs the audio parameter."
    )
    audio: SkipValidation[ChatCompletionAudioParam | None] = Field(
        None, description="Audio output settings: {'voice': ..., 'format': ...}."
    )
    prediction: SkipValidation[ChatCompletionPredictionContentParam | None] = Field(
        None, description="Predicted output, to speed up regenerating mostly known text."
    )
    store: SkipValidation[bool | None] = Field(
        None, description="Store the completion for later retrieval (stored completions)."
    )
    metadata: SkipValidation[dict[str, str] | None] = Field(
        None, description="Up to 16 string key/value pairs stored with the completion."
    )

    extra_body: SkipValidation[dict[str, Any] | None] = Field(
        None,
        description=(
            "JSON fields merged into the request body as they are, for what a server takes"
            " beyond the API (top_k, repeat_penalty, ...); not checked."
        ),
    )

    _watchers: list[Callable[[str], None]] = PrivateAttr(default_factory=list)

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            _check_field(name, value)
        try:
            super().__init__(**values)
        except pydantic.ValidationError as exc:  # defensive: the checks above should catch all
            raise _translate(exc) from None

    @override
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return
        _check_field(name, value)
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as exc:
            raise _translate(exc) from None
        for watcher in list(self._watchers):
            watcher(name)

    @override
    def __eq__(self, other: object) -> bool:
        """Equal when the same fields hold the same values (watchers do not count)."""
        if not isinstance(other, ChatParams):
            return NotImplemented
        return dict(self._set_items()) == dict(other._set_items())

    __hash__ = None  # type: ignore[assignment]

    def watch(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(name)`` after each successful assignment; returns the unwatch."""
        self._watchers.append(callback)

        def unwatch() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return unwatch

    def to_request(self, **overrides: Any) -> dict[str, Any]:
        """The keyword arguments for ``client.chat.completions.create``, without ``messages``.

        Args:
            **overrides: parameters for this one turn (validated like assignment, not kept);
                ``None`` drops a parameter for the turn.

        Returns:
            Only the set fields, ``model`` included when set; ``response_format`` as given (the
            client converts a pydantic class or JSON schema itself).

        Raises:
            InvalidParameterError: for an invalid override or a broken cross-field rule.
        """
        params = self.merged(**overrides) if overrides else self
        request = {name: value for name, value in params._set_items()}
        if "response_format" in request:
            type_to_response_format(request["response_format"])
        # The whole request through the client's validator: the cross-field rules, and any value
        # mutated in place since it was assigned (params.stop.append(...)).
        validate_create_params({**_PROBE, **request, "messages": _PROBE["messages"]})
        return request

    def merged(self, **overrides: Any) -> ChatParams:
        """A validated copy with ``overrides`` applied (``None`` unsets a field)."""
        return type(self)(**{**dict(self._set_items()), **overrides})

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe dict of the set fields, for storing with each message.

        A type given as ``response_format`` (such as a pydantic model class) is stored as the
        ``json_schema`` response format it becomes: its name and strict schema.
        """
        return {name: _jsonable(name, value) for name, value in self._set_items()}

    @classmethod
    def fields_info(cls) -> dict[str, dict[str, Any]]:
        """Describe each parameter, for building controls: kind, range or choices, description.

        Each entry has ``type`` (``number``, ``integer``, ``boolean``, ``choice``, ``string``,
        ``strings``, ``multichoice``, ``object`` or ``response_format``), ``description`` and
        ``default`` (``None``: not set), plus ``range`` (``[low, high]``, ``None`` for
        unbounded) for numbers and ``choices`` where the values are a fixed set.
        """
        info: dict[str, dict[str, Any]] = {}
        for name, field in cls.model_fields.items():
            entry: dict[str, Any] = {"type": _kind(name), "description": field.description}
            if name in _RANGES:
                entry["range"] = list(_RANGES[name])
            if name in _CHOICES:
                entry["choices"] = list(_CHOICES[name])
            entry.update(_EXTRA_INFO.get(name, {}))
            entry["default"] = None
            info[name] = entry
        return info

    @override
    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in self._set_items():
            yield name, _Named(value) if is_type_like(value) else value

    def _set_items(self) -> Iterator[tuple[str, Any]]:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                yield name, value


class _Named:
    """Shows a class by its name in a repr: ``response_format=Person``."""

    def __init__(self, value: object) -> None:
        self.value = value

    @override
    def __repr__(self) -> str:
        return str(getattr(self.value, "__qualname__", None) or self.value)


_KINDS: dict[str, str] = {
    **dict.fromkeys(_RANGES, "number"),
    **dict.fromkeys(_INTEGERS, "integer"),
    **dict.fromkeys(_BOOLEANS, "boolean"),
    **dict.fromkeys(_CHOICES, "choice"),
    "model": "string",
    "stop": "strings",
    "modalities": "multichoice",
    "response_format": "response_format",
}
# What the validator enforces inline, without a constant to import; kept in step by the tests.
_EXTRA_INFO: dict[str, dict[str, Any]] = {
    "modalities": {"choices": list(_MODALITIES)},
    "audio": {"choices": {"format": list(_AUDIO_FORMATS)}},
    "tool_choice": {"choices": list(_TOOL_CHOICES)},
    "stop": {"max_items": 4},
    "logit_bias": {"range": [-100, 100]},
    "metadata": {"max_items": 16, "max_key_length": 64, "max_value_length": 512},
    "response_format": {"choices": ["text", "json_object"]},
}


def _kind(name: str) -> str:
    return _KINDS.get(name, "object")


_VALID: set[tuple[str, type, object]] = set()
"""Scalar values found valid, by field. Checking one runs the whole request validator (12-16 us)
and a grid builds two ``ChatParams`` a cell from the same few values; validity depends on the
name and the value alone."""
_SCALARS = (str, int, float, bool)


def _check_field(name: str, value: object) -> None:
    """Raise ``InvalidParameterError`` unless ``value`` may be assigned to field ``name``."""
    known = (name, type(value), value) if type(value) in _SCALARS else None
    if known is not None and known in _VALID:
        return
    _check_new_field(name, value)
    if known is not None and len(_VALID) < 1024:
        _VALID.add(known)


def _check_new_field(name: str, value: object) -> None:
    if name not in ChatParams.model_fields:
        raise InvalidParameterError(
            name, "is not a chat parameter", allowed=tuple(ChatParams.model_fields)
        )
    if value is None:
        return
    if name == "response_format":
        type_to_response_format(value)  # type: ignore[arg-type]
        if is_type_like(value):
            return  # a class: its schema, made by pydantic, is JSON
    elif name == "extra_body":
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise InvalidParameterError(
                "extra_body", f"must be a dict with string keys, got {value!r}"
            )
    else:
        validate_create_params({**_PROBE, **_PREREQUISITES.get(name, {}), name: value})
    try:  # the client refuses what JSON cannot carry (NaN, sets, bytes): refuse it here too
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidParameterError(name, f"cannot be sent as JSON ({exc})") from None


def _translate(exc: pydantic.ValidationError) -> InvalidParameterError:
    error = exc.errors()[0]
    name = ".".join(str(part) for part in error["loc"]) or "params"
    return InvalidParameterError(name, error["msg"])


def _jsonable(name: str, value: Any) -> Any:
    if name == "response_format" and not isinstance(value, (str, Mapping)):
        return _jsonable("", type_to_response_format(value))
    if isinstance(value, Mapping):
        return {str(key): _jsonable("", item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable("", item) for item in value]
    if isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)  # not reachable for validated values; a log must never fail on one
