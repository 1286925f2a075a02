"""What every grader shares: the sample it grades, the grade it gives, and how a model grader
calls its judge.

A grader is built once per grid (from OpenAI's grader JSON shape or a Python callable), checked
against the grid's columns before anything is sent (``references``), then called once per
answered cell with the reply (``Sample``) and the cell's row of vars (``item``, with its
reference columns such as ``expected``). A grader never raises for a bad reply or a failed
judge: it returns a ``Grade`` with ``error`` set, so one cell's grade fails and the grid goes on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .._exceptions import InvalidParameterError

__all__ = [
    "EmbedCall",
    "Grade",
    "Grader",
    "GraderError",
    "GradingContext",
    "JudgeCall",
    "JudgeReply",
    "Sample",
]


class GraderError(InvalidParameterError):
    """A grader definition that cannot run: an unknown type, an unknown template variable, a
    reference column the data lacks, labels that do not fit. Raised before a grid runs; the
    message names the grader (``graders[<name>]``) and, where one cell is at fault, the cell."""

    def __init__(self, grader: str, message: str, *, allowed: str | Sequence[Any] | None = None):
        super().__init__(f"graders[{grader}]", message, allowed=allowed)
        self.grader = grader


@dataclass(frozen=True, slots=True)
class Sample:
    """What a grader sees of one reply, named as OpenAI's ``sample`` template namespace names it.

    Attributes:
        output_text: the reply's text.
        output_json: the structured output as plain JSON values (a dict for a pydantic object),
            when the cell asked for one; else the text parsed as JSON if it is JSON; else None.
        output_tools: the tool calls of the turn, as Chat Completions shapes them
            (``{"id", "type": "function", "function": {"name", "arguments"}}``).
    """

    output_text: str
    output_json: Any = None
    output_tools: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Grade:
    """One grader's verdict on one cell.

    Attributes:
        score: the score (``string_check``: 0 or 1; ``text_similarity``: 0 to 1; a judge: the
            mean over its repeats); None when the grade failed.
        passed: whether the score reached the grader's pass threshold (or, for
            ``label_model``, whether the label is a passing one); None when the grader has no
            threshold or the grade failed.
        reasoning: a judge's reasoning (the first repeat's, when it ran more than once).
        label: ``label_model``'s label (the most frequent one over repeats).
        error: why the grade failed (a judge that did not answer, a reply that does not
            parse); the cell's reply is not at fault.
        runs: a judge's score on each repeat.
        spread: the standard deviation of ``runs`` (0 for one run).
        agreement: the share of repeats that agree with the majority verdict (pass/fail, or the
            label), from 1/len(runs) to 1.
        cost_usd: what the judge's calls cost; None when unknown or no model was called.
        failed_runs: a judge's repeats that failed while others answered, each with its cause
            (``run 2: reply is not JSON ...``); the grade stands on ``runs``.
    """

    score: float | None
    passed: bool | None = None
    reasoning: str | None = None
    label: str | None = None
    error: str | None = None
    runs: tuple[float, ...] = ()
    spread: float | None = None
    agreement: float | None = None
    cost_usd: float | None = None
    failed_runs: tuple[str, ...] = ()

    @classmethod
    def failed(cls, error: str, *, cost_usd: float | None = None) -> Grade:
        """A grade that could not be given, and why."""
        return cls(score=None, error=error, cost_usd=cost_usd)


@dataclass(frozen=True, slots=True)
class JudgeReply:
    """A judge model's answer to one grading request.

    Attributes:
        text: the reply's text (the JSON object the judge was asked for).
        cost_usd: its price; None when unknown.
        prompt_tokens: tokens sent, when the server said.
        completion_tokens: tokens received, when the server said.
    """

    text: str
    cost_usd: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class JudgeCall(Protocol):
    """How a model grader asks its judge: one request, the reply's text and cost back.

    ``messages`` are Chat Completions messages (templates already filled); ``response_format``
    is a ``json_schema`` response format; ``params`` are sampling parameters
    (``temperature``, ``seed``, ``max_completion_tokens``, ``reasoning_effort``, ...).
    Raises ``workbench.APIError`` (or any error) when the judge fails; the grader turns it
    into a failed ``Grade``.
    """

    async def __call__(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        response_format: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JudgeReply: ...


class EmbedCall(Protocol):
    """How a grader embeds texts (``text_similarity`` with ``cosine``): one vector per text,
    in order, from the grid's server.

    ``model`` None is the server's default embedding model (the grid chooses it). Raises
    ``workbench.APIError`` when the server fails (``NotFoundError``: it has no embeddings
    endpoint); the grader turns it into a failed ``Grade``.
    """

    async def __call__(self, texts: list[str], model: str | None = None) -> list[list[float]]: ...


@dataclass(frozen=True, slots=True)
class GradingContext:
    """What a grid gives its graders for a run.

    Attributes:
        judge: how model graders call their judge (None: a grid with no model grader).
        judge_repeats: how many times each model grader asks its judge per cell.
        embed: how graders embed texts through the grid's client (None: no embeddings).
    """

    judge: JudgeCall | None = None
    judge_repeats: int = 1
    embed: EmbedCall | None = None


class Grader(ABC):
    """A grader: a name, an optional pass threshold, and ``grade``.

    Attributes:
        name: the grader's name, unique in a grid; its columns are named after it.
        pass_threshold: the score at or above which a cell passes; None for no pass/fail
            (``label_model`` passes by its ``passing_labels`` instead).
        uses_model: whether grading calls a judge model (its cost counts in the grid's budget).
    """

    name: str
    pass_threshold: float | None = None
    uses_model: bool = False

    def references(self) -> set[str]:
        """The ``item`` columns the grader reads (``{{item.expected}}`` -> ``expected``): a
        grid checks its data has each before it runs."""
        return set()

    def judge_requests(self, repeats: int = 1) -> list[tuple[str, int]]:
        """For a model grader: per call to the judge when it grades one cell ``repeats`` times,
        its model and the most tokens it may answer with (for the grid's cost estimate). Empty
        for graders that call no model."""
        return []

    def judge_prompt_tokens(self, item: Mapping[str, Any], reply_tokens: int) -> list[int | None]:
        """For a model grader: per call of ``judge_requests()``, about how many prompt tokens
        its judge reads when it grades a cell whose vars are ``item`` and whose reply is about
        ``reply_tokens`` long (the grid's cost estimate and budget). None where the grader
        cannot tell: the grid then assumes the cell's prompt and reply and a short rubric."""
        return [None] * len(self.judge_requests())

    @abstractmethod
    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        """Grade one reply. Never raises for a bad reply or a failing judge: returns
        ``Grade.failed(...)`` instead."""
