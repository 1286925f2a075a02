"""Model graders (OpenAI's ``score_model`` and ``label_model``): a judge model asked for a score
or a label with its reasoning, ``judge_repeats`` times at once, and the repeats combined.

Each repeat is one call to the grid's ``JudgeCall``. A repeat fails when the judge raises, its
reply does not parse against the schema, its score is outside the range or its label is not
declared (OpenAI's hosted grader clips such a score to the range and scores a non-number 0;
workbench says instead that the judge did not answer as asked). When every repeat fails the
grade fails (``Grade.failed``, each repeat's cause in the error); when some succeed, the grade
stands on those and ``Grade.failed_runs`` lists the others, each with its cause
(``len(runs) + len(failed_runs)`` is the number of repeats).

Combining the repeats that answered:

- ``score_model``: ``score`` the mean of ``runs``; ``spread`` their population standard
  deviation; ``passed`` whether the mean reaches ``pass_threshold``; ``agreement`` the share of
  repeats on the majority side of the threshold (None without a threshold).
- ``label_model``: ``label`` the most frequent label (a tie goes to the first in ``labels``);
  ``passed`` whether it is a passing label; ``runs`` 1.0 for each repeat that gave a passing
  label, else 0.0, and ``score`` their mean; ``agreement`` the share of repeats that gave the
  majority label.

``reasoning`` is the first answering repeat's (in repeat order); ``cost_usd`` the sum over the
judge's replies, None when any reply's price is unknown or none came back.
"""

from __future__ import annotations

import asyncio
import copy
import statistics
from abc import abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..protocol._token_estimate import (
    CHARS_PER_TOKEN,
    TOKENS_PER_MESSAGE,
    prompt_estimate,
    text_tokens,
)
from ._grading import Grade, Grader, GradingContext, JudgeCall, Sample
from ._judge_definition import (
    COMMON_KEYS,
    JudgeDefinition,
    read_judge,
    read_labels,
    read_range,
    read_threshold,
)
from ._judge_replies import (
    JudgeVerdict,
    ReplyError,
    label_format,
    parse_label,
    parse_score,
    schema_instruction,
    score_format,
)
from ._registry import register_grader_type
from ._templates import filled_length, render_template

__all__ = [
    "JUDGE_MAX_TOKENS",
    "LabelModelGrader",
    "ScoreModelGrader",
    "build_label_model",
    "build_score_model",
]

JUDGE_MAX_TOKENS = 1024
"""The most tokens a judge is expected to answer with when ``sampling_params`` sets no
``max_completions_tokens`` (for the grid's cost estimate only; nothing caps the judge)."""


@dataclass(frozen=True, slots=True)
class _Run:
    """One repeat's outcome: a verdict, or why it failed; ``replied`` when the judge answered."""

    verdict: JudgeVerdict | None
    error: str | None
    replied: bool
    cost_usd: float | None = None


class _ModelGrader(Grader):
    """What both model graders share: the prompt, the calls to the judge, failures and cost."""

    uses_model = True
    response_format: dict[str, Any]
    """The ``json_schema`` response format the judge is asked to answer in."""
    _result_words: str

    def __init__(self, judge: JudgeDefinition, definition: Mapping[str, Any]) -> None:
        self.name = judge.name
        self.model = judge.model
        self.messages = judge.messages
        self.params = judge.params
        self.definition: dict[str, Any] = copy.deepcopy(dict(definition))
        self._references = set(judge.references)

    def references(self) -> set[str]:
        return set(self._references)

    def judge_requests(self, repeats: int = 1) -> list[tuple[str, int]]:
        max_tokens = int(self.params.get("max_completion_tokens") or JUDGE_MAX_TOKENS)
        return [(self.model, max_tokens)] * max(1, repeats)

    def judge_prompt_tokens(self, item: Mapping[str, Any], reply_tokens: int) -> list[int | None]:
        """The tokens of ``prompt()`` and the response format, as the grid's judge counts them
        (``prompt_estimate``), with each ``sample`` field taken as ``reply_tokens`` long."""
        reply_chars = reply_tokens * CHARS_PER_TOKEN
        chars = sum(_filled_chars(m["content"], item, reply_chars) for m in self.messages)
        instruction = {"role": "system", "content": schema_instruction(self._result_words)}
        rest = prompt_estimate([instruction], [self.response_format])
        return [text_tokens(chars) + TOKENS_PER_MESSAGE * len(self.messages) + rest]

    def prompt(self, sample: Sample, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The messages the judge receives for one cell: templates filled, then the schema in
        words as a last system message.

        Raises:
            KeyError: a template path the item or sample lacks (its message names the path).
        """
        messages = [
            {"role": m["role"], "content": _fill(m["content"], sample, item)} for m in self.messages
        ]
        messages.append({"role": "system", "content": schema_instruction(self._result_words)})
        return messages

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        if context.judge is None:
            return Grade.failed(f"no judge: the grid gave {self.name} no way to call {self.model}")
        try:
            messages = self.prompt(sample, item)
        except KeyError as exc:
            return Grade.failed(f"template {exc.args[0]}")
        repeats = max(1, context.judge_repeats)
        asks = (self._ask(context.judge, messages) for _ in range(repeats))
        runs = await asyncio.gather(*asks)
        cost = _cost(runs)
        failures = tuple(f"run {i + 1}: {r.error}" for i, r in enumerate(runs) if r.error)
        verdicts = [run.verdict for run in runs if run.verdict is not None]
        if not verdicts:
            if repeats == 1:
                return Grade.failed(f"judge {self.model}: {runs[0].error}", cost_usd=cost)
            every = f"judge {self.model} failed on all {repeats} runs: " + "; ".join(failures)
            return Grade.failed(every, cost_usd=cost)
        return self._combine(verdicts, failures, cost)

    async def _ask(self, judge: JudgeCall, messages: list[dict[str, Any]]) -> _Run:
        try:
            reply = await judge(
                self.model, messages, response_format=self.response_format, params=self.params
            )
        except Exception as exc:  # a failing judge costs this repeat, never the grid
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return _Run(None, f"the judge raised {cause}", replied=False)
        try:
            verdict = self._parse(reply.text)
        except ReplyError as exc:
            return _Run(None, str(exc), replied=True, cost_usd=reply.cost_usd)
        return _Run(verdict, None, replied=True, cost_usd=reply.cost_usd)

    @abstractmethod
    def _parse(self, text: str) -> JudgeVerdict:
        """One reply read; raises ReplyError when it does not fit."""

    @abstractmethod
    def _combine(
        self, verdicts: list[JudgeVerdict], failures: tuple[str, ...], cost: float | None
    ) -> Grade:
        """The grade from the repeats that answered."""


class ScoreModelGrader(_ModelGrader):
    """OpenAI's ``score_model``: a judge scores each reply within ``range``; build it with
    ``build_score_model``.

    Attributes:
        range: the lowest and highest score.
        pass_threshold: the mean score at or above which a cell passes (None: no pass/fail).
        definition: the definition it was built from (OpenAI's JSON shape).
    """

    def __init__(
        self,
        judge: JudgeDefinition,
        definition: Mapping[str, Any],
        score_range: tuple[float, float],
        pass_threshold: float | None,
    ) -> None:
        super().__init__(judge, definition)
        self.range = score_range
        self.pass_threshold = pass_threshold
        self.response_format = score_format(*score_range)
        self._result_words = f"<a number from {score_range[0]:g} to {score_range[1]:g}>"

    def _parse(self, text: str) -> JudgeVerdict:
        return parse_score(text, *self.range)

    def _combine(
        self, verdicts: list[JudgeVerdict], failures: tuple[str, ...], cost: float | None
    ) -> Grade:
        runs = tuple(float(v.result) for v in verdicts)
        score = statistics.fmean(runs)
        threshold = self.pass_threshold
        passed = None if threshold is None else score >= threshold
        agreement = None
        if threshold is not None:
            votes = Counter(run >= threshold for run in runs)
            agreement = max(votes.values()) / len(runs)
        return Grade(
            score=score,
            passed=passed,
            reasoning=verdicts[0].reasoning,
            runs=runs,
            spread=statistics.pstdev(runs),
            agreement=agreement,
            cost_usd=cost,
            failed_runs=failures,
        )


class LabelModelGrader(_ModelGrader):
    """OpenAI's ``label_model``: a judge picks one of ``labels`` for each reply; a cell passes
    when the label is one of ``passing_labels``. Build it with ``build_label_model``.

    Attributes:
        labels: the labels the judge chooses from, in order (ties go to the first).
        passing_labels: the labels that pass.
        definition: the definition it was built from (OpenAI's JSON shape).
    """

    def __init__(
        self,
        judge: JudgeDefinition,
        definition: Mapping[str, Any],
        labels: Sequence[str],
        passing_labels: frozenset[str],
    ) -> None:
        super().__init__(judge, definition)
        self.labels = tuple(labels)
        self.passing_labels = passing_labels
        self.response_format = label_format(self.labels)
        self._result_words = "<one of " + ", ".join(f'"{label}"' for label in self.labels) + ">"

    def _parse(self, text: str) -> JudgeVerdict:
        return parse_label(text, self.labels)

    def _combine(
        self, verdicts: list[JudgeVerdict], failures: tuple[str, ...], cost: float | None
    ) -> Grade:
        given = [str(v.result) for v in verdicts]
        counts = Counter(given)
        label = max(self.labels, key=lambda name: (counts[name], -self.labels.index(name)))
        runs = tuple(1.0 if name in self.passing_labels else 0.0 for name in given)
        return Grade(
            score=statistics.fmean(runs),
            passed=label in self.passing_labels,
            reasoning=verdicts[0].reasoning,
            label=label,
            runs=runs,
            spread=statistics.pstdev(runs),
            agreement=counts[label] / len(given),
            cost_usd=cost,
            failed_runs=failures,
        )


_SCORE_KEYS = (*COMMON_KEYS, "range", "pass_threshold", "sampling_params")
_LABEL_KEYS = (*COMMON_KEYS, "labels", "passing_labels", "sampling_params")


def build_score_model(definition: Mapping[str, Any]) -> ScoreModelGrader:
    """A ``score_model`` grader from its definition in OpenAI's JSON shape.

    Raises:
        GraderError: a missing model or input, an unknown key or sampling parameter, a range
            that is not ``[low, high]`` with low < high, a pass_threshold outside the range, or
            an unknown template variable; the message names the grader and the key.
    """
    judge = read_judge(definition, "score_model", _SCORE_KEYS)
    score_range = read_range(definition.get("range"), judge.name)
    threshold = read_threshold(definition.get("pass_threshold"), judge.name, *score_range)
    return ScoreModelGrader(judge, definition, score_range, threshold)


def build_label_model(definition: Mapping[str, Any]) -> LabelModelGrader:
    """A ``label_model`` grader from its definition in OpenAI's JSON shape (which has no
    ``sampling_params``; workbench takes them as ``score_model`` does).

    Raises:
        GraderError: a missing model or input, empty or repeated labels, passing_labels that
            are not a subset of labels, an unknown key or sampling parameter, or an unknown
            template variable; the message names the grader and the key.
    """
    judge = read_judge(definition, "label_model", _LABEL_KEYS)
    labels, passing = read_labels(definition, judge.name)
    return LabelModelGrader(judge, definition, labels, passing)


def _fill(content: Any, sample: Sample, item: Mapping[str, Any]) -> Any:
    """A message's content with every template filled (text, image URLs, audio data)."""
    if isinstance(content, str):
        return render_template(content, sample, item)
    parts = []
    for part in content:
        part = copy.deepcopy(part)
        if part["type"] == "text":
            part["text"] = render_template(part["text"], sample, item)
        elif part["type"] == "image_url":
            part["image_url"]["url"] = render_template(part["image_url"]["url"], sample, item)
        else:
            audio = part["input_audio"]
            audio["data"] = render_template(audio["data"], sample, item)
        parts.append(part)
    return parts


def _filled_chars(content: Any, item: Mapping[str, Any], reply_chars: int) -> int:
    """The characters of a message's text once filled (its text parts; as ``content_chars``)."""
    if isinstance(content, str):
        return filled_length(content, item, reply_chars)
    texts = (part["text"] for part in content if part["type"] == "text")
    return sum(filled_length(text, item, reply_chars) for text in texts)


def _cost(runs: Sequence[_Run]) -> float | None:
    """The judge's replies' total price; None when any is unknown or none came back."""
    replied = [run.cost_usd for run in runs if run.replied]
    if not replied or any(cost is None for cost in replied):
        return None
    return sum(cost for cost in replied if cost is not None)


register_grader_type("score_model", build_score_model)
register_grader_type("label_model", build_label_model)
