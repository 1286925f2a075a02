"""Grader definitions in OpenAI's grader JSON shape, turned into ``Grader`` objects.

``grader_from`` reads a definition's ``type`` and hands the definition to the builder registered
for it. The graders that need no model register here when ``workbench.evals`` loads; the model
graders register themselves the same way (``register_grader_type``).

Every error is a ``GraderError`` raised before a grid runs, naming the grader (its ``name``, or
its index in the grid's list when it has none) and the key at fault, with the allowed values.
Builders use ``grader_label`` and ``check_keys`` so their messages read the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ._grading import Grader, GraderError
from ._templates import template_references

__all__ = [
    "check_keys",
    "grader_from",
    "grader_label",
    "number_value",
    "register_grader_type",
    "template_value",
    "text_value",
]

GraderBuilder = Callable[[Mapping[str, Any]], Grader]
"""Builds one grader type from its definition; raises ``GraderError`` for a bad one."""

_BUILDERS: dict[str, GraderBuilder] = {}


class _Labelled(dict[str, Any]):
    """A definition with the label its errors name the grader by (``name``, or an index)."""

    label: str


def register_grader_type(type_name: str, build: Callable[[Mapping[str, Any]], Grader]) -> None:
    """Make ``grader_from`` build definitions whose ``type`` is ``type_name`` with ``build``.

    ``build`` gets the definition (its keys unchecked but ``type`` and ``name``) and returns the
    grader, or raises ``GraderError`` (``check_keys`` and ``grader_label`` help). Registering a
    type again replaces its builder.
    """
    _BUILDERS[type_name] = build


def grader_from(definition: Mapping[str, Any], *, index: int | None = None) -> Grader:
    """The grader a definition in OpenAI's grader JSON shape describes.

    Args:
        definition: a dict such as ``{"type": "string_check", "name": "exact",
            "operation": "eq", "input": "{{sample.output_text}}", "reference":
            "{{item.expected}}"}``.
        index: the definition's place in the grid's list of graders: errors name an unnamed
            grader by it (without it, by its type).

    Raises:
        GraderError: an unknown ``type``; a missing, unknown or mistyped key; a template
            variable that is not ``item.*`` or ``sample.*``; anything else its builder checks.
    """
    return build_labelled(definition, None if index is None else str(index))


def build_labelled(definition: Any, label: str | None, *, by_name: bool = True) -> Grader:
    """``grader_from`` for a definition found at ``label``; errors name the grader by its
    ``name`` when it has one, unless ``by_name`` is false (a multi grader's sub-graders,
    named ``<multi>.<key>``)."""
    if not isinstance(definition, Mapping):
        message = f"a grader definition is a dict, not {type(definition).__name__}"
        raise GraderError(label or "?", message)
    label = label or str(definition.get("type", "?"))
    name = definition.get("name")
    if "name" in definition and (not isinstance(name, str) or not name):
        raise GraderError(label, f"'name' must be a non-empty string, not {name!r}")
    labelled = _Labelled(definition)
    labelled.label = name if by_name and isinstance(name, str) else label
    kind = definition.get("type")
    if not isinstance(kind, str) or kind not in _BUILDERS:
        what = "has no 'type'" if kind is None else f"has an unknown 'type' {kind!r}"
        raise GraderError(labelled.label, f"the grader {what}", allowed=sorted(_BUILDERS))
    return _BUILDERS[kind](labelled)


def grader_label(definition: Mapping[str, Any]) -> str:
    """How errors name the grader a definition describes: its ``name``, else its index."""
    label = getattr(definition, "label", None)
    if isinstance(label, str):
        return label
    name = definition.get("name")
    return name if isinstance(name, str) else str(definition.get("type", "?"))


def check_keys(
    definition: Mapping[str, Any], required: Collection[str], optional: Collection[str] = ()
) -> None:
    """Raise ``GraderError`` for a required key that is missing or a key that is not allowed
    (``type`` and ``name`` are always allowed)."""
    label = grader_label(definition)
    kind = definition.get("type")
    allowed = sorted({"type", "name", *required, *optional})
    for key in required:
        if key not in definition:
            raise GraderError(label, f"{kind} needs the key {key!r}", allowed=allowed)
    for key in definition:
        if key not in allowed:
            raise GraderError(label, f"{kind} has no key {key!r}", allowed=allowed)


def text_value(definition: Mapping[str, Any], key: str, allowed: Collection[str] = ()) -> str:
    """The string at ``key``; with ``allowed``, one of those."""
    value = definition[key]
    label = grader_label(definition)
    if not isinstance(value, str):
        kind = type(value).__name__
        message = f"{key!r} must be a string, not {kind}"
        raise GraderError(label, message, allowed=list(allowed) or None)
    if allowed and value not in allowed:
        raise GraderError(label, f"{key!r} is {value!r}", allowed=list(allowed))
    return value


def template_value(definition: Mapping[str, Any], key: str, columns: set[str]) -> str:
    """The template string at ``key``, its ``item`` columns added to ``columns``."""
    template = text_value(definition, key)
    label = grader_label(definition)
    try:
        columns |= template_references(template, label)
    except GraderError as exc:
        raise GraderError(label, f"{key!r}: {str(exc).partition(': ')[2]}") from None
    return template


def number_value(definition: Mapping[str, Any], key: str) -> float | None:
    """The number at ``key`` (an int or a float, not a bool), or None when it is absent."""
    if key not in definition:
        return None
    value = definition[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        message = f"{key!r} must be a number, not {type(value).__name__}"
        raise GraderError(grader_label(definition), message)
    if not math.isfinite(value):
        raise GraderError(grader_label(definition), f"{key!r} must be finite, not {value}")
    return float(value)
