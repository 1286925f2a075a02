"""``Grid``: prompts x models x parameter sets (x vars rows x repeats), each combination a cell,
run concurrently and watched live."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidParameterError, WorkbenchError
from ..client._client import AsyncClient
from ..conversation._protocol_choice import choose_api
from ..evals import Grader
from ._batch import write_batch
from ._batch_run import BatchRunner
from ._blocking import run_blocking
from ._cells import ANSWERED, Cell, CellKey
from ._display import open_display
from ._estimate import GridEstimate, check_budget, check_prices, estimate, judge_models
from ._grid_batch import reported, start_run
from ._grid_events import GridEvent, GridFinished, GridStarted
from ._openai_eval import openai_eval_options
from ._result import GridResult
from ._run import Runner, needs_scoring
from ._run_version import SHORT, grid_version, requests_version
from ._spec import build_spec

if TYPE_CHECKING:
    from ..client._chat_client import AsyncStreamingChatClient, StreamingChatClient
    from ..local import BatchLimits

__all__ = ["Grid"]

log = logging.getLogger("workbench")

Observer = Callable[[GridEvent], None]


class Grid:
    """Every combination of prompts (filled from rows of ``vars``), models and parameter sets,
    ``repeats`` times: each a cell, sent as one turn of its own ``Conversation``.

    Args:
        prompts: a string, a message list, or a list of them; with ``vars``, each string
            (and the system prompt) is a template whose ``{name}`` fields are filled from each
            row (``{{`` and ``}}`` for literal braces). A message list's last message is the
            user message sent.
        models: a model name or a list (default: the client's default model).
        params: parameter sets: a list of dicts (``[{"temperature": 0}, {"temperature": 1}]``)
            or a dict of lists, expanded as a product (``{"temperature": [0, 1], "seed": [1, 2]}``
            is four sets). Validated like ``ChatParams``; ``model`` goes in ``models``.
        system: a system prompt for every cell.
        vars: a pandas DataFrame, a list of dicts, or the path of a JSONL file (one JSON
            object a line; lines of OpenAI's ``{"item": {...}}`` form are unwrapped): one row
            each. Every column is in ``to_dataframe()``, reference columns (``expected``)
            included.
        repeats: how many times each combination is sent.
        tools: tools every cell may call (functions, ``Tool`` objects, ...); they run.
        response_format: structured output for every cell (a pydantic model, a JSON schema...).
        concurrency: the most requests in flight at once (fewer for a while after a 429).
        client: a ``workbench.AsyncClient`` or ``Client`` (default: ``AsyncClient()``, the local
            model when no API key or base URL is set), or any ``AsyncStreamingChatClient``.
        scorers: ``{"name": callable}``: each called with a done cell's output (its ``parsed``
            object when a response_format is set), and with the cell as a second argument (or
            ``cell=``) when it takes one; sync or async; each adds a column. A raising scorer
            leaves a ``ScoreError`` in its column; the grid goes on.
        max_cost_usd: a budget in dollars: cells that would take the run over it are not sent
            (``skipped``), their judges' cost counted. Needs every model's price; see
            ``estimate()``. A grid with model graders does not start when its estimate,
            judges included, is over the budget (an eval stopped half way would give pass
            rates over whichever cells ran).
        log: write each cell's conversation to the SQLite log (``True`` or a path), through
            one connection for the run, its writes committed in batches (seen by others in
            about 0.2 s; all committed however the run ends). Off by default: it adds a fifth
            to a cell's CPU time (``bench/README.md``). ``run(batch=True)`` logs its batches
            whatever this says: to this path, else to the default log.
        rate_limit_retries: how many 429s in a row a cell may meet before it fails.
        apis: the protocols to compare, a dimension like ``models``: ``"chat"`` (Chat
            Completions), ``"responses"`` (the Responses API), ``"auto"``, or a list
            (``["chat", "responses"]``: every model and parameter set through each). Not
            given, each column takes what ``Conversation(api="auto")`` would for the client:
            the Responses API for OpenAI's own API and the models that need it (unless its
            parameters set one only Chat Completions takes, such as ``seed``), Chat
            Completions elsewhere. A parameter the Responses API has no equivalent for
            (``seed``, ``n``, ...) in a ``responses`` column is refused here, naming it and
            the column's cells.
        graders: graders run on each answered cell (``done`` or ``cut``) after its reply: a
            list of ``workbench.evals.Grader`` objects, OpenAI grader definitions (dicts in
            the shape of OpenAI's ``string_check``, ``score_model``, ...), and Python
            callables (sync or async, called as scorers are, their number or bool the score;
            named by the function, or ``{"name": callable}``). Names are unique; each
            grader's template references must be vars columns. A failing grader or judge
            fails that grade, never the cell. Each adds columns to ``to_dataframe()``, and
            ``result.summary()`` gives pass rates and mean scores.
        judge_repeats: how many times each model grader asks its judge per cell (the grade
            is the mean, with a spread and an agreement figure when more than one).

    Raises:
        InvalidParameterError: any input that would fail, before anything is sent.
        WorkbenchError: ``max_cost_usd`` with a model whose price is unknown.
    """

    def __init__(
        self,
        prompts: Any,
        models: str | Iterable[str] | None = None,
        params: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        system: str | None = None,
        vars: Any = None,
        repeats: int = 1,
        tools: Iterable[Any] = (),
        response_format: Any = None,
        concurrency: int = 8,
        client: StreamingChatClient | AsyncStreamingChatClient | None = None,
        scorers: Mapping[str, Callable[..., Any]] | None = None,
        max_cost_usd: float | None = None,
        *,
        log: bool | str | Path = False,
        rate_limit_retries: int = 10,
        apis: str | Iterable[str] | None = None,
        graders: Any = None,
        judge_repeats: int = 1,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidParameterError("concurrency", f"must be an integer >= 1: {concurrency!r}")
        if max_cost_usd is not None and (
            isinstance(max_cost_usd, bool)
            or not isinstance(max_cost_usd, (int, float))
            or not max_cost_usd > 0
            or math.isinf(max_cost_usd)
        ):
            raise InvalidParameterError(
                "max_cost_usd", f"must be a number of dollars > 0, got {max_cost_usd!r}"
            )
        if isinstance(rate_limit_retries, bool) or not isinstance(rate_limit_retries, int):
            raise InvalidParameterError("rate_limit_retries", "must be an integer >= 0")
        if client is None:
            client = AsyncClient()
        self.client: StreamingChatClient | AsyncStreamingChatClient = client
        self.concurrency = concurrency
        self.max_cost_usd = max_cost_usd
        self.rate_limit_retries = max(0, rate_limit_retries)
        self._log = log
        local = getattr(client, "local_model", None) is not None
        self._spec = build_spec(
            prompts,
            models=models,
            params=params,
            system=system,
            vars=vars,
            apis=apis,
            repeats=repeats,
            tools=tools,
            response_format=response_format,
            scorers=scorers,
            default_model="workbench-local" if local else "gpt-4o-mini",
            auto_api=lambda model, params: choose_api("auto", client, model, params),
            graders=graders,
            judge_repeats=judge_repeats,
        )
        if max_cost_usd is not None:
            check_prices([*self._spec.models, *judge_models(self._spec)], self._base_url)
        self.cells: list[Cell] = self._spec.cells()
        self._observers: list[Observer] = []
        self._lock = threading.Lock()
        self._runner: Runner | BatchRunner | None = None
        self._cancel_requested = False
        self._version: str | None = None

    @classmethod
    def from_openai_eval(
        cls,
        eval: Any,
        data: Any = None,
        run: Any = None,
        *,
        models: str | Iterable[str] | None = None,
        client: StreamingChatClient | AsyncStreamingChatClient | None = None,
        **grid_options: Any,
    ) -> Grid:
        """A grid that runs an eval in OpenAI's exported form, against any server.

        Args:
            eval: the eval (a dict, or a JSON file's path): its ``testing_criteria`` are the
                graders, its ``data_source_config.item_schema`` checks each data row.
            data: the items: a JSONL path (``{"item": {...}}`` lines) or a list of them
                (None: the run's ``source.content``).
            run: the run's ``data_source`` (a dict or a JSON file's path): ``completions`` or
                ``responses``, its ``input_messages`` template (``{{ item.x }}`` filled from
                each row), ``model`` and ``sampling_params``.
            models: the model(s) to run instead of the run's (e.g. the local model's).
            client: as for ``Grid``; grid_options: any other ``Grid`` argument.

        Raises:
            InvalidParameterError: anything that would fail, naming its place
                (``eval.testing_criteria[1]``, ``data[2].label``, ``run.type``).
        """
        options = openai_eval_options(eval, data, run, models)
        for name in grid_options:
            if name in options:
                raise InvalidParameterError(name, "comes from the eval and its run here")
        return cls(**options, client=client, **grid_options)

    # -- shape -------------------------------------------------------------------------------

    @property
    def row_labels(self) -> list[str]:
        """One label per row of the table (prompt, or its vars), in order."""
        return [row.label for row in self._spec.rows]

    @property
    def column_labels(self) -> list[str]:
        """One label per column (``"gpt-4o-mini · temperature=0.2"``), in order."""
        return [column.label for column in self._spec.columns]

    @property
    def repeats(self) -> int:
        """How many times each combination is sent."""
        return self._spec.repeats

    @property
    def models(self) -> list[str]:
        """The models, in column order."""
        return list(self._spec.models)

    @property
    def apis(self) -> list[str]:
        """The protocols (``chat``, ``responses``, ``auto``), in column order within each model."""
        return list(self._spec.apis)

    @property
    def params(self) -> list[dict[str, Any]]:
        """The parameter sets (expanded), in column order within each model."""
        return [dict(p) for p in self._spec.param_sets]

    @property
    def graders(self) -> list[Grader]:
        """The graders, built and checked (``workbench.evals.Grader`` objects), in order."""
        return list(self._spec.graders)

    @property
    def judge_repeats(self) -> int:
        """How many times each model grader asks its judge per cell."""
        return self._spec.judge_repeats

    @property
    def version(self) -> str:
        """The grid's version: 12 hex characters of a hash of what defines its run (prompts,
        system prompt, vars, models, apis, parameter sets, repeats, tools, response format,
        scorers and graders). The same inputs give the same version in any process; any change
        gives a new one. ``GridResult.compare`` shows what changed between two runs."""
        if self._version is None:
            self._version = grid_version(self._spec, self._spec.graders)[:SHORT]
        return self._version

    @functools.cached_property
    def requests_version(self) -> str:
        """12 hex characters of a hash of what defines the grid's requests: its ``version``
        less the scorers, graders and judge repeats. The key of its batches in the log."""
        return requests_version(self._spec)[:SHORT]

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._runner is not None

    def cell(self, key: CellKey | Cell | str) -> Cell:
        """The cell with this key (a ``CellKey``, a cell, or the key's ``str()`` form)."""
        return self.cells[self._index_of(key)]

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for cell in self.cells:
            counts[cell.status] = counts.get(cell.status, 0) + 1
        shown = ", ".join(f"{n} {status}" for status, n in counts.items())
        return f"Grid({len(self.cells)} cells: {self._spec.shape}; {shown})"

    # -- events ------------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` for every event (``GridStarted``, ``CellStarted``,
        ``CellDelta``, ``CellFinished``, ``GridFinished``), possibly from a worker thread;
        returns a function that unsubscribes."""
        with self._lock:
            self._observers = [*self._observers, observer]

        def unsubscribe() -> None:
            with self._lock:
                self._observers = [o for o in self._observers if o is not observer]

        return unsubscribe

    def _emit(self, event: GridEvent) -> None:
        for observer in self._observers:
            try:
                observer(event)
            except Exception:  # a broken view must not break the run
                log.exception("workbench: an observer of the grid failed on %s", event.type)

    # -- planning ----------------------------------------------------------------------------

    def estimate(self, *, batch: bool = False) -> GridEstimate:
        """How many cells, and about how many tokens and dollars (the judges' included), before
        anything is sent; ``batch=True``: the replies at the Batch API's half price."""
        return estimate(self._spec, self._base_url, batch=batch is True)

    def to_batch_jsonl(self, path: str | Path, *, model: str | None = None) -> list[Path]:
        """Write one Batch API request per cell (``custom_id``: the cell's key), for grids too
        big to wait for; read the answers back with ``GridResult.from_batch_output``.

        OpenAI's Batch API takes one model per file: with several models, put ``{model}`` in
        ``path`` (one file each) or pass ``model=``. Cells sent through the Responses API
        (``apis=``) get ``/v1/responses`` requests; one file takes one endpoint, so a grid
        across both protocols puts ``{api}`` in ``path`` (``"batch-{model}-{api}.jsonl"``).
        Returns the files written, each replaced whole by one only its owner may read (0600;
        the folders made for them 0700).
        """

        return write_batch(self, path, model)

    def result(self) -> GridResult:
        """The cells as they are now, as a ``GridResult``."""
        return GridResult(self, self.cells)

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        display: bool | None = None,
        *,
        batch: bool = False,
        batch_limits: BatchLimits | None = None,
        poll_interval: float | None = None,
    ) -> GridResult:
        """Send every cell that is not done yet and return the result.

        Works in a script and in a notebook (the cells run in a worker thread with an event loop
        of their own). Ctrl-C (or the kernel's interrupt) stops the run like ``cancel()``.

        With ``batch=True`` the cells go through the server's Batch API (half price, within 24
        hours; docs/grids.md, "Batch runs"), merged into the same result as a live run. Each
        step goes into the SQLite log as it happens: running the same grid again (or
        ``resume()``), in a new process too, picks up its batches instead of submitting them
        again. Ctrl-C or ``cancel()`` cancels them; ``rerun(key)`` sends a failed cell live.

        Args:
            display: None: a live view in a notebook, else a progress line on stderr;
                False: nothing.
            batch: through the Batch API (the client needs ``files`` and ``batches``).
            batch_limits: how much one batch file may hold (``BatchLimits``: the API's limits).
            poll_interval: the first wait between polls, in seconds, doubling up to 60 times
                it (default 1 s; 0.05 s on the in-process local model).

        Raises:
            InvalidParameterError: a batch option without ``batch=True``, a bad option, a
                client without the Batch API, or a grid with tools (a batch cannot run them).
        """
        start = start_run(self, display, batch, batch_limits, poll_interval)
        return reported(self._blocking(start))

    async def arun(
        self,
        display: bool | None = None,
        *,
        batch: bool = False,
        batch_limits: BatchLimits | None = None,
        poll_interval: float | None = None,
    ) -> GridResult:
        """The async twin of ``run`` (on the caller's event loop)."""
        start = start_run(self, display, batch, batch_limits, poll_interval)
        return reported(await start())

    def resume(
        self, display: bool | None = None, *, poll_interval: float | None = None
    ) -> GridResult:
        """Pick up this grid's batches from the log (after a kernel restart, say) and wait for
        them, merging their results; unlike ``run(batch=True)``, submit nothing new (cells no
        logged batch holds end ``skipped``).

        Raises:
            WorkbenchError: no batch of this grid's ``requests_version`` on this server logged.
        """
        return reported(self._blocking(start_run(self, display, None, None, poll_interval)))

    async def aresume(
        self, display: bool | None = None, *, poll_interval: float | None = None
    ) -> GridResult:
        """The async twin of ``resume``."""
        return reported(await start_run(self, display, None, None, poll_interval)())

    def rerun(self, key: CellKey | Cell | str) -> Cell:
        """Send one cell again, replacing it; returns the new cell."""
        cells = self._prepare(key)
        self._blocking(lambda: self._execute(cells))
        return self.cells[self._index_of(cells[0].key)]

    async def arerun(self, key: CellKey | Cell | str) -> Cell:
        """The async twin of ``rerun``."""
        cells = self._prepare(key)
        await self._execute(cells)
        return self.cells[self._index_of(cells[0].key)]

    def cancel(self) -> None:
        """Stop the run (from any thread): finished cells are kept, running ones end as
        ``cancelled`` with their partial text, the rest are marked ``cancelled``."""
        with self._lock:  # with Runner.run's check: either it sees the flag or we its loop
            self._cancel_requested = True
            runner = self._runner
            loop = runner.loop if runner is not None else None
        if runner is not None and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop just closed: the run is over
                loop.call_soon_threadsafe(runner.cancel)

    def _prepare(self, key: CellKey | Cell | str | None) -> list[Cell]:
        """Claim the grid for a run and reset the cells it will send."""
        with self._lock:
            if self._runner is not None:
                raise WorkbenchError("the grid is already running: cancel() it or wait")
            indexes = (
                [
                    i
                    for i, cell in enumerate(self.cells)
                    if cell.status not in ANSWERED or needs_scoring(cell, self._spec)
                ]
                if key is None
                else [self._index_of(key)]
            )
            unanswered = [i for i in indexes if self.cells[i].status not in ANSWERED]
            if key is None:
                self._check_budget([self.cells[i] for i in unanswered])
            for i in indexes if key is not None else unanswered:
                self.cells[i] = self.cells[i].fresh()
            cells = [self.cells[i] for i in indexes]
            self._runner = Runner(self, cells)
            self._cancel_requested = False
        return cells

    def _check_budget(self, cells: list[Cell], *, batch: bool = False) -> None:
        """A grid with model graders does not start past its budget (``check_budget``)."""
        check_budget(self._spec, self.cells, cells, self.max_cost_usd, self._base_url, batch=batch)

    def _show(self, display: bool | None, total: int) -> None:
        try:
            open_display(self, display, total)
        except BaseException:
            with self._lock:  # the run never started: give the grid back
                self._runner = None
            raise

    async def _execute(self, cells: list[Cell]) -> GridResult:
        runner = self._runner
        assert runner is not None
        started = time.perf_counter()
        try:
            self._emit(GridStarted(self))
            await runner.run()
        finally:
            with self._lock:
                self._runner = None
            assert isinstance(runner, Runner)
            result = GridResult(
                self,
                self.cells,
                elapsed_s=time.perf_counter() - started,
                rate_limits=runner.limiter.rate_limits,
                lowest_concurrency=runner.limiter.lowest,
            )
            self._emit(GridFinished(result))
        return result

    def _blocking(self, factory: Callable[[], Awaitable[GridResult]]) -> GridResult:
        """Run a coroutine to its end in a worker thread with its own loop; Ctrl-C cancels."""
        return run_blocking(factory, self.cancel)

    def _replace_cells(self, cells: list[Cell]) -> None:
        with self._lock:
            if self._runner is not None:
                raise WorkbenchError("the grid is running: wait for it before reading results in")
            self.cells[:] = cells

    def _index_of(self, key: CellKey | Cell | str) -> int:
        if isinstance(key, Cell):
            key = key.key
        elif isinstance(key, str):
            key = CellKey.parse(key)
        for i, cell in enumerate(self.cells):
            if cell.key == key:
                return i
        raise KeyError(f"no cell {key!r} in this grid (its keys: {self.cells[0].key!r}, ...)")

    @property
    def _base_url(self) -> str | None:
        url = getattr(self.client, "base_url", None)
        return str(url) if url is not None else None
