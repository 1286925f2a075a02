"""Reading a model grader's definition in OpenAI's JSON shape (``score_model``, ``label_model``):
each key checked before a grid runs, with a ``GraderError`` that names the grader and the key.

The shape (OpenAI's graders guide and API reference)::

    {"type": "score_model", "name": ..., "model": ..., "input": [Message, ...],
     "range": [low, high], "pass_threshold": number,
     "sampling_params": {"temperature", "top_p", "seed", "max_completions_tokens",
                         "reasoning_effort"}}
    {"type": "label_model", "name": ..., "model": ..., "input": [Message, ...],
     "labels": [...], "passing_labels": [...]}

A message is ``{"role": "system" | "developer" | "user" | "assistant", "content": ...}`` (an
optional ``"type": "message"``), its content a string, one content part or a list of them
(``input_text``, ``output_text``, ``input_image``, ``input_audio``); any text in it may hold
``{{ item.* }}`` / ``{{ sample.* }}`` templates. ``max_completions_tokens`` is spelled as OpenAI
spells it in ``sampling_params``; it is sent to the judge as ``max_completion_tokens``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._grading import GraderError
from ._templates import template_references

__all__ = ["JudgeDefinition", "read_judge", "read_labels", "read_range", "read_threshold"]

ROLES = ("system", "developer", "user", "assistant")
PART_TYPES = ("input_text", "output_text", "input_image", "input_audio")
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SAMPLING_PARAMS = ("temperature", "top_p", "seed", "max_completions_tokens", "reasoning_effort")
COMMON_KEYS = ("type", "name", "model", "input")


@dataclass(frozen=True, slots=True)
class JudgeDefinition:
    """What both model graders read from a definition.

    Attributes:
        name: the grader's name.
        model: the judge model.
        messages: the prompt as Chat Completions messages, templates not yet filled.
        params: the sampling parameters under their Chat Completions names.
        references: the ``item`` columns the templates read.
    """

    name: str
    model: str
    messages: tuple[dict[str, Any], ...]
    params: dict[str, Any]
    references: frozenset[str]


def read_judge(definition: Mapping[str, Any], kind: str, keys: tuple[str, ...]) -> JudgeDefinition:
    """The common part of a ``kind`` definition, after checking its keys are ``keys``.

    Raises:
        GraderError: a key that is missing, unknown or malformed, naming the grader and the key.
    """
    if not isinstance(definition, Mapping):
        raise GraderError(kind, f"a {kind} grader is a dict, not {type(definition).__name__}")
    raw_name = definition.get("name")
    name = raw_name if isinstance(raw_name, str) and raw_name else kind
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise GraderError(name, "name is required: a non-empty string")
    unknown = sorted(str(key) for key in definition if key not in keys)
    if unknown:
        raise GraderError(name, f"unknown key {unknown[0]!r} in a {kind} grader", allowed=keys)
    if definition.get("type", kind) != kind:
        raise GraderError(name, f"type is {definition.get('type')!r}, not {kind!r}")
    model = definition.get("model")
    if not isinstance(model, str) or not model.strip():
        raise GraderError(name, "model is required: the judge model's name, a non-empty string")
    messages, references = _read_input(definition.get("input"), name)
    params = _read_sampling(definition.get("sampling_params"), name)
    return JudgeDefinition(name, model, messages, params, frozenset(references))


def _read_input(raw: Any, name: str) -> tuple[tuple[dict[str, Any], ...], set[str]]:
    if not isinstance(raw, (list, tuple)) or not raw:
        raise GraderError(name, "input is required: a non-empty list of messages")
    messages: list[dict[str, Any]] = []
    references: set[str] = set()
    for index, message in enumerate(raw):
        where = f"input[{index}]"
        if not isinstance(message, Mapping):
            raise GraderError(name, f"{where} is not a message: a dict with role and content")
        extra = sorted(str(key) for key in message if key not in ("role", "content", "type"))
        if extra or message.get("type", "message") != "message":
            bad = extra[0] if extra else "type"
            raise GraderError(name, f"{where}.{bad} is not a message key", allowed=_MESSAGE_KEYS)
        role = message.get("role")
        if role not in ROLES:
            raise GraderError(name, f"{where}.role is {role!r}", allowed=ROLES)
        content = _read_content(message.get("content"), name, f"{where}.content", references)
        messages.append({"role": role, "content": content})
    return tuple(messages), references


_MESSAGE_KEYS = "role, content, type ('message')"


def _read_content(raw: Any, name: str, where: str, references: set[str]) -> Any:
    """The content as Chat Completions takes it: a string for text, else a list of parts."""
    if isinstance(raw, str):
        references |= template_references(raw, name)
        return raw
    parts = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(parts, (list, tuple)) or not parts:
        raise GraderError(name, f"{where} is required: a string or a list of content parts")
    out = [_read_part(part, name, f"{where}[{i}]", references) for i, part in enumerate(parts)]
    if len(out) == 1 and out[0]["type"] == "text":
        return out[0]["text"]
    return out


def _read_part(part: Any, name: str, where: str, references: set[str]) -> dict[str, Any]:
    if isinstance(part, str):
        part = {"type": "input_text", "text": part}
    if not isinstance(part, Mapping) or part.get("type") not in PART_TYPES:
        kind = part.get("type") if isinstance(part, Mapping) else None
        raise GraderError(name, f"{where}.type is {kind!r}", allowed=PART_TYPES)
    kind = part["type"]
    if kind in ("input_text", "output_text"):
        text = _template(part.get("text"), name, f"{where}.text", references)
        return {"type": "text", "text": text}
    if kind == "input_image":
        url = _template(part.get("image_url"), name, f"{where}.image_url", references)
        image = {"url": url, **({"detail": part["detail"]} if part.get("detail") else {})}
        return {"type": "image_url", "image_url": image}
    audio = part.get("input_audio")
    if not isinstance(audio, Mapping):
        raise GraderError(name, f"{where}.input_audio is required: {{data, format}}")
    data = _template(audio.get("data"), name, f"{where}.input_audio.data", references)
    return {"type": "input_audio", "input_audio": {"data": data, "format": audio.get("format")}}


def _template(raw: Any, name: str, where: str, references: set[str]) -> str:
    if not isinstance(raw, str):
        raise GraderError(name, f"{where} is required: a string (it may hold templates)")
    references |= template_references(raw, name)
    return raw


def _read_sampling(raw: Any, name: str) -> dict[str, Any]:
    """``sampling_params`` checked, under the names a Chat Completions request uses."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise GraderError(name, "sampling_params is a dict of sampling parameters")
    params: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"sampling_params.{key}"
        if key not in SAMPLING_PARAMS:
            raise GraderError(name, f"{where} is not a sampling parameter", allowed=SAMPLING_PARAMS)
        if value is None:
            continue
        if key == "reasoning_effort":
            if value not in REASONING_EFFORTS:
                raise GraderError(name, f"{where} is {value!r}", allowed=REASONING_EFFORTS)
        elif key in ("seed", "max_completions_tokens"):
            least = 1 if key == "max_completions_tokens" else None
            if not _is_int(value) or (least is not None and value < least):
                raise GraderError(name, f"{where} is {value!r}: a whole number", allowed=">= 1")
        else:
            top = 2.0 if key == "temperature" else 1.0
            if not _is_number(value) or not 0 <= value <= top:
                raise GraderError(name, f"{where} is {value!r}", allowed=f"0 to {top:g}")
        wire = "max_completion_tokens" if key == "max_completions_tokens" else key
        params[wire] = value
    return params


def read_range(raw: Any, name: str) -> tuple[float, float]:
    """``range``: ``[low, high]`` with low < high; ``[0, 1]`` when left out."""
    if raw is None:
        return (0.0, 1.0)
    ok = isinstance(raw, (list, tuple)) and len(raw) == 2 and all(map(_is_number, raw))
    if not ok or not raw[0] < raw[1]:
        raise GraderError(name, f"range is {raw!r}", allowed="[low, high] with low < high")
    return (float(raw[0]), float(raw[1]))


def read_threshold(raw: Any, name: str, low: float, high: float) -> float | None:
    """``pass_threshold``: a number inside the range, or None."""
    if raw is None:
        return None
    if not _is_number(raw) or not low <= raw <= high:
        raise GraderError(name, f"pass_threshold is {raw!r}", allowed=f"{low:g} to {high:g}")
    return float(raw)


def read_labels(definition: Mapping[str, Any], name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """``labels`` (non-empty, distinct strings) and ``passing_labels`` (a non-empty subset)."""
    labels = definition.get("labels")
    if (
        not isinstance(labels, (list, tuple))
        or not labels
        or not all(isinstance(label, str) and label for label in labels)
    ):
        raise GraderError(name, "labels is required: a non-empty list of strings")
    if len(set(labels)) != len(labels):
        raise GraderError(name, f"labels {list(labels)!r} repeat a label")
    passing = definition.get("passing_labels")
    if not isinstance(passing, (list, tuple)) or not passing:
        raise GraderError(name, "passing_labels is required: a non-empty list", allowed=labels)
    outside = [label for label in passing if label not in labels]
    if outside:
        message = f"passing_labels has {outside[0]!r}, which is not one of the labels"
        raise GraderError(name, message, allowed=labels)
    return tuple(labels), frozenset(passing)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
