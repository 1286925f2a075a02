"""What a model grader asks its judge for, and reading the answer: OpenAI's structured output for
model graders, ``{"steps": [{"description", "conclusion"}, ...], "result": ...}``.

OpenAI's graders guide gives the ``score_model`` judge this response format: ``result`` a number
(the score) and ``steps`` its reasoning steps, "some space to think through the reasoning behind
the score". It publishes none for ``label_model``, whose judge "must support structured
outputs"; workbench asks it for the same shape with ``result`` one of the labels, so both keep
the judge's reasoning. ``steps`` comes first in the schema so a judge writing in order reasons
before it scores. The schema goes in a strict ``json_schema`` ``response_format`` and, for
servers that ignore response formats, in a last system message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "JudgeVerdict",
    "ReplyError",
    "label_format",
    "parse_label",
    "parse_score",
    "schema_instruction",
    "score_format",
]

_STEPS: dict[str, Any] = {
    "type": "array",
    "description": "Your reasoning, step by step, before the result.",
    "items": {
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "What this step checks."},
            "conclusion": {"type": "string", "description": "What it found."},
        },
        "required": ["description", "conclusion"],
        "additionalProperties": False,
    },
}


class ReplyError(ValueError):
    """A judge reply that does not fit the schema; its message says how."""


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """One judge reply, read.

    Attributes:
        result: the score (``score_model``) or the label (``label_model``).
        reasoning: the steps as text, one ``description → conclusion`` line each.
    """

    result: float | str
    reasoning: str


def _response_format(name: str, result: dict[str, Any]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"steps": _STEPS, "result": result},
        "required": ["steps", "result"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def score_format(low: float, high: float) -> dict[str, Any]:
    """The ``response_format`` of a ``score_model`` judge scoring from ``low`` to ``high``."""
    result = {
        "type": "number",
        "minimum": low,
        "maximum": high,
        "description": f"The score, from {low:g} to {high:g}.",
    }
    return _response_format("score_model_grade", result)


def label_format(labels: Sequence[str]) -> dict[str, Any]:
    """The ``response_format`` of a ``label_model`` judge choosing one of ``labels``."""
    result = {"type": "string", "enum": list(labels), "description": "One of the labels."}
    return _response_format("label_model_grade", result)


def schema_instruction(result: str) -> str:
    """The system message that states the schema in words; ``result`` describes its value."""
    shape = (
        '{"steps": [{"description": "<what you checked>", "conclusion": "<what you found>"}, ...],'
        f' "result": {result}}}'
    )
    return (
        f"Answer with one JSON object only, of this shape: {shape}. Write your reasoning steps"
        " first, then the result."
    )


def parse_score(text: str, low: float, high: float) -> JudgeVerdict:
    """A ``score_model`` reply read: its score must lie in ``[low, high]``.

    Raises:
        ReplyError: the reply is not the JSON object asked for, or its score is out of range.
    """
    answer = _object(text)
    result = answer["result"]
    ok = isinstance(result, (int, float)) and not isinstance(result, bool)
    if not ok or not math.isfinite(result):
        raise ReplyError(f"result {result!r} is not a number")
    if not low <= result <= high:
        raise ReplyError(f"score {result:g} is outside the range [{low:g}, {high:g}]")
    return JudgeVerdict(float(result), _reasoning(answer["steps"]))


def parse_label(text: str, labels: Sequence[str]) -> JudgeVerdict:
    """A ``label_model`` reply read: its label must be one of ``labels``.

    Raises:
        ReplyError: the reply is not the JSON object asked for, or its label is not declared.
    """
    answer = _object(text)
    result = answer["result"]
    if not isinstance(result, str) or result not in labels:
        raise ReplyError(f"label {result!r} is not one of the labels {list(labels)!r}")
    return JudgeVerdict(result, _reasoning(answer["steps"]))


def _object(text: str) -> Mapping[str, Any]:
    body = text.strip()
    if body.startswith("```"):  # a fenced block, from servers that ignore response_format
        body = body.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise ReplyError(f"reply is not JSON ({exc}): {_clip(text)}") from None
    if not isinstance(answer, dict):
        raise ReplyError(f"reply is not a JSON object: {_clip(text)}")
    missing = [key for key in ("steps", "result") if key not in answer]
    if missing:
        raise ReplyError(f"reply has no {missing[0]!r}: {_clip(text)}")
    return answer


def _reasoning(steps: Any) -> str:
    if not isinstance(steps, list):
        raise ReplyError(f"steps is {type(steps).__name__}, not a list")
    lines = []
    for index, step in enumerate(steps):
        fields = [step.get(key) if isinstance(step, dict) else None for key in _STEP_KEYS]
        texts = [field.strip() for field in fields if isinstance(field, str)]
        if len(texts) != len(_STEP_KEYS):
            raise ReplyError(f"steps[{index}] is not {{description, conclusion}}: {step!r}")
        lines.append(" → ".join(text for text in texts if text))
    return "\n".join(lines)


_STEP_KEYS = ("description", "conclusion")


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
