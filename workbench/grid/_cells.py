"""A grid's cells: the key that names one, and what it holds as it runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ..conversation._protocol_choice import Api
from ..evals import Grade

__all__ = ["ANSWERED", "CUT_BY", "Cell", "CellKey", "CellStatus", "ScoreError", "reset_cell"]

CellStatus = Literal[
    "pending", "running", "done", "cut", "incomplete", "error", "cancelled", "skipped"
]
FINAL_STATUSES: tuple[CellStatus, ...] = (
    "done", "cut", "incomplete", "error", "cancelled", "skipped"
)  # fmt: skip
ANSWERED: tuple[CellStatus, ...] = ("done", "cut")
"""The statuses of a cell whose reply came back whole from the server (priced, scored, and not
sent again by ``run()``): ``cut`` is whole as sent, but not the whole answer."""
CUT_BY = {
    "length": "cut at the token limit (finish_reason length)",
    "content_filter": "withheld by the content filter (finish_reason content_filter)",
}
"""A ``cut`` cell's ``error``, by the reply's ``finish_reason``."""


_KEY_APIS: tuple[Api, ...] = ("responses", "auto")


@dataclass(frozen=True, slots=True)
class CellKey:
    """Names one cell: which prompt, which row of ``vars``, which model, which parameter set,
    which repeat (indexes from 0; ``vars`` is 0 when the grid has none), and which protocol
    (``api``: ``chat``, ``responses`` or ``auto``, as ``Conversation(api=...)`` takes it).

    ``str(key)`` is the compact form used as a Batch API ``custom_id``:
    ``p0-v1-s0-r2-gpt-4o-mini`` (the model last, so that dashes in its name stay readable);
    a cell sent through another protocol than Chat Completions names it before the model:
    ``p0-v1-s0-r2-responses:gpt-4o-mini``.
    """

    prompt: int
    vars: int
    model: str
    params: int
    repeat: int
    api: Api = "chat"

    def __str__(self) -> str:
        model = self.model if self.api == "chat" else f"{self.api}:{self.model}"
        return f"p{self.prompt}-v{self.vars}-s{self.params}-r{self.repeat}-{model}"

    @classmethod
    def parse(cls, text: str) -> CellKey:
        """Read a key back from its ``str()`` form.

        Raises:
            ValueError: the text is not a cell key.
        """
        parts = text.split("-", 4)
        prefixes = ("p", "v", "s", "r")
        if len(parts) != 5 or not parts[4]:
            raise ValueError(f"{text!r} is not a cell key (like 'p0-v0-s0-r0-gpt-4o-mini')")
        numbers: list[int] = []
        for prefix, part in zip(prefixes, parts[:4], strict=True):
            if not (part.startswith(prefix) and part[1:].isdigit()):
                raise ValueError(f"{text!r} is not a cell key (like 'p0-v0-s0-r0-gpt-4o-mini')")
            numbers.append(int(part[1:]))
        api: Api = "chat"
        model = parts[4]
        for named in _KEY_APIS:
            if model.startswith(named + ":") and len(model) > len(named) + 1:
                api, model = named, model[len(named) + 1 :]
        return cls(numbers[0], numbers[1], model, numbers[2], numbers[3], api)


@dataclass(frozen=True, slots=True)
class ScoreError:
    """What a scorer left in its column when it raised: the error, never a score."""

    message: str

    def __str__(self) -> str:
        return f"error: {self.message}"


@dataclass(eq=False)
class Cell:
    """One request of a grid (a prompt, filled from a row of vars, to one model with one
    parameter set, once per repeat), and what came back.

    The grid updates a cell while it runs (from a worker thread under ``grid.run()``): ``output``
    grows as the reply streams, then the rest is filled in when the turn ends.

    Attributes:
        key: the cell's ``CellKey``.
        row: its row in the table (one per prompt x vars row), as in ``grid.row_labels``.
        column: its column (one per model x parameter set), as in ``grid.column_labels``.
        repeat: which repeat (from 0).
        prompt: the text of the user message sent (templates filled).
        vars: the row of ``vars`` the prompt was filled from (empty without vars).
        params: the cell's parameter set (without the model).
        status: ``pending``, ``running``, ``done``, ``cut`` (the server ended the reply
            before its end: ``finish_reason`` ``length``, the token limit, or
            ``content_filter``; ``error`` says which), ``incomplete`` (the reply came back cut
            short, e.g. with no ``finish_reason``; ``error`` says why), ``error``,
            ``cancelled`` or ``skipped``.
        output: the reply's text (the final reply after any tool rounds).
        parsed: the structured output when the grid has a ``response_format``.
        refusal: the model's refusal, if it refused.
        finish_reason: why the reply ended (``stop``, ``length``, ``tool_calls``, ...).
        tool_calls: the tools called during the turn, each ``{"name", "arguments", "result"}``.
        error: what went wrong (``error``, ``incomplete``), what cut the reply (``cut``), or
            why the cell did not run
            (``cancelled``, ``skipped``); None otherwise.
        conversation: the ``workbench.Conversation`` that ran the cell; None before it starts.
        usage: the tokens of the turn (summed over tool rounds), a ``CompletionUsage``.
        usage_source: ``server`` (the server's counts), ``estimate`` (some reply's usage was
            estimated from its text: the server sent none), or None.
        cost_usd: the turn's price in dollars; None when unknown (never 0 for unknown).
        latency_s: seconds from sending to the end of the turn.
        ttft_s: seconds from sending to the first token.
        scores: one value per scorer (a ``ScoreError`` where the scorer raised).
        grades: one ``workbench.evals.Grade`` per grader (``graders=``), by grader name.
        judge_cost_usd: what the model graders' judge requests for this cell cost (None when
            no judge was asked; priced replies only).
        request_id: the server's ``x-request-id`` for the last reply.
        attempts: how many times the cell was sent (rate-limited sends are sent again).
        batch_id: the Batch API batch that answered the cell (``grid.run(batch=True)``);
            None for a cell sent directly.
    """

    key: CellKey
    row: int
    column: int
    repeat: int
    prompt: str = ""
    vars: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    status: CellStatus = "pending"
    parsed: Any = None
    refusal: str | None = None
    finish_reason: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    error: str | None = None
    conversation: Any = None
    usage: Any = None
    usage_source: str | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    grades: dict[str, Grade] = field(default_factory=dict)
    judge_cost_usd: float | None = None
    request_id: str | None = None
    attempts: int = 0
    batch_id: str | None = None
    _parts: list[str] = field(default_factory=list, repr=False)

    @property
    def output(self) -> str:
        """The reply's text: what has streamed so far, all of it once the cell is done."""
        return "".join(self._parts)

    @output.setter
    def output(self, value: str) -> None:
        self._parts = [value] if value else []

    def add_output(self, delta: str) -> None:
        """Append streamed text (appends are cheap; ``output`` joins when read)."""
        self._parts.append(delta)

    @property
    def model(self) -> str:
        """The model the cell asks."""
        return self.key.model

    @property
    def api(self) -> Api:
        """The protocol the cell is sent through (``chat``, ``responses`` or ``auto``)."""
        return self.key.api

    @property
    def finished(self) -> bool:
        """Whether the cell has its final status (done, error, cancelled or skipped)."""
        return self.status in FINAL_STATUSES

    def fresh(self) -> Cell:
        """A pending copy of this cell (same key and inputs, nothing run)."""
        return Cell(
            self.key, self.row, self.column, self.repeat, self.prompt, self.vars, self.params
        )

    def __repr__(self) -> str:
        text = self.error if self.status in ("error", "skipped") else self.output
        text = " ".join((text or "").split())
        shown = text if len(text) <= 50 else text[:47] + "..."
        return f"Cell({str(self.key)!r}, {self.status}, {shown!r})"


def reset_cell(cell: Cell) -> None:
    """Make ``cell`` pending again, in place (a batch run's jobs hold it)."""
    fresh = cell.fresh()
    for name in (f.name for f in dataclasses.fields(Cell)):
        setattr(cell, name, getattr(fresh, name))
