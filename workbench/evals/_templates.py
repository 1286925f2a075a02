"""OpenAI's grader templates: ``{{ item.<path> }}`` and ``{{ sample.<path> }}`` filled from a
grid cell's row of vars and its reply.

A path is dotted names with optional list indexes (``item.answers[0].text``,
``sample.output_json.city``). A string value is inserted as it is; any other value as compact
JSON. Text outside ``{{ }}`` is kept unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._grading import GraderError, Sample

__all__ = ["SAMPLE_FIELDS", "filled_length", "render_template", "template_references"]

SAMPLE_FIELDS = ("output_text", "output_json", "output_tools")
"""The ``sample`` fields a template may name."""

_FIELD = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    """``item.a[0].b`` -> ``['item', 'a', 0, 'b']``; raises ValueError on anything else."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or (position == 0 and match.group(0).startswith(".")):
            raise ValueError(path)
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if not steps or not isinstance(steps[0], str):
        raise ValueError(path)
    return steps


def template_references(template: str, grader: str) -> set[str]:
    """The ``item`` columns a template reads (the first name after ``item.``).

    Raises:
        GraderError: a ``{{ }}`` field that is not ``item.<path>`` or ``sample.<field>...``,
            naming the grader and the field.
    """
    columns: set[str] = set()
    for match in _FIELD.finditer(template):
        text = match.group(1)
        try:
            steps = _steps(text)
        except ValueError:
            raise GraderError(
                grader, f"{{{{ {text} }}}} is not a template variable", allowed=_ALLOWED
            ) from None
        namespace = steps[0]
        if namespace == "item" and len(steps) > 1 and isinstance(steps[1], str):
            columns.add(steps[1])
        elif namespace == "sample" and len(steps) > 1 and steps[1] in SAMPLE_FIELDS:
            continue
        else:
            message = f"unknown template variable {{{{ {text} }}}}"
            raise GraderError(grader, message, allowed=_ALLOWED)
    return columns


_ALLOWED = "{{ item.<column> }}, " + ", ".join(f"{{{{ sample.{f} }}}}" for f in SAMPLE_FIELDS)


def render_template(template: str, sample: Sample, item: Mapping[str, Any]) -> str:
    """The template with each ``{{ }}`` field filled.

    Raises:
        KeyError: a path that the item or sample does not have (its message names the path);
            the grader turns it into a failed grade for the cell.
    """

    def fill(match: re.Match[str]) -> str:
        steps = _steps(match.group(1))
        value: Any = item if steps[0] == "item" else sample
        for step in steps[1:]:
            value = _step_into(value, step, match.group(1))
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return _FIELD.sub(fill, template)


def filled_length(template: str, item: Mapping[str, Any], sample_chars: int) -> int:
    """About how many characters ``template`` has once filled for a cell whose vars are
    ``item``, before its reply is known: each ``item`` field as ``render_template`` fills it
    (nothing for one the item lacks) and ``sample_chars`` for each ``sample`` field (for the
    grid's cost estimate of a judge's prompt)."""
    length = len(template)
    for match in _FIELD.finditer(template):
        length -= len(match.group(0))
        if match.group(1).startswith("sample"):
            length += sample_chars
            continue
        try:
            length += len(render_template(match.group(0), _NO_SAMPLE, item))
        except (KeyError, ValueError):
            continue
    return length


_NO_SAMPLE = Sample("")


def _step_into(value: Any, step: str | int, path: str) -> Any:
    if isinstance(value, Sample):
        return getattr(value, str(step))
    if isinstance(step, int) and isinstance(value, (list, tuple)) and step < len(value):
        return value[step]
    if isinstance(step, str) and isinstance(value, Mapping) and step in value:
        return value[step]
    raise KeyError(f"{{{{ {path} }}}}: no {step!r} in {type(value).__name__}")
