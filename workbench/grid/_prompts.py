"""A grid's prompts and vars: strings and message lists checked, and ``{name}`` templates
filled from each row of vars (a DataFrame, a list of dicts or a JSONL file)."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from .._exceptions import InvalidParameterError
from ..conversation._history import Message
from ._dataset import read_jsonl

__all__ = ["fill", "fill_message", "message_text", "prompt_lists", "vars_rows"]

_MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "refusal")


def prompt_lists(prompts: Any) -> list[list[dict[str, Any]]]:
    """Each prompt as a message list (a string becomes one user message), checked.

    Raises:
        InvalidParameterError: naming the prompt (and message) at fault.
    """
    if isinstance(prompts, str) or _is_message_list(prompts):
        prompts = [prompts]
    if isinstance(prompts, Mapping) or not isinstance(prompts, Iterable):
        raise InvalidParameterError(
            "prompts",
            f"must be a string or a list of prompts, got {type(prompts).__name__}",
            allowed="strings, message lists, or {name} templates filled from vars",
        )
    out = [_prompt(i, prompt) for i, prompt in enumerate(prompts)]
    if not out:
        raise InvalidParameterError("prompts", "is empty: give at least one prompt")
    return out


def _is_message_list(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(m, Mapping) and "role" in m for m in value)
    )


def _prompt(i: int, prompt: Any) -> list[dict[str, Any]]:

    where = f"prompts[{i}]"
    if isinstance(prompt, str):
        if not prompt.strip():
            raise InvalidParameterError(where, "is an empty string")
        return [{"role": "user", "content": prompt}]
    if not _is_message_list(prompt):
        raise InvalidParameterError(
            where,
            f"must be a string or a list of messages, got {type(prompt).__name__}",
            allowed="'text' or [{'role': 'user', 'content': 'text'}, ...]",
        )
    messages: list[dict[str, Any]] = []
    for j, message in enumerate(prompt):
        unknown = sorted(set(message) - set(_MESSAGE_KEYS))
        if unknown:
            raise InvalidParameterError(
                f"{where}[{j}]", f"unknown key {unknown[0]!r}", allowed=_MESSAGE_KEYS
            )
        try:
            Message(**message)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise InvalidParameterError(f"{where}[{j}].{field}", error["msg"]) from None
        messages.append(dict(message))
    if messages[-1]["role"] != "user":
        raise InvalidParameterError(
            f"{where}[{len(messages) - 1}].role",
            f"a prompt's last message is what the grid sends, so it must be a user message,"
            f" not {messages[-1]['role']!r}",
        )
    return messages


def vars_rows(vars: Any) -> list[dict[str, Any]] | None:
    """The rows of ``vars`` (a DataFrame, a list of dicts, a JSONL file's path) as dicts of
    plain Python values (None without vars).

    Raises:
        InvalidParameterError: not a DataFrame, a list of dicts with string keys or a JSONL
            file's path, or empty.
    """
    if vars is None:
        return None
    if isinstance(vars, (str, os.PathLike)):
        vars = read_jsonl(vars)
    if hasattr(vars, "to_dict") and hasattr(vars, "columns"):  # a DataFrame (pandas not imported)
        for column in vars.columns:
            if not isinstance(column, str):
                raise InvalidParameterError(
                    "vars", f"column {column!r} is not a string: templates name fields {{city}}"
                )
        rows: list[Any] = vars.to_dict(orient="records")
    elif isinstance(vars, Mapping):
        raise InvalidParameterError(
            "vars",
            "is a dict: give a list of dicts (one per row), or pandas.DataFrame(...) for columns",
        )
    elif isinstance(vars, Iterable) and not isinstance(vars, str):
        rows = list(vars)
    else:
        raise InvalidParameterError(
            "vars", f"must be a DataFrame or a list of dicts, got {type(vars).__name__}"
        )
    if not rows:
        raise InvalidParameterError("vars", "has no rows: give at least one, or leave vars out")
    out = []
    for r, row in enumerate(rows):
        if not isinstance(row, Mapping) or not all(isinstance(k, str) for k in row):
            raise InvalidParameterError(
                f"vars[{r}]", f"must be a dict with string keys, got {type(row).__name__}"
            )
        out.append({key: _plain(value) for key, value in row.items()})
    return out


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (DataFrame rows carry numpy types)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _fields(template: str, where: str) -> set[str]:
    """The names a ``{name}`` template asks for (format specs included)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidParameterError(
            where, f"is not a valid template: {exc} (write {{{{ and }}}} for literal braces)"
        ) from None
    names: set[str] = set()
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        if not name or name.isdigit():
            raise InvalidParameterError(
                where,
                f"has a positional field {{{field}}}: name it, as in {{city}}, and give its"
                " values in vars",
            )
        names.add(name)
        if spec and "{" in spec:
            names |= _fields(spec, where)
    return names


def fill(template: str, values: Mapping[str, Any], where: str, row: int) -> str:
    """``template`` with its ``{name}`` fields filled from vars row number ``row``.

    Raises:
        InvalidParameterError: a field the row lacks, or a value that does not format.
    """
    missing = sorted(_fields(template, where) - set(values))
    if missing:
        have = ", ".join(sorted(values)) or "none"
        raise InvalidParameterError(
            where, f"uses {{{missing[0]}}}, which vars row {row} does not have (it has: {have})"
        )
    try:
        return template.format_map(values)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise InvalidParameterError(
            where, f"cannot be filled from vars row {row}: {type(exc).__name__}: {exc}"
        ) from None


def fill_message(
    message: dict[str, Any], values: Mapping[str, Any], where: str, row: int
) -> dict[str, Any]:
    """A copy of ``message`` with its text (or text parts) filled like ``fill``."""
    content = message.get("content")
    if isinstance(content, str):
        return {**message, "content": fill(content, values, where, row)}
    if isinstance(content, list):
        parts = [
            {**part, "text": fill(part["text"], values, where, row)}
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
            else part
            for part in content
        ]
        return {**message, "content": parts}
    return message


def message_text(content: Any) -> str:
    """The text of a message's content (text parts joined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", f"[{p.get('type')}]")) for p in content if isinstance(p, Mapping)
        )
    return ""
