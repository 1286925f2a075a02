"""The judge of a grid's model graders: their requests sent through the grid's own client,
under its concurrency limit and its budget, and priced as its cells are.

A judge's request is one whole (not streamed) Chat Completions request. A cell reserves the
estimated cost of its judging with its own (``_estimate.judge_cell_estimate``). Once it has a
place under the concurrency limit, a judge request counts against that reservation with what
the cell's judges spent and the estimates of its requests still in flight (a cell's repeats and
graders ask at once); past the reservation it is sent only while the budget has room for the
excess, which the budget then holds until the cell settles (as it holds what a judge's reply
costs past its estimate). Once the run has spent past its limit, no judge request is sent.

Graders embed texts (``text_similarity``'s ``cosine``) through the same client and limit; an
embeddings request is priced into the cell's judge cost where its price is known, but not
reserved beforehand (its price is a few millionths of a dollar).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import RateLimitError
from ..client._chat_client import is_async_client
from ..client._retries import retry_after
from ..evals import Grade, GradingContext, JudgeReply
from ..protocol._pricing import cost_usd
from ..protocol._token_estimate import prompt_estimate
from ._cells import ANSWERED
from ._estimate import Budget, BudgetExceeded, check_prices, check_start, judge_models
from ._graders import grade_cell
from ._limiter import AdaptiveLimiter
from ._sender import Sender, open_sender

if TYPE_CHECKING:
    from ._cells import Cell
    from ._grid import Grid

__all__ = ["DEFAULT_EMBEDDING_MODEL", "CellJudge", "default_embedding_model", "grade_answered"]

DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
"""The embedding model graders use on a server unless they name one (``embedding_model``)."""


def default_embedding_model(client: object) -> str:
    """The embedding model for a grid's client: the local model's own in-process, else
    ``text-embedding-3-small`` (OpenAI's cheaper one; the local model over HTTP takes any
    name)."""
    local = getattr(client, "local_model", None)  # a LocalModel names its own
    return getattr(local, "embedding_model", None) or DEFAULT_EMBEDDING_MODEL


class CellJudge:
    """The ``JudgeCall`` the graders of one cell get: it sends through the run's client, waits
    for a place under the run's concurrency limit (and backs off on a 429 as cells do), keeps
    within the budget, and adds up what the cell's judging cost.

    A request asked again with the same model, messages and parameters (a judge repeat) is
    numbered as a cell's repeat is (``Sender.for_repeat``), so that the local model samples each
    repeat on its own, as a real judge at a temperature would.

    Args:
        sender: what the run's cells send with (its client, sync or async, and base URL).
        limiter: the run's concurrency limit.
        budget: the run's budget.
        reserved: the dollars the cell reserved for its judging.
        retries: how many 429s in a row a judge request may meet before it fails.

    Attributes:
        cost_usd: what the cell's judge requests cost so far (priced ones).
        unpriced: how many judge replies had no known price.
        calls: how many judge requests were answered.
    """

    def __init__(
        self,
        sender: Sender,
        limiter: AdaptiveLimiter,
        budget: Budget,
        reserved: float,
        retries: int,
    ) -> None:
        self._sender = sender
        self._limiter = limiter
        self._budget = budget
        self._reserved = reserved
        self._retries = retries
        self._asked: dict[str, int] = {}
        self._pending = 0.0
        self._held = 0.0
        self.cost_usd = 0.0
        self.unpriced = 0
        self.calls = 0

    async def __call__(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        response_format: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JudgeReply:
        """Ask ``model`` once; the reply's text and price."""
        request: dict[str, Any] = {**(params or {}), "model": model, "messages": messages}
        if response_format is not None:
            request["response_format"] = dict(response_format)
        max_tokens = int(request.get("max_completion_tokens") or request.get("max_tokens") or 1024)
        sent = prompt_estimate(messages, [response_format] if response_format else [])
        estimate = self._budget.judge_cost(model, sent, max_tokens)
        key = json.dumps(request, sort_keys=True, default=str)
        repeat = self._asked[key] = self._asked.get(key, -1) + 1
        client = self._sender.for_repeat(repeat) if repeat else self._sender.client
        admitted = False

        def admit() -> None:  # under the limit, just before the request leaves
            nonlocal admitted
            uncovered = self._committed + (estimate or 0.0) - self._reserved - self._held
            self._held += self._budget.allow_judge(model, estimate, uncovered)
            self._pending += estimate or 0.0
            admitted = True

        try:
            completion = await self._send(client.chat.completions.create, request, admit)
        finally:
            if admitted:
                self._pending -= estimate or 0.0
        self.calls += 1
        choices = getattr(completion, "choices", None) or []
        message = getattr(choices[0], "message", None) if choices else None
        text = getattr(message, "content", None) or ""
        usage = getattr(completion, "usage", None)
        base_url = self._sender.base_url
        cost = cost_usd(getattr(completion, "model", None) or model, usage, base_url)
        self._add(cost)
        return JudgeReply(
            text,
            cost,
            getattr(usage, "prompt_tokens", None),
            getattr(usage, "completion_tokens", None),
        )

    async def embed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        """The ``EmbedCall`` of the cell's graders: one vector per text, from ``model`` (None:
        ``default_embedding_model``); its price adds to the cell's judge cost."""
        client = self._sender.client
        create = getattr(getattr(client, "embeddings", None), "create", None)
        if create is None:
            raise TypeError(f"the grid's client ({type(client).__name__}) has no embeddings")
        model = model or default_embedding_model(client)
        response = await self._send(create, {"input": texts, "model": model})
        self.calls += 1
        cost = cost_usd(
            getattr(response, "model", None) or model, response.usage, self._sender.base_url
        )
        self._add(cost)
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(texts):
            raise ValueError(f"{len(texts)} texts sent, {len(data)} vectors received")
        return [list(item.embedding) for item in data]

    @property
    def _committed(self) -> float:
        """What the cell's judging has spent, and the estimates of its requests in flight."""
        return self.cost_usd + self._pending

    def _add(self, cost: float | None) -> None:
        """Count a reply's price; the budget holds what goes past the cell's reservation."""
        if cost is None:
            self.unpriced += 1
            return
        self.cost_usd += cost
        past = self._committed - self._reserved - self._held
        if past > 0:
            self._budget.hold(past)
            self._held += past

    def release(self) -> None:
        """Let go of what the budget holds for this cell past its reservation (call it right
        before the cell settles for its real cost)."""
        self._budget.release(self._held)
        self._held = 0.0

    async def _send(
        self, create: Any, request: dict[str, Any], admit: Callable[[], None] | None = None
    ) -> Any:
        """One request under the limit (``admit``, once a place is free, may refuse it); 429s
        go to the limiter and are sent again."""
        met = 0
        while True:
            taken_in = await self._limiter.acquire()
            try:
                if admit is not None:
                    admit()
                    admit = None
                if is_async_client(self._sender.client):
                    completion = await create(**request)
                else:  # a sync client: keep the event loop free
                    completion = await asyncio.to_thread(lambda: create(**request))
            except RateLimitError as exc:
                failure: RateLimitError | None = exc
            else:
                failure = None
            finally:
                self._limiter.release()
            if failure is None:
                self._limiter.succeeded()
                return completion
            met += 1
            self._limiter.rate_limited(taken_in, retry_after(failure.response.headers))
            if met > self._retries:
                raise failure


async def grade_answered(grid: Grid, cells: list[Cell]) -> None:
    """Grade the answered cells of ``cells`` outside a run (cells read from Batch API output or
    an eval's samples): concurrently, the judges asking through the grid's client under its
    concurrency limit and within ``max_cost_usd`` (the judges alone: the replies are paid for).

    Raises:
        WorkbenchError: before anything is sent, a judge model without a price, or the judges'
            estimate past the budget (``check_start``).
    """
    spec = grid._spec
    answered = [cell for cell in cells if cell.status in ANSWERED]
    if not spec.graders or not answered:
        return
    sender = open_sender(grid.client, grid.concurrency)
    try:
        limit = grid.max_cost_usd
        if limit is not None and any(g.uses_model for g in spec.graders):
            check_prices(judge_models(spec), sender.base_url)
            check_start(spec, answered, 0.0, limit, sender.base_url, judges_only=True)
        budget = Budget(limit, spec, sender.base_url)
        limiter = AdaptiveLimiter(grid.concurrency)
        await asyncio.gather(*(_grade_one(grid, c, sender, limiter, budget) for c in answered))
    finally:
        await sender.aclose()


async def _grade_one(
    grid: Grid, cell: Cell, sender: Sender, limiter: AdaptiveLimiter, budget: Budget
) -> None:
    """Grade one answered cell within the budget: a cell whose judging does not fit is graded
    by the graders that ask no model, and its model graders' grades fail saying why."""
    spec = grid._spec
    graders = spec.graders
    try:
        reserved = budget.reserve_judges(cell)
    except BudgetExceeded as exc:
        free = tuple(g for g in graders if not g.uses_model)
        await grade_cell(cell, free, GradingContext(), spec.structured(cell))
        given = dict(cell.grades)
        cell.grades.clear()  # in the graders' order
        for grader in graders:
            cell.grades[grader.name] = given.get(grader.name) or Grade.failed(str(exc))
        return
    judge = CellJudge(sender, limiter, budget, reserved, grid.rate_limit_retries)
    context = GradingContext(judge, spec.judge_repeats, judge.embed)
    try:
        await grade_cell(cell, graders, context, spec.structured(cell))
    finally:
        cell.judge_cost_usd = judge.cost_usd if judge.calls > judge.unpriced else None
        judge.release()
        budget.release(reserved)
        budget.spent += judge.cost_usd
