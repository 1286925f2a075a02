"""The graders' columns of a grid's DataFrame: score, pass, reasoning, label, spread,
agreement and error per grader (pandas is imported inside the functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..evals import Grade
from ._cells import Cell
from ._graders import grader_columns
from ._spec import GridSpec

__all__ = ["grade_columns"]

_FIELDS = {
    "pass": ("passed", "boolean"),
    "reasoning": ("reasoning", "str"),
    "label": ("label", "str"),
    "spread": ("spread", "float64"),
    "agreement": ("agreement", "float64"),
    "error": ("error", "str"),
}
"""A grader's column suffix -> the ``Grade`` field it holds and its dtype."""


def grade_columns(spec: GridSpec, cells: Sequence[Cell]) -> dict[str, Any]:
    """Per grader, in order: ``<name>`` (the score, ``float64``), ``<name>_pass``
    (``boolean``), ``<name>_reasoning`` (model graders), ``<name>_label`` (label graders),
    ``<name>_spread`` and ``<name>_agreement`` (model graders with ``judge_repeats`` > 1) and
    ``<name>_error``; NA where a cell was not graded or the grade failed."""
    import pandas as pd  # type: ignore[import-untyped]

    columns: dict[str, Any] = {}
    for grader in spec.graders:
        grades: list[Grade | None] = [c.grades.get(grader.name) for c in cells]
        for column in grader_columns(grader, spec.judge_repeats):
            suffix = column[len(grader.name) + 1 :] if column != grader.name else ""
            field, dtype = _FIELDS.get(suffix, ("score", "float64"))
            values = [getattr(g, field) if g is not None else None for g in grades]
            if dtype == "float64":
                values = [float("nan") if v is None else float(v) for v in values]
            columns[column] = pd.array(values, dtype=dtype)
    return columns
