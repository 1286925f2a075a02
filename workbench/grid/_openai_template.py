"""An OpenAI eval run's ``input_messages`` as a grid prompt: its ``{{ item.<path> }}`` fields
turned into the grid's ``{name}`` templates, and literal braces escaped.

``{{ item.ticket }}`` becomes ``{ticket}``, ``{{ item.a.b[0] }}`` becomes ``{a[b][0]}`` (the
grid fills both from each row, as ``str.format_map`` does), ``{`` and ``}`` become ``{{`` and
``}}``. Every field is checked against every row before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["grid_template", "prompt_messages"]

_FIELD = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_ITEM_PATH = re.compile(r"item((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])+)")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]")
_ROLES = ("user", "assistant", "system", "developer")
_TEXT_PARTS = ("input_text", "output_text", "text")
_WRITE = "{{ item.<field> }}, {{ item.<field>.<key> }}, {{ item.<field>[0] }}"


def prompt_messages(spec: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid prompt (a message list) a run's ``input_messages`` describes.

    Raises:
        InvalidParameterError: naming the message and field at fault
            (``run.input_messages.template[1].content``), and the data row for a field a row
            lacks.
    """
    where = "run.input_messages"
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(
            where, "is needed: {'type': 'template', 'template': [messages]} says what to send"
        )
    kind = spec.get("type")
    if kind == "template":
        template = spec.get("template")
        if not isinstance(template, list) or not template:
            raise InvalidParameterError(f"{where}.template", "must be a non-empty list of messages")
        messages = [_message(m, f"{where}.template[{j}]", rows) for j, m in enumerate(template)]
        last = f"{where}.template[{len(messages) - 1}].role"
    elif kind == "item_reference":
        messages = [{"role": "user", "content": _reference(spec.get("item_reference"), rows)}]
        last = where
    else:
        raise InvalidParameterError(
            f"{where}.type", f"got {kind!r}", allowed=["template", "item_reference"]
        )
    if messages[-1]["role"] != "user":
        raise InvalidParameterError(
            last,
            f"the last message is what the grid sends, so it must be a user message, not"
            f" {messages[-1]['role']!r}",
        )
    return messages


def grid_template(text: str, where: str, rows: list[dict[str, Any]]) -> str:
    """``text`` with each ``{{ item.<path> }}`` as a grid field and literal braces doubled.

    Raises:
        InvalidParameterError: a field that is not ``item.<path>`` (``sample`` too: a prompt
            is sent before there is a sample), or a path a data row does not have.
    """
    out: list[str] = []
    position = 0
    for match in _FIELD.finditer(text):
        out.append(_escape(text[position : match.start()]))
        steps = _item_steps(match.group(1), where)
        for r, row in enumerate(rows):
            _resolve(row, steps, where, r, match.group(1))
        out.append("{" + str(steps[0]) + "".join(f"[{step}]" for step in steps[1:]) + "}")
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _message(message: Any, where: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        raise InvalidParameterError(where, f"must be a message dict, not {type(message).__name__}")
    unknown = sorted(set(message) - {"role", "content", "type"})
    if unknown:
        raise InvalidParameterError(
            f"{where}.{unknown[0]}",
            "is not a key of a template message",
            allowed=["role", "content", "type"],
        )
    if message.get("type", "message") != "message":
        raise InvalidParameterError(
            f"{where}.type", f"got {message['type']!r}", allowed=["message"]
        )
    role = message.get("role")
    if role not in _ROLES:
        raise InvalidParameterError(f"{where}.role", f"got {role!r}", allowed=_ROLES)
    content = message.get("content")
    if isinstance(content, Mapping):  # one content object, as OpenAI's EvalItem allows
        content = _part_text(content, f"{where}.content")
    if isinstance(content, str):
        return {"role": role, "content": grid_template(content, f"{where}.content", rows)}
    if isinstance(content, list) and content:
        parts = []
        for k, part in enumerate(content):
            text = _part_text(part, f"{where}.content[{k}]")
            filled = grid_template(text, f"{where}.content[{k}]", rows)
            parts.append({"type": "text", "text": filled})
        return {"role": role, "content": parts}
    raise InvalidParameterError(
        f"{where}.content", "must be a string, a text part or a list of text parts"
    )


def _part_text(part: Any, where: str) -> str:
    if not isinstance(part, Mapping) or not isinstance(part.get("text"), str):
        shown = part.get("type") if isinstance(part, Mapping) else type(part).__name__
        raise InvalidParameterError(
            where, f"only text parts fill a grid prompt, got {shown!r}", allowed=_TEXT_PARTS
        )
    if part.get("type", "input_text") not in _TEXT_PARTS:
        raise InvalidParameterError(
            f"{where}.type",
            f"only text parts fill a grid prompt, got {part['type']!r}",
            allowed=_TEXT_PARTS,
        )
    return str(part["text"])


def _reference(reference: Any, rows: list[dict[str, Any]]) -> str:
    """An ``item_reference`` to a string field, as the template of one user message."""
    where = "run.input_messages.item_reference"
    if not isinstance(reference, str):
        raise InvalidParameterError(
            where, f"must be a string such as 'item.prompt', got {reference!r}"
        )
    path = reference.strip().removeprefix("{{").removesuffix("}}").strip()
    steps = _item_steps(path, where)
    for r, row in enumerate(rows):
        value = _resolve(row, steps, where, r, path)
        if not isinstance(value, str):
            raise InvalidParameterError(
                where,
                f"{path} is {type(value).__name__} in data[{r}]: a grid sends one prompt template"
                " per row, so only a reference to a text field is read (write a 'template' for"
                " messages)",
            )
    return "{" + str(steps[0]) + "".join(f"[{step}]" for step in steps[1:]) + "}"


def _item_steps(path: str, where: str) -> list[str | int]:
    match = _ITEM_PATH.fullmatch(path)
    if match is None:
        problem = (
            "names the sample, which does not exist yet when the prompt is sent"
            if path.split(".")[0].split("[")[0] == "sample"
            else "is not an item field"
        )
        raise InvalidParameterError(where, f"{{{{ {path} }}}} {problem}", allowed=_WRITE)
    steps: list[str | int] = [name or int(index) for name, index in _STEP.findall(match.group(1))]
    if not isinstance(steps[0], str):
        raise InvalidParameterError(where, f"{{{{ {path} }}}}: the item is a dict, not a list")
    return steps


def _resolve(row: Mapping[str, Any], steps: list[str | int], where: str, r: int, path: str) -> Any:
    value: Any = row
    for step in steps:
        in_list = isinstance(step, int) and isinstance(value, list) and step < len(value)
        if in_list or (isinstance(step, str) and isinstance(value, Mapping) and step in value):
            value = value[step]
        else:
            fields = ", ".join(sorted(row)) or "none"
            raise InvalidParameterError(
                where,
                f"reads {{{{ {path} }}}}, which data[{r}] does not have (its fields: {fields})",
            )
    return value


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
