"""Docstrings (Google, NumPy or Sphinx style) -> a description and per-parameter descriptions."""

from __future__ import annotations

import inspect
import re
from typing import NamedTuple

__all__ = ["Docstring", "parse_docstring"]

# Google-style section headers ("Args:"); those in _PARAM_SECTIONS list the parameters.
_GOOGLE_SECTIONS = frozenset(
    "args arguments parameters params keyword args keyword arguments other parameters"
    " kwargs returns return yields yield raises raise except exceptions examples example"
    " note notes warning warnings see also references todo attributes methods".split(" ")
)
_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "other parameters",
        "kwargs",
    }
)
_GOOGLE_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}[A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")
_SPHINX_FIELD = re.compile(r"^\s*:([A-Za-z]+)\b([^:]*):(.*)$")
_SPHINX_PARAMS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword"})


class Docstring(NamedTuple):
    """What a docstring says: the text before its sections, and each parameter's description."""

    description: str
    params: dict[str, str]


def parse_docstring(doc: str | None) -> Docstring:
    """Split a docstring into its description and per-parameter descriptions.

    Google (``Args:``), NumPy (``Parameters`` over a dashed line) and Sphinx (``:param x:``)
    sections are all recognised, even mixed; parameter names lose their ``*``/``**``. The
    description keeps its lines; a parameter's wrapped lines are joined with spaces, and blank
    lines inside it start a new paragraph.

    Args:
        doc: the raw docstring (indentation is cleaned here), or None.
    """
    if not doc or not doc.strip():
        return Docstring("", {})
    lines = inspect.cleandoc(doc).expandtabs().splitlines()
    starts = [i for i in range(len(lines)) if _section_kind(lines, i)]
    end = starts[0] if starts else len(lines)
    params: dict[str, str] = {}
    for i in starts:
        kind = _section_kind(lines, i)
        found = {
            "google": _google_params,
            "numpy": _numpy_params,
            "sphinx": _sphinx_param,
        }[kind](lines, i)
        for name, text in found.items():
            if text:
                params.setdefault(name.lstrip("*"), text)
    return Docstring("\n".join(lines[:end]).strip(), params)


def _section_kind(lines: list[str], i: int) -> str:
    line = lines[i]
    if _SPHINX_FIELD.match(line):
        return "sphinx"
    header = _GOOGLE_HEADER.match(line)
    if header and header.group(1).lower() in _GOOGLE_SECTIONS:
        return "google"
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if line.strip() and not _NUMPY_UNDERLINE.match(line) and _NUMPY_UNDERLINE.match(nxt):
        return "numpy"
    return ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_params(lines: list[str], start: int) -> dict[str, str]:
    header = _GOOGLE_HEADER.match(lines[start])
    if not header or header.group(1).lower() not in _PARAM_SECTIONS:
        return {}
    base = _indent(lines[start])
    params: dict[str, list[str]] = {}
    item_indent: int | None = None
    current: list[str] | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            if current is not None:
                current.append("")
            continue
        indent = _indent(line)
        if indent <= base:
            break
        if item_indent is None:
            item_indent = indent
        match = _GOOGLE_ITEM.match(line.strip())
        if indent <= item_indent and match:
            current = params.setdefault(match.group(1), [])
            current.append(match.group(2))
        elif indent > item_indent and current is not None:
            current.append(line)
        else:
            current = None
    return {name: _join(text) for name, text in params.items()}


def _numpy_params(lines: list[str], start: int) -> dict[str, str]:
    if lines[start].strip().lower() not in _PARAM_SECTIONS:
        return {}
    base = _indent(lines[start])
    params: dict[str, list[str]] = {}
    current: list[list[str]] = []
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if _section_kind(lines, i) == "numpy":
            break
        if not line.strip():
            for text in current:
                text.append("")
            continue
        indent = _indent(line)
        if indent < base:
            break
        match = _NUMPY_ITEM.match(line.strip())
        if indent == base and match:
            names = [name.strip() for name in match.group(1).split(",")]
            current = [params.setdefault(name, []) for name in names]
        elif indent > base:
            for text in current:
                text.append(line)
        else:
            current = []
    return {name: _join(text) for name, text in params.items()}


def _sphinx_param(lines: list[str], start: int) -> dict[str, str]:
    match = _SPHINX_FIELD.match(lines[start])
    if not match or match.group(1).lower() not in _SPHINX_PARAMS:
        return {}
    words = match.group(2).split()
    if not words:
        return {}
    text = [match.group(3)]
    base = _indent(lines[start])
    for line in lines[start + 1 :]:
        if line.strip() and (_indent(line) <= base or _SPHINX_FIELD.match(line)):
            break
        text.append(line)
    return {words[-1]: _join(text)}


def _join(lines: list[str]) -> str:
    """Join wrapped lines with spaces, keeping blank-line paragraph breaks."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(words) for words in paragraphs if words)
