"""The local model's pacing: each chunk goes when it is due (``start + i / rate``), sleeping only
the remainder and never when behind, in the sync and async transports and the HTTP server; and
the default model's rate (40 tokens/s in a kernel, unpaced elsewhere, or the environment's).

No test here waits: a fake clock stands in for the time, its sleeps move it forward, and the
chunks' production moves it too; the tests check the sleeps asked for against the due times.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

import workbench
import workbench.local
from tests._local import USER, KernelShell, play_kernel, server_thread
from workbench.__main__ import main as cli
from workbench.local import Clock, Fault, LocalModel, LocalResponse, LocalTransport, Pacing
from workbench.local._pacing import KERNEL_TOKENS_PER_SECOND, Schedule, default_pacing, paced

VARIABLE = "WORKBENCH_LOCAL_TOKENS_PER_SECOND"
START = 1000.0


class FakeClock:
    """A monotonic time that only moves when something sleeps or spends (simulated) time."""

    def __init__(self) -> None:
        self.t = START
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # let the event loop run, as a real sleep would

    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep, async_sleep=self.async_sleep)


# The scenario every driver is checked against: 10 tokens/s (a chunk due every 0.1 s), and
# the time each chunk takes to produce. Chunk 3 takes 0.25 s, so chunks 3 and 4 are late.
RATE = 10.0
PRODUCTION = [0.03, 0.02, 0.05, 0.25, 0.01, 0.01]
# Ready at +0.03 (the start: chunk 0 goes at once), +0.05 (due +0.13: sleep 0.08), +0.18 (due
# +0.23: sleep 0.05), +0.48 (due +0.33: late, no sleep), +0.49 (due +0.43: late), +0.50 (due
# +0.53: sleep 0.03).
SLEEPS = [0.08, 0.05, 0.03]
SENT_AT = [START + t for t in (0.03, 0.13, 0.23, 0.48, 0.49, 0.53)]


class Scripted(LocalModel):
    """A local model whose stream's chunks take the scripted (simulated) time to produce."""

    def __init__(self, clock: FakeClock, production: list[float], pacing: Pacing) -> None:
        super().__init__(pacing=pacing)
        self.clock = clock
        self.production = production

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> LocalResponse:
        def events() -> Iterator[bytes]:
            for i, seconds in enumerate(self.production):
                self.clock.t += seconds
                yield f"data: {i}\n\n".encode()

        return LocalResponse(
            200,
            [("content-type", "text/event-stream")],
            events=events(),
            delay=self.pacing.first_token,
            chunk_delay=self.pacing.chunk_delay,
        )


BODY = {"model": "workbench-local", "messages": USER, "stream": True}
URL = "http://local.test/v1/chat/completions"


def receive(driver: str, model: LocalModel, clock: FakeClock) -> list[tuple[float, bytes]]:
    """Stream one request through ``driver``: each piece received, with the (fake) time it was
    received (in-process), or the whole body at the end (over HTTP, where a read may hold
    several chunks)."""
    if driver == "sync":
        client = httpx.Client(transport=LocalTransport(model, clock=clock.clock()))
        with client, client.stream("POST", URL, json=BODY) as response:
            return [(clock.t, piece) for piece in response.iter_raw()]
    if driver == "async":

        async def run() -> list[tuple[float, bytes]]:
            client = httpx.AsyncClient(transport=LocalTransport(model, clock=clock.clock()))
            async with client, client.stream("POST", URL, json=BODY) as response:
                return [(clock.t, piece) async for piece in response.aiter_raw()]

        return asyncio.run(run())
    with server_thread(model, clock=clock.clock()) as url:
        body = httpx.post(f"{url}/chat/completions", json=BODY).content
        return [(clock.t, body)]


def data_events(received: list[tuple[float, bytes]]) -> list[bytes]:
    body = b"".join(piece for _, piece in received)
    return [event for event in body.split(b"\n\n") if event]


# -- the schedule ------------------------------------------------------------------------------


def test_the_schedule_sleeps_until_each_chunk_is_due_and_never_when_behind() -> None:
    clock = FakeClock()

    def produced() -> Iterator[bytes]:
        for i, seconds in enumerate(PRODUCTION):
            clock.t += seconds
            yield bytes([i])

    sent_at = [clock.t for _ in paced(produced(), 1 / RATE, clock.clock())]
    assert clock.sleeps == pytest.approx(SLEEPS)
    assert sent_at == pytest.approx(SENT_AT)


def test_the_readers_time_counts_too_so_the_rate_holds() -> None:
    """A reader that spends 0.04 s on each chunk: the sleeps make up only the rest of 0.1 s."""
    clock = FakeClock()
    sent_at = []
    for _ in paced([b"a", b"b", b"c", b"d"], 0.1, clock.clock()):
        sent_at.append(clock.t)
        clock.t += 0.04
    assert clock.sleeps == pytest.approx([0.06, 0.06, 0.06])
    assert sent_at == pytest.approx([START, START + 0.1, START + 0.2, START + 0.3])


def test_a_late_chunk_does_not_move_the_later_ones() -> None:
    """Chunk i is due at start + i / rate, whatever happened before: being late once does not
    push every later chunk back (as sleeping after each chunk did)."""
    clock = FakeClock()
    schedule = Schedule(0.5, clock.now)
    assert schedule.wait() == 0  # the start
    clock.t += 1.2  # a stall: chunks 1 and 2 (due at +0.5, +1.0) are late
    assert schedule.wait() == 0
    assert schedule.wait() == 0
    assert schedule.wait() == pytest.approx(0.3)  # chunk 3, due at +1.5


def test_unpaced_streams_never_read_the_clock_or_sleep() -> None:
    clock = FakeClock()
    clock.now = None  # type: ignore[assignment,method-assign]
    assert list(paced([b"a", b"b"], 0.0, clock.clock())) == [b"a", b"b"]
    assert clock.sleeps == []


# -- every place that paces --------------------------------------------------------------------

DRIVERS = ["sync", "async", "server"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_each_driver_sleeps_the_due_time_minus_the_production_time(driver: str) -> None:
    clock = FakeClock()
    model = Scripted(clock, PRODUCTION, Pacing(tokens_per_second=RATE))
    received = receive(driver, model, clock)
    assert data_events(received) == [f"data: {i}".encode() for i in range(len(PRODUCTION))]
    assert clock.sleeps == pytest.approx(SLEEPS)
    if driver != "server":  # in-process, each piece is one chunk, read when it was sent
        assert [t for t, _ in received] == pytest.approx(SENT_AT)


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_first_token_delay_comes_first_and_the_schedule_starts_after_it(driver: str) -> None:
    clock = FakeClock()
    model = LocalModel(pacing=Pacing(first_token=0.5, tokens_per_second=20))
    events = data_events(receive(driver, model, clock))
    assert events[-1] == b"data: [DONE]" and len(events) > 5
    # the delay, then one interval before each chunk after the first (nothing else took time)
    assert clock.sleeps == pytest.approx([0.5] + [0.05] * (len(events) - 1))


@pytest.mark.parametrize("driver", DRIVERS)
def test_latency_faults_add_to_the_first_token_delay(driver: str) -> None:
    clock = FakeClock()
    model = LocalModel(
        pacing=Pacing(first_token=0.5, tokens_per_second=20),
        faults=[Fault("latency", seconds=0.25)],
    )
    events = data_events(receive(driver, model, clock))
    assert clock.sleeps[0] == pytest.approx(0.75)
    assert clock.sleeps[1:] == pytest.approx([0.05] * (len(events) - 1))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_stall_mid_stream_holds_after_the_paced_chunks(asynchronous: bool) -> None:
    """In-process, a stall after 3 chunks sleeps its 2 s once the 3 paced chunks are sent, then
    ends the stream as the server closing it would."""
    clock = FakeClock()
    model = LocalModel(
        pacing=Pacing(tokens_per_second=10), faults=[Fault("stall", after=3, seconds=2.0)]
    )
    with pytest.raises(httpx.RemoteProtocolError):
        receive("async" if asynchronous else "sync", model, clock)
    assert clock.sleeps == pytest.approx([0.1, 0.1, 2.0])


def test_the_client_streams_through_the_schedule() -> None:
    """Through workbench's client, a paced stream still arrives whole and in order."""
    clock = FakeClock()
    model = LocalModel(pacing=Pacing(tokens_per_second=RATE))
    http = httpx.Client(transport=LocalTransport(model, clock=clock.clock()))
    client = workbench.Client(http_client=http, base_url="http://local.test/v1", api_key="sk-x")
    messages: Any = USER
    chunks = list(client.chat.completions.create(model="m", messages=messages, stream=True))
    assert len(chunks) > 3 and chunks[-1].choices[0].finish_reason == "stop"
    assert clock.sleeps == pytest.approx([1 / RATE] * len(chunks))  # + one before [DONE]
    client.close()


def test_pacing_rejects_a_negative_or_endless_rate() -> None:
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="tokens_per_second"):
            Pacing(tokens_per_second=bad)
    with pytest.raises(ValueError, match="first_token"):
        Pacing(first_token=-0.1)
    assert Pacing(tokens_per_second=0).chunk_delay == 0


# -- the default model's rate ------------------------------------------------------------------


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> KernelShell:
    return play_kernel(monkeypatch)


@pytest.fixture
def fresh_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process with no default local model yet, and no rate in the environment."""
    monkeypatch.setattr(workbench.local, "_default", None)
    monkeypatch.delenv(VARIABLE, raising=False)


@pytest.mark.usefixtures("fresh_default")
def test_in_a_script_the_default_model_is_unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert default_pacing() == Pacing()
    assert workbench.local.default_local_model().pacing == Pacing()


@pytest.mark.usefixtures("fresh_default")
def test_a_terminal_ipython_is_not_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace()  # TerminalInteractiveShell has no kernel
    fake = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert default_pacing() == Pacing()


@pytest.mark.usefixtures("fresh_default", "kernel")
def test_in_a_kernel_the_default_model_streams_at_a_visible_pace() -> None:
    assert 30 <= KERNEL_TOKENS_PER_SECOND <= 60
    model = workbench.Client().local_model
    assert model is workbench.local.default_local_model()
    assert model.pacing == Pacing(tokens_per_second=KERNEL_TOKENS_PER_SECOND)
    assert workbench.Client(local=LocalModel()).local_model.pacing == Pacing(), "by hand: unpaced"


@pytest.mark.usefixtures("fresh_default")
@pytest.mark.parametrize("in_kernel", [False, True])
@pytest.mark.parametrize(("value", "rate"), [("120", 120.0), (" 2.5 ", 2.5), ("0", None)])
def test_the_environment_variable_sets_the_rate_anywhere(
    value: str,
    rate: float | None,
    in_kernel: bool,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if in_kernel:
        request.getfixturevalue("kernel")
    monkeypatch.setenv(VARIABLE, value)
    assert workbench.local.default_local_model().pacing == Pacing(tokens_per_second=rate)


@pytest.mark.usefixtures("fresh_default")
@pytest.mark.parametrize("value", ["fast", "-5", "nan", "inf", "40 tokens"])
def test_a_bad_rate_in_the_environment_is_one_clear_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, value)
    with pytest.raises(workbench.InvalidParameterError) as caught:
        workbench.Client()
    message = str(caught.value)
    assert message.startswith(f"{VARIABLE}: {value!r} is not a rate"), message
    assert "0 streams unpaced" in message and caught.value.param == VARIABLE
    assert workbench.local._default is None, "nothing was made"


def test_the_server_command_reads_the_variable_and_reports_a_bad_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(VARIABLE, "fast")
    with pytest.raises(SystemExit) as caught:
        cli(["serve", "--port", "0"])
    assert caught.value.code == 2
    assert VARIABLE in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["serve", "--port", "0", "--tokens-per-second", "-3"])
    assert "tokens_per_second must be a number >= 0" in capsys.readouterr().err
