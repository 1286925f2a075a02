"""A grid's graders: ``Grid(graders=...)`` checked and built before anything is sent, and one
answered cell graded by all of them.

A grader is a ``workbench.evals.Grader``, an OpenAI grader definition (a dict with a ``type``,
built by ``workbench.evals.grader_from``), or a Python callable (sync or async, called as a
scorer is: with the output, or the parsed object with a ``response_format``, and the cell when
it takes one) whose number or bool is the score.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .. import evals
from .._exceptions import InvalidParameterError
from ..evals import Grade, Grader, GraderError, GradingContext, Sample
from ._cells import Cell
from ._score import Scorer, prepare_scorers

__all__ = [
    "CallableGrader",
    "build_graders",
    "check_judge_repeats",
    "grade_cell",
    "grader_columns",
    "sample_of",
]


class CallableGrader(Grader):
    """A Python callable as a grader: its bool is pass/fail (score 1 or 0), its number the
    score; anything else, or an exception, fails the grade (never the cell).

    Args:
        name: the grader's name (the function's, unless given in a dict).
        function: called like a scorer: ``f(value)``, ``f(value, cell)`` or
            ``f(value, cell=cell)``; sync (in a worker thread) or async.
        pass_threshold: the score at or above which a cell passes (None: only a bool passes).
    """

    def __init__(
        self, name: str, function: Callable[..., Any], pass_threshold: float | None = None
    ) -> None:
        self.name = name
        self.function = function
        self.pass_threshold = pass_threshold
        self._scorer: Scorer = prepare_scorers({name: function})[0]

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        """Grade with the sample alone (``grade_cell`` calls ``grade_value`` with the cell)."""
        value = sample.output_json if sample.output_json is not None else sample.output_text
        return await self.grade_value(value, None)

    async def grade_value(self, value: Any, cell: Cell | None) -> Grade:
        """Call the function on ``value`` (and ``cell``) and turn its answer into a grade."""
        try:
            result = await self._scorer(value, cell)  # type: ignore[arg-type]
        except Exception as exc:  # a broken grader costs its grade, never the grid
            return Grade.failed(f"{type(exc).__name__}: {exc}")
        if isinstance(result, bool):
            return Grade(score=1.0 if result else 0.0, passed=result)
        if isinstance(result, (int, float)) and math.isfinite(result):
            score = float(result)
            threshold = self.pass_threshold
            return Grade(score=score, passed=None if threshold is None else score >= threshold)
        return Grade.failed(
            f"returned {type(result).__name__} {result!r:.60}, not a number or a bool"
        )


def check_judge_repeats(judge_repeats: Any) -> int:
    """``judge_repeats`` checked: an integer >= 1."""
    if isinstance(judge_repeats, bool) or not isinstance(judge_repeats, int) or judge_repeats < 1:
        raise InvalidParameterError(
            "judge_repeats", f"must be an integer >= 1, got {judge_repeats!r}"
        )
    return judge_repeats


def build_graders(
    graders: Any,
    var_names: Iterable[str],
    taken: Mapping[str, str],
    rows: Sequence[Mapping[str, Any]] = (),
) -> tuple[Grader, ...]:
    """The graders of ``Grid(graders=...)``, built and checked.

    Args:
        graders: a list of graders, grader definitions, callables and ``{"name": callable}``
            dicts, or one of them alone; None for none.
        var_names: the columns of the grid's vars (each grader's references must be there).
        taken: the DataFrame's column names already in use, with what uses each.
        rows: the vars rows: each must have every column a grader reads.

    Raises:
        GraderError: a grader that cannot run (an unknown type or template variable, a
            reference column the vars lack), naming it.
        InvalidParameterError: not a grader at all, or two graders with one name.
    """
    if graders is None:
        return ()
    if isinstance(graders, (Mapping, Grader)) or callable(graders):  # one alone
        entries: list[Any] = [graders]
    elif isinstance(graders, (str, bytes)) or not isinstance(graders, Iterable):
        raise InvalidParameterError(
            "graders", f"must be a list of graders, got {type(graders).__name__}"
        )
    else:
        entries = list(graders)
    built: list[Grader] = []
    for i, entry in enumerate(entries):
        built.extend(_build_one(entry, i))
    columns = set(var_names)
    used = dict(taken)
    for grader in built:
        if used.get(grader.name) == "a grader":
            raise InvalidParameterError(f"graders[{grader.name}]", "two graders have this name")
        names = (grader.name, *(f"{grader.name}_{s}" for s in _SUFFIXES))
        for name in names:
            if name in used:
                raise InvalidParameterError(
                    f"graders[{grader.name}]",
                    f"{name!r} would clash with {used[name]} of the DataFrame: rename it",
                )
        used.update(dict.fromkeys(names, "a grader's column"))
        used[grader.name] = "a grader"
        missing = sorted(grader.references() - columns)
        if missing:
            there = ", ".join(sorted(columns)) if columns else "none: the grid has no vars"
            raise GraderError(
                grader.name,
                f"reads the column {missing[0]!r}, which vars does not have (its columns: {there})",
            )
        for i, row in enumerate(rows):
            lacking = sorted(grader.references() - set(row))
            if lacking:
                raise GraderError(
                    grader.name, f"reads the column {lacking[0]!r}, which vars[{i}] does not have"
                )
    return tuple(built)


_SUFFIXES = ("pass", "reasoning", "label", "spread", "agreement", "error")
"""The columns a grader adds besides its score: ``<name>_pass``, ..."""


def _build_one(entry: Any, index: int) -> list[Grader]:
    if isinstance(entry, Grader):
        if not isinstance(getattr(entry, "name", None), str) or not entry.name:
            raise InvalidParameterError(f"graders[{index}]", "a grader needs a name")
        return [entry]
    if isinstance(entry, Mapping) and "type" in entry:
        return [_from_definition(entry, index)]
    if isinstance(entry, Mapping):
        out: list[Grader] = []
        for name, function in entry.items():
            if not isinstance(name, str) or not name:
                raise InvalidParameterError(
                    f"graders[{index}]", f"a name must be a string: {name!r}"
                )
            if not callable(function):
                raise InvalidParameterError(f"graders[{name}]", "is not callable")
            out.append(CallableGrader(name, function))
        return out
    if callable(entry):
        name = getattr(entry, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier() or name == "<lambda>":
            raise InvalidParameterError(
                f"graders[{index}]", "has no name: give it as {'name': function}"
            )
        return [CallableGrader(name, entry)]
    raise InvalidParameterError(
        f"graders[{index}]",
        f"must be a Grader, an OpenAI grader dict or a callable, got {type(entry).__name__}",
    )


def _from_definition(definition: Mapping[str, Any], index: int) -> Grader:
    """An OpenAI grader definition, built by ``workbench.evals.grader_from``."""
    grader_from = getattr(evals, "grader_from", None)
    name = str(definition.get("name") or index)
    if grader_from is None:
        raise GraderError(
            name,
            "OpenAI grader definitions need workbench.evals.grader_from, which this version"
            " of workbench does not have yet: give a Grader object or a callable",
        )
    grader = grader_from(dict(definition))
    if not isinstance(grader, Grader):
        raise GraderError(name, f"grader_from gave {type(grader).__name__}, not a Grader")
    return grader


def grader_columns(grader: Grader, judge_repeats: int) -> list[str]:
    """The columns ``to_dataframe()`` has for ``grader``, in order."""
    name = grader.name
    columns = [name, f"{name}_pass"]
    if grader.uses_model:
        columns.append(f"{name}_reasoning")
    if _labels(grader):
        columns.append(f"{name}_label")
    if grader.uses_model and judge_repeats > 1:
        columns += [f"{name}_spread", f"{name}_agreement"]
    columns.append(f"{name}_error")
    return columns


def _labels(grader: Grader) -> bool:
    """Whether the grader gives labels (``label_model``, or anything with ``labels``)."""
    return bool(getattr(grader, "labels", None)) or getattr(grader, "type", None) == "label_model"


def sample_of(cell: Cell, structured: bool) -> Sample:
    """What graders see of ``cell``'s reply: its text, its JSON (the parsed object with a
    ``response_format``, else the text when it is JSON) and its tool calls."""
    text = cell.output or ""
    output_json: Any = None
    if structured and cell.parsed is not None:
        parsed = cell.parsed
        dump = getattr(parsed, "model_dump", None)
        output_json = dump(mode="json") if callable(dump) else parsed
    elif text.lstrip()[:1] in ("{", "["):
        try:
            output_json = json.loads(text)
        except ValueError:
            output_json = None
    tools = tuple(
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": call.get("name"), "arguments": call.get("arguments") or ""},
        }
        for i, call in enumerate(cell.tool_calls or ())
    )
    return Sample(text, output_json, tools)


async def grade_cell(
    cell: Cell, graders: tuple[Grader, ...], context: GradingContext, structured: bool
) -> None:
    """Fill ``cell.grades``: every grader at once, each grade failing on its own, and each
    kept as it arrives (a cancel then loses only the grades not given yet)."""
    sample = sample_of(cell, structured)
    value = cell.parsed if structured else cell.output

    async def one(grader: Grader) -> None:
        try:
            if isinstance(grader, CallableGrader):
                grade = await grader.grade_value(value, cell)
            elif missing := [c for c in sorted(grader.references()) if _absent(cell.vars.get(c))]:
                grade = Grade.failed(f"{{{{ item.{missing[0]} }}}} has no value in this row")
            else:
                grade = await grader.grade(sample, cell.vars, context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a grader that broke its promise not to raise
            grade = Grade.failed(f"{type(exc).__name__}: {exc}")
        cell.grades[grader.name] = grade

    await asyncio.gather(*(one(g) for g in graders))
    order = [g.name for g in graders]  # as given, not as the grades came in
    ordered = {name: cell.grades[name] for name in order}
    ordered.update({n: g for n, g in cell.grades.items() if n not in ordered})
    cell.grades = ordered


def _absent(value: Any) -> bool:
    """Whether a reference value is missing: None, or a pandas or float NaN (an empty cell of a
    DataFrame), which a template would otherwise fill as the text "NaN"."""
    if value is None:
        return True
    if isinstance(value, float):  # numpy's float64 too
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")  # pandas' missing values
