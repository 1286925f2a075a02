"""Errors as the widget shows them: one short line, no Python reprs, and the field it belongs to.

A parameter's error is shown beside its control, so its text leaves out the parameter's name
(``temperature: 5 is out of range`` is ``5 is out of range`` beside the temperature); a turn's
failure is shown on the message it failed (``_endings``), never twice; anything else on the line
above the input. Every error is one line: the first line of the exception's text, without a
traceback or the text that failed to parse, cut at ``MAX_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .._exceptions import InvalidParameterError

__all__ = ["MAX_CHARS", "ShownError", "message_error", "one_line", "shown_error"]

MAX_CHARS = 240

_SPACES = re.compile(r"\s+")
# Where in a completion a reply's text failed to parse (``OutputValidationError``): on the
# message itself, that goes without saying.
_IN_REPLY = re.compile(r"^choices\[\d+\]\.message\.(content|refusal): ")

ShownError = tuple[str, str]
"""``(text, field)``: the error's one line, and the control it belongs to (``""``: none)."""


def one_line(text: str) -> str:
    """The first non-empty line of ``text``, its spaces collapsed, cut at ``MAX_CHARS``."""
    line = next((part for part in text.splitlines() if part.strip()), "")
    line = _SPACES.sub(" ", line).strip()
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1].rstrip() + "…"


def message_error(text: str) -> str:
    """A failed reply's error as its mark shows it: one line, without where in the completion
    the text was (the mark is on the reply)."""
    return _IN_REPLY.sub("", one_line(text))


def shown_error(exc: BaseException, fields: Collection[str] = (), field: str = "") -> ShownError:
    """How the widget shows ``exc``: beside ``field`` when given (the control that was set),
    or, for an invalid parameter among ``fields`` (the controls), beside its control; the
    field's name left out of the text, which is one line.

    Args:
        exc: the error.
        fields: the parameters that have a control.
        field: the control the error came from, when known.
    """
    if isinstance(exc, KeyError) and exc.args:  # str() of a KeyError is the repr of its key
        return one_line(str(exc.args[0])), field
    text = one_line(str(exc) or type(exc).__name__)
    param = exc.param if isinstance(exc, InvalidParameterError) else field
    if not field and param.split(".")[0].split("[")[0] in fields:
        field = param.split(".")[0].split("[")[0]
    if field and param.startswith(field) and text.startswith(f"{param}: "):
        rest = text[len(param) + 2 :]
        inner = param[len(field) :].lstrip(".")  # response_format.json_schema: "json_schema"
        text = f"{inner}: {rest}" if inner else rest
    return text, field
