"""Stream pacing: each chunk of a paced stream is sent when it is due by the clock.

Chunk ``i`` is due at ``start + i / tokens_per_second`` on a monotonic clock, ``start`` being the
moment the first chunk is ready (after the first-token delay). A driver sleeps only until a
chunk is due, and not at all for a chunk that is late, so the time spent producing, sending and
reading chunks does not lower the rate. (Sleeping ``1 / rate`` after each chunk did: asked for
1,000 tokens/s it delivered about 830, and on the asyncio paths never more than about 840, however
high the rate; ``bench/bench_pacing.py`` measures both.)

``Schedule`` is the sans-I/O part: it reads the clock it is given and says how long to wait.
``paced`` and ``apaced`` are its sync and async drivers, used by the in-process transport (sync
and async) and the HTTP server alike. Tests give them a fake ``Clock``.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from .._exceptions import InvalidParameterError
from ._kernel import kernel_shell

__all__ = [
    "KERNEL_TOKENS_PER_SECOND",
    "TOKENS_PER_SECOND_VARIABLE",
    "Clock",
    "Pacing",
    "Schedule",
    "apaced",
    "default_pacing",
    "paced",
]

TOKENS_PER_SECOND_VARIABLE = "WORKBENCH_LOCAL_TOKENS_PER_SECOND"
"""The environment variable that sets the default local model's rate (0: unpaced)."""
KERNEL_TOKENS_PER_SECOND = 40.0
"""The default local model's rate in a Jupyter kernel: a real model's pace, so that streaming
(and the widget's Stop button) can be seen. Elsewhere it is unpaced."""


@dataclass(frozen=True)
class Pacing:
    """How fast a streamed reply arrives: seconds before the first chunk, then tokens per second.

    Each chunk (one token of text, or one piece of a tool call) is due at its time from the
    first one, ``i / tokens_per_second``; ``None`` or 0 sends them as fast as they come.
    """

    first_token: float = 0.0
    tokens_per_second: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.first_token) and self.first_token >= 0):
            raise ValueError(
                f"first_token must be a number of seconds >= 0, not {self.first_token}"
            )
        rate = self.tokens_per_second
        if rate is not None and not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"tokens_per_second must be a number >= 0 or None, not {rate}")

    @property
    def chunk_delay(self) -> float:
        """Seconds between two chunks' due times (0: unpaced)."""
        return 1.0 / self.tokens_per_second if self.tokens_per_second else 0.0


@dataclass(frozen=True)
class Clock:
    """The monotonic time and the sleeps that pacing and injected delays use.

    The in-process transport and the HTTP server take one (``clock=``); tests pass a fake whose
    sleeps move its time forward, to check a schedule without waiting for it.
    """

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], object] = time.sleep
    async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep


class Schedule:
    """When each chunk of one stream is due: ``wait()`` before each chunk says for how long.

    The first call starts the schedule (that chunk goes at once); chunk ``i`` is due ``i *
    interval`` seconds later. No I/O: it reads the clock it is given and never sleeps.
    """

    def __init__(self, interval: float, now: Callable[[], float]) -> None:
        self.interval = interval
        self._now = now
        self._start: float | None = None
        self._sent = 0

    def wait(self) -> float:
        """Seconds to wait before sending the next chunk: until it is due, or 0 when late."""
        if not self.interval:
            return 0.0
        now = self._now()
        if self._start is None:
            self._start = now
        due = self._start + self._sent * self.interval
        self._sent += 1
        return max(0.0, due - now)


def paced(events: Iterable[bytes], interval: float, clock: Clock) -> Iterator[bytes]:
    """``events``, each one yielded when it is due (``interval`` seconds apart; 0: at once)."""
    schedule = Schedule(interval, clock.now)
    for event in events:
        wait = schedule.wait()
        if wait:
            clock.sleep(wait)
        yield event


async def apaced(
    events: Iterable[bytes], interval: float, clock: Clock
) -> AsyncGenerator[bytes, None]:
    """``paced`` for asyncio: waits with ``clock.async_sleep`` (the event loop runs meanwhile)."""
    schedule = Schedule(interval, clock.now)
    for event in events:
        wait = schedule.wait()
        if wait:
            await clock.async_sleep(wait)
        yield event


def default_pacing(environ: Mapping[str, str] = os.environ) -> Pacing:
    """The pacing of the default local model (the one ``Client()`` falls back to).

    ``WORKBENCH_LOCAL_TOKENS_PER_SECOND`` when set (a number; 0 is unpaced); otherwise
    ``KERNEL_TOKENS_PER_SECOND`` in a Jupyter kernel, and unpaced in scripts and tests.

    Raises:
        InvalidParameterError: the variable is not a finite number >= 0.
    """
    raw = environ.get(TOKENS_PER_SECOND_VARIABLE, "").strip()
    if raw:
        try:
            return Pacing(tokens_per_second=float(raw) or None)
        except ValueError:
            raise InvalidParameterError(
                TOKENS_PER_SECOND_VARIABLE,
                f"{raw!r} is not a rate in tokens per second",
                allowed="a number >= 0, such as 40; 0 streams unpaced",
            ) from None
    if kernel_shell() is not None:
        return Pacing(tokens_per_second=KERNEL_TOKENS_PER_SECOND)
    return Pacing()
