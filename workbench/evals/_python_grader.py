"""OpenAI's ``python`` grader: ``source`` defines ``grade(sample, item) -> float``.

**It runs the user's own code in the user's own process**, with the rights of the notebook it
runs in: no sandbox, no network cut, no memory limit (OpenAI runs it in a container, with 2
minutes per call; here a grade that never returns holds its worker thread). That is what a
notebook's cell does anyway; a definition from somebody else deserves the reading any code
does.

The source is compiled and run (its top level: imports, helpers) when the grader is built: a
syntax error, an error at its top level or no two-argument ``grade`` is a ``GraderError``
naming the grader. Each cell then calls ``grade`` in a worker thread (so a slow grade does not
stall the grid's event loop) with

- ``sample``: ``{"output_text": str, "output_json": ..., "output_tools": [...]}`` (OpenAI's
  sample also has ``choices`` and ``output_audio``, which a grid's cell does not keep), and
- ``item``: a copy of the cell's row of vars, reference columns included.

It returns a number (an int, a float, a bool as 0 or 1); anything else, a NaN or an exception
gives a failed grade with the error (OpenAI scores those 0: a failed grade keeps the error in
sight and out of the grid's means). ``image_tag`` (OpenAI's choice of container image) is
accepted and ignored: the code runs with whatever the notebook has installed.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import numbers
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._grading import Grade, Grader, GraderError, GradingContext, Sample
from ._registry import check_keys, grader_label, number_value, register_grader_type, text_value

__all__ = ["PythonGrader"]


@dataclass(eq=False)
class PythonGrader(Grader):
    """OpenAI's ``python`` grader: the user's ``grade(sample, item)`` gives the score.

    Attributes:
        name: the grader's name.
        source: the Python source that defines ``grade``.
        function: the ``grade`` function the source defined.
        pass_threshold: the score a cell passes at; None for no pass/fail.
    """

    name: str
    source: str
    function: Callable[[dict[str, Any], dict[str, Any]], Any]
    pass_threshold: float | None = None

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        arguments = {
            "output_text": sample.output_text,
            "output_json": sample.output_json,
            "output_tools": [dict(tool) for tool in sample.output_tools],
        }
        try:
            value = await asyncio.to_thread(self.function, arguments, dict(item))
        except Exception as exc:  # the user's code failed: this grade fails, the grid goes on
            code = getattr(self.function, "__code__", None)
            where = _where(exc, getattr(code, "co_filename", ""))
            return Grade.failed(f"grade() raised {where}{type(exc).__name__}: {exc}")
        if not isinstance(value, numbers.Real):
            return Grade.failed(f"grade() returned {type(value).__name__}, not a number")
        score = float(value)
        if math.isnan(score):
            return Grade.failed("grade() returned NaN")
        passed = None if self.pass_threshold is None else score >= self.pass_threshold
        return Grade(score=score, passed=passed)


def _where(exc: BaseException, filename: str) -> str:
    """``at line N: `` for the innermost frame in the grader's own source, when there is one."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return f"at line {frames[-1].lineno}: " if frames else ""


def _filename(label: str) -> str:
    """The file name tracebacks give the grader's source."""
    return f"<grader {label}>"


def build_python(definition: Mapping[str, Any]) -> PythonGrader:
    """A ``python`` grader from its definition: the source compiled and run, ``grade`` found."""
    check_keys(definition, ("source",), ("image_tag", "pass_threshold"))
    label = grader_label(definition)
    source = text_value(definition, "source")
    if "image_tag" in definition:
        text_value(definition, "image_tag")
    threshold = number_value(definition, "pass_threshold")
    try:
        code = compile(source, _filename(label), "exec")
    except SyntaxError as exc:
        raise GraderError(label, f"'source' line {exc.lineno}: {exc.msg}") from None
    namespace: dict[str, Any] = {"__name__": f"grader_{label}"}
    try:
        exec(code, namespace)  # the user's own grader code, in the user's own notebook
    except Exception as exc:
        message = f"'source' raised {_where(exc, _filename(label))}{type(exc).__name__}: {exc}"
        raise GraderError(label, message) from None
    function = namespace.get("grade")
    if not callable(function):
        raise GraderError(label, "'source' defines no function grade(sample, item)")
    try:
        inspect.signature(function).bind(None, None)
    except (TypeError, ValueError):
        message = "grade must take two arguments, grade(sample, item)"
        raise GraderError(label, message) from None
    return PythonGrader(
        name=definition.get("name", "python"),
        source=source,
        function=function,
        pass_threshold=threshold,
    )


register_grader_type("python", build_python)
