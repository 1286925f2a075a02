"""A grid's dataset read from a JSONL file: one JSON object a line, each a row of vars."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["read_jsonl", "read_jsonl_lines"]


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a JSONL file, in order; blank lines are skipped.

    Lines in the form OpenAI's evals export their data in (``{"item": {...}}``, perhaps with a
    ``sample``) are unwrapped to the ``item`` when every line has one: its fields are the
    row's columns, as ``{{ item.<column> }}`` names them.

    Raises:
        InvalidParameterError: the file cannot be read, has no rows, or a line is not a JSON
            object (naming the file and the line number).
    """
    rows = read_jsonl_lines(path)
    if all(isinstance(row.get("item"), dict) and set(row) <= {"item", "sample"} for row in rows):
        rows = [row["item"] for row in rows]
    return rows


def read_jsonl_lines(path: str | os.PathLike[str], where: str = "vars") -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file's lines, as they are (``read_jsonl`` without the
    unwrapping); errors name ``where`` (the parameter the path was given as).

    Raises:
        InvalidParameterError: as ``read_jsonl``.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(where, f"cannot read {str(file)!r}: {exc}") from None
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InvalidParameterError(
                where, f"{file}, line {number}: not valid JSON ({exc})"
            ) from None
        if not isinstance(row, dict):
            raise InvalidParameterError(
                where, f"{file}, line {number}: a JSON object is needed, got {type(row).__name__}"
            )
        rows.append(row)
    if not rows:
        raise InvalidParameterError(where, f"{file} has no rows")
    return rows
