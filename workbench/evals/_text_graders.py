"""OpenAI's ``string_check`` and ``text_similarity`` graders: two templates filled from the
cell, compared.

``string_check`` (https://developers.openai.com/api/docs/guides/graders, "String check
grader") scores 1 or 0: ``eq`` the input equals the reference, ``ne`` it does not, ``like`` the
input contains the reference, ``ilike`` the same ignoring case (Unicode case folding). A cell
passes at 1, or at the ``pass_threshold`` when the definition gives one (an addition: OpenAI's
``string_check`` has none).

``text_similarity`` scores 0 to 1 by its ``evaluation_metric`` (see ``_similarity`` for each
metric's library and settings) and passes at ``pass_threshold``, which OpenAI requires. Its
``cosine`` embeds through the grid's client; an ``embedding_model`` key (a workbench addition)
chooses the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._grading import Grade, Grader, GraderError, GradingContext, Sample
from ._registry import (
    check_keys,
    grader_label,
    number_value,
    register_grader_type,
    template_value,
    text_value,
)
from ._similarity import METRICS, Metric, embedded_cosine, metric
from ._templates import render_template

__all__ = ["OPERATIONS", "StringCheckGrader", "TextSimilarityGrader"]

OPERATIONS = ("eq", "ne", "like", "ilike")
"""The ``operation`` values of ``string_check``."""


def string_check(operation: str, text: str, reference: str) -> bool:
    """Whether ``text`` passes ``operation`` against ``reference`` (OpenAI's meanings)."""
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    if operation == "ilike":
        return reference.casefold() in text.casefold()
    raise ValueError(operation)


def _fill(
    input_template: str, reference_template: str, sample: Sample, item: Mapping[str, Any]
) -> tuple[str, str] | str:
    """Both templates filled, or the error that stops the grade."""
    try:
        return render_template(input_template, sample, item), render_template(
            reference_template, sample, item
        )
    except KeyError as exc:
        return exc.args[0] if exc.args else str(exc)


@dataclass(eq=False)
class StringCheckGrader(Grader):
    """OpenAI's ``string_check``: 1 when ``operation`` holds between ``input`` and
    ``reference`` (templates), else 0.

    Attributes:
        name: the grader's name.
        operation: ``eq``, ``ne``, ``like`` (input contains reference) or ``ilike`` (the same,
            ignoring case).
        input: the template of the text graded (usually ``{{ sample.output_text }}``).
        reference: the template of the text it is checked against (``{{ item.expected }}``).
        pass_threshold: the score a cell passes at (1 unless given).
    """

    name: str
    operation: str
    input: str
    reference: str
    pass_threshold: float | None = 1.0
    columns: set[str] = field(default_factory=set, repr=False)

    def references(self) -> set[str]:
        return set(self.columns)

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        filled = _fill(self.input, self.reference, sample, item)
        if isinstance(filled, str):
            return Grade.failed(filled)
        score = 1.0 if string_check(self.operation, *filled) else 0.0
        return Grade(score=score, passed=score >= _or_one(self.pass_threshold))


@dataclass(eq=False)
class TextSimilarityGrader(Grader):
    """OpenAI's ``text_similarity``: how close ``input`` is to ``reference`` (templates) by
    ``evaluation_metric``, from 0 to 1.

    Attributes:
        name: the grader's name.
        evaluation_metric: one of ``METRICS``.
        input: the template of the text graded.
        reference: the template of the text it is compared with.
        pass_threshold: the score a cell passes at.
        embedding_model: ``cosine``'s embedding model; None for the server's default
            (``text-embedding-3-small``, or the local model's own).
    """

    name: str
    evaluation_metric: str
    input: str
    reference: str
    pass_threshold: float | None = None
    embedding_model: str | None = None
    columns: set[str] = field(default_factory=set, repr=False)
    compute: Metric | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.compute is None and self.evaluation_metric != "cosine":
            self.compute = metric(self.evaluation_metric)

    def references(self) -> set[str]:
        return set(self.columns)

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        filled = _fill(self.input, self.reference, sample, item)
        if isinstance(filled, str):
            return Grade.failed(filled)
        if self.compute is None:  # cosine
            found = await embedded_cosine(context.embed, *filled, self.embedding_model)
            if isinstance(found, str):
                return Grade.failed(found)
            score = found
        else:
            try:
                score = min(1.0, max(0.0, self.compute(*filled)))  # sacrebleu: 1 + 4e-16
            except Exception as exc:  # a library's failure on odd text fails this grade only
                return Grade.failed(f"{self.evaluation_metric}: {type(exc).__name__}: {exc}")
        passed = None if self.pass_threshold is None else score >= self.pass_threshold
        return Grade(score=score, passed=passed)


def build_string_check(definition: Mapping[str, Any]) -> StringCheckGrader:
    """A ``string_check`` grader from its definition."""
    check_keys(definition, ("operation", "input", "reference"), ("pass_threshold",))
    columns: set[str] = set()
    return StringCheckGrader(
        name=definition.get("name", "string_check"),
        operation=text_value(definition, "operation", OPERATIONS),
        input=template_value(definition, "input", columns),
        reference=template_value(definition, "reference", columns),
        pass_threshold=_or_one(number_value(definition, "pass_threshold")),
        columns=columns,
    )


def _or_one(threshold: float | None) -> float:
    return 1.0 if threshold is None else threshold


def build_text_similarity(definition: Mapping[str, Any]) -> TextSimilarityGrader:
    """A ``text_similarity`` grader from its definition (its metric's library loaded)."""
    keys = ("evaluation_metric", "input", "reference", "pass_threshold")
    check_keys(definition, keys, ("embedding_model",))
    columns: set[str] = set()
    evaluation_metric = text_value(definition, "evaluation_metric", METRICS)
    input_template = template_value(definition, "input", columns)
    reference_template = template_value(definition, "reference", columns)
    threshold = number_value(definition, "pass_threshold")
    embedding_model = _embedding_model(definition, evaluation_metric)
    try:
        compute = metric(evaluation_metric)
    except ImportError as exc:
        label = grader_label(definition)
        raise GraderError(label, f"{evaluation_metric} needs {exc.name}: {exc}") from None
    return TextSimilarityGrader(
        name=definition.get("name", "text_similarity"),
        evaluation_metric=evaluation_metric,
        input=input_template,
        reference=reference_template,
        pass_threshold=threshold,
        columns=columns,
        compute=compute,
        embedding_model=embedding_model,
    )


def _embedding_model(definition: Mapping[str, Any], evaluation_metric: str) -> str | None:
    """The definition's ``embedding_model`` (a workbench addition), for ``cosine`` only."""
    if "embedding_model" not in definition:
        return None
    label = grader_label(definition)
    if evaluation_metric != "cosine":
        raise GraderError(
            label, f"'embedding_model' is for the cosine metric, not {evaluation_metric}"
        )
    model = definition["embedding_model"]
    if not isinstance(model, str) or not model:
        raise GraderError(label, f"'embedding_model' must be a non-empty string, not {model!r}")
    return model


register_grader_type("string_check", build_string_check)
register_grader_type("text_similarity", build_text_similarity)
