"""Grid under faults: the adaptive limit on 429s (honouring retry-after), 500s retried by the
client, failed cells recorded while the rest go on; and the issue's acceptance test."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest

import workbench
from tests._grid import local_client
from tests._mock import KEY, Recorder, close, make_client, sse_body, sse_response, text_chunks
from workbench import Grid
from workbench.grid._limiter import AdaptiveLimiter
from workbench.grid._sender import open_sender
from workbench.local import Pacing

# -- the limiter on its own ----------------------------------------------------------------------


async def test_limiter_caps_the_requests_in_flight() -> None:
    limiter = AdaptiveLimiter(3)
    in_flight = peak = 0

    async def request() -> None:
        nonlocal in_flight, peak
        await limiter.acquire()
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        limiter.release()

    await asyncio.gather(*(request() for _ in range(20)))
    assert peak == 3 and limiter.active == 0


async def test_limiter_halves_once_per_round_pauses_and_grows_back() -> None:
    now = [0.0]
    limiter = AdaptiveLimiter(8, clock=lambda: now[0])
    rounds = [await limiter.acquire() for _ in range(8)]
    # Eight requests of round 0 get a 429 each: the limit is cut once, not eight times.
    for taken_in in rounds:
        limiter.rate_limited(taken_in, retry_after=2.0)
    assert (limiter.current, limiter.lowest, limiter.rate_limits) == (4, 4, 8)
    assert limiter.paused_for == 2.0
    for _ in rounds:
        limiter.release()
    # A request taken after the cut that is limited again cuts again; without a retry-after
    # the pause doubles with each cut in a row (a second 429 of the same round: no new cut).
    now[0] += 2.0
    later = await limiter.acquire()
    limiter.release()
    assert limiter.rate_limited(later, retry_after=None) == 1.0
    assert limiter.rate_limited(later, retry_after=None) == 1.0
    assert limiter.current == 2
    # Successes grow it back, one at a time, up to the limit and no further.
    sizes = []
    for _ in range(40):
        limiter.succeeded()
        sizes.append(limiter.current)
    assert sizes[0] == 3 and sizes[-1] == 8 and sizes == sorted(sizes)
    assert all(b - a <= 1 for a, b in itertools.pairwise(sizes))
    # A success ends the run of cuts: the next one pauses 0.5 s again.
    now[0] += 10.0
    fresh = await limiter.acquire()
    limiter.release()
    assert limiter.rate_limited(fresh, retry_after=None) == 0.5


async def test_limiter_waits_out_the_pause_and_wakes_waiters() -> None:
    limiter = AdaptiveLimiter(1)
    taken = await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    limiter.rate_limited(taken, retry_after=0.05)
    started = time.monotonic()
    limiter.release()
    await waiter
    assert time.monotonic() - started >= 0.045
    # A cancelled waiter does not keep the slot it was woken for.
    blocked = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    limiter.release()
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    await asyncio.wait_for(limiter.acquire(), 1)


# -- the grid under faults ---------------------------------------------------------------------


def test_429s_slow_the_grid_down_and_honour_retry_after() -> None:
    client, transport = local_client({"LIMITED": "429;times=3;retry-after=0.1"})
    g = Grid(["LIMITED hello", "fine hello"], models=["m1", "m2"], repeats=2, client=client)
    events: list[tuple[float, str, Any]] = []
    g.subscribe(lambda e: events.append((time.monotonic(), e.type, getattr(e, "cell", None))))
    result = g.run(display=False)
    assert result.counts == {"done": 8}  # no cell failed on a 429
    assert result.rate_limits == 3 and result.lowest_concurrency is not None
    assert result.lowest_concurrency < g.concurrency
    limited = [c for c in g.cells if c.attempts > 1]
    assert sum(c.attempts - 1 for c in limited) == 3
    assert all(c.prompt.startswith("LIMITED") for c in limited)
    # The retry-after held everyone back: nothing started within 0.1 s of a 429's restart.
    first = min(t for t, kind, c in events if kind == "cell.started" and c in limited)
    again = [t for t, kind, c in events if kind == "cell.started" and c in limited and t > first]
    assert again and min(again) - first >= 0.09
    assert len(transport.bodies) == 8 + 3
    # A cell sent again starts over: its conversation holds one reply only.
    for cell in limited:
        assert [m.role for m in cell.conversation.messages] == ["user", "assistant"]


def test_a_cell_that_keeps_being_rate_limited_fails_alone() -> None:
    client, _ = local_client({"ALWAYS": "429;retry-after=0.01"})
    g = Grid(["ALWAYS", "fine"], client=client, rate_limit_retries=2)
    result = g.run(display=False)
    assert [c.status for c in result.cells] == ["error", "done"]
    bad = result.cells[0]
    assert bad.attempts == 3 and bad.error is not None and "RateLimitError" in bad.error


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("pool", ["own", "callers"])
async def test_the_cells_send_through_a_plain_client_that_leaves_429s_to_the_grid(
    kind: str, pool: str
) -> None:
    cls = workbench.Client if kind == "sync" else workbench.AsyncClient
    if pool == "own":
        client = cls(api_key=KEY, base_url="http://127.0.0.1:9/v1")
    else:
        client = make_client(kind, Recorder())
    sender = open_sender(client, concurrency=4)
    try:
        # Its own pool: an async twin over a pool of 4; the caller's: a copy sharing that pool.
        expected = workbench.AsyncClient if pool == "own" else cls
        assert type(sender.client) is expected  # no subclass overriding private methods
        assert sender.client.retry_rate_limits is False
        assert client.retry_rate_limits is True  # the grid's client itself is left as it was
        assert sender.client.base_url == client.base_url and sender.client.api_key == KEY
        assert sender.client.max_retries == client.max_retries
        assert (sender.pool is not None) == (pool == "own")
    finally:
        await sender.aclose()
        await close(client)


def test_a_sync_client_over_a_callers_pool_hands_its_429s_to_the_grid() -> None:
    limited = httpx.Response(429, json={"error": {"message": "slow down"}})
    handler = Recorder(limited, sse_response(sse_body(*text_chunks("Hello"))))
    client = make_client("sync", handler)  # retries 429s itself (max_retries=2) outside grids
    g = Grid(["hi"], client=client)
    result = g.run(display=False)
    cell = result.cells[0]
    assert cell.status == "done" and cell.output == "Hello"
    assert result.rate_limits == 1 and cell.attempts == 2  # sent again by the grid, not the client
    assert handler.calls == 2


def test_500s_are_retried_by_the_client_and_a_lasting_failure_is_recorded() -> None:
    client, transport = local_client(
        {"FLAKY": "500;times=2;retry-after=0.01", "BROKEN": "503;retry-after=0.01"},
        max_retries=2,
    )
    g = Grid(["FLAKY one", "BROKEN two", "fine three"], models=["m1", "m2"], client=client)
    result = g.run(display=False)
    status = {c.key.prompt: set() for c in g.cells}
    for cell in g.cells:
        status[cell.key.prompt].add(cell.status)
    assert status == {0: {"done"}, 1: {"error"}, 2: {"done"}}
    for cell in g.cells[2:4]:
        assert (
            cell.error is not None and "InternalServerError" in cell.error and "503" in cell.error
        )
        assert cell.attempts == 1  # the client retried (twice); the grid did not
        assert cell.output == "" and cell.conversation.messages[-1].status == "error"
    # FLAKY: two 500s, retried by the client; BROKEN: three tries for each of its two cells.
    assert len(transport.bodies) == 6 + 2 + 2 * 2
    assert result.counts == {"done": 4, "error": 2}


def test_a_cut_stream_keeps_its_partial_text_as_an_error() -> None:
    client, _ = local_client({"CUT": "cut;after=6"}, max_retries=0)
    cell = Grid(["CUT here please"], client=client).run(display=False).cells[0]
    assert cell.status == "error" and cell.output and cell.error is not None


# -- the acceptance test of the issue ----------------------------------------------------------


def polite(output: str, cell: workbench.Cell) -> float:
    """A scorer: how much of the reply is about the var, with the cell's model in it."""
    return float(cell.vars["topic"] in output) + float(cell.model in output)


def test_acceptance_3_prompts_2_models_2_param_sets_2_repeats() -> None:
    import pandas

    prompts = [
        "Tell me about {topic}. RATE",
        "Summarise {topic} in one line. FLAKY",
        "Write a haiku on {topic}. BROKEN",
    ]
    faults = {
        "RATE": "429;times=2;retry-after=0.02",
        "FLAKY": "500;times=1;retry-after=0.01",
        "BROKEN": "500;retry-after=0.01",
    }
    client, _ = local_client(faults, pacing=Pacing(tokens_per_second=2000))
    g = Grid(
        prompts,
        models=["model-a", "model-b"],
        params={"temperature": [0.2, 1.0]},
        vars=pandas.DataFrame({"topic": ["tides"]}),
        repeats=2,
        scorers={"on_topic": polite},
        concurrency=4,
        client=client,
    )
    assert len(g.cells) == 3 * 2 * 2 * 2
    assert g.estimate().cells == 24

    # Cancel mid-run: the finished cells stay, the others are marked.
    finished: list[workbench.Cell] = []

    def stop_after_six(event: Any) -> None:
        if event.type == "cell.finished":
            finished.append(event.cell)
            if len(finished) == 6:
                g.cancel()

    unsubscribe = g.subscribe(stop_after_six)
    first = g.run(display=False)
    unsubscribe()
    assert set(first.counts) <= {"done", "error", "cancelled"}
    assert first.counts.get("cancelled", 0) >= 12
    kept = {c.key: c for c in g.cells if c.status in ("done", "error")}
    assert len(kept) >= 6

    # Run again: the rest is sent; 429s and 500s are absorbed, the broken prompt fails alone.
    result = g.run(display=False)
    assert result.counts == {"done": 16, "error": 8}
    for cell in g.cells:
        if cell.key in kept and kept[cell.key].status == "done":
            assert g.cell(cell.key) is kept[cell.key]  # done cells were not sent again
        if "BROKEN" in cell.prompt:
            assert cell.status == "error" and "500" in (cell.error or "")
        else:
            assert cell.status == "done" and cell.scores["on_topic"] == 2.0

    frame = result.to_dataframe()
    assert list(frame.columns) == [
        "prompt", "topic", "model", "api", "temperature", "repeat", "output", "parsed", "refusal",
        "finish_reason", "tool_calls", "prompt_tokens", "completion_tokens",
        "reasoning_tokens", "cached_tokens", "usage_source", "cost_usd", "latency_s", "ttft_s",
        "error", "request_id", "status", "version", "on_topic", "on_topic_error",
    ]  # fmt: skip
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    for name in ("prompt", "topic", "model", "output", "error", "status", "on_topic_error"):
        assert dtypes[name] == "str", name
    for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens"):
        assert dtypes[name] == "Int64", name
    for name in ("temperature", "cost_usd", "latency_s", "ttft_s", "on_topic"):
        assert dtypes[name] == "float64", name
    assert dtypes["repeat"] == "int64"
    assert frame["cost_usd"].isna().all()  # the local model's price is unknown: NaN, never 0
    broken = frame[frame["prompt"].str.contains("BROKEN")]
    assert len(broken) == 8 and broken["completion_tokens"].isna().all()
    assert broken["on_topic"].isna().all() and (broken["status"] == "error").all()
    fine = frame[frame["status"] == "done"]
    assert (fine["completion_tokens"] > 0).all() and (fine["latency_s"] > 0).all()
