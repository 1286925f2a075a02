"""How many requests a grid has in flight: a limit that halves on a rate limit and grows back.

The policy is additive increase, multiplicative decrease (as TCP does with congestion):

* at most ``current`` requests at once, between 1 and the grid's ``concurrency``;
* a 429 halves ``current``, once per round of requests: the 429s of requests that were already
  in flight when the limit was last cut do not cut it again;
* a 429 also pauses every new request until its ``retry-after`` has passed (without one, for
  0.5 s, doubling with each cut in a row, that is without a success between, up to 8 s);
* after every ``max(1, current // 4)`` successes, ``current`` grows by one, back up to the
  grid's ``concurrency``.

Everything runs on one event loop, so no lock is needed: there is no ``await`` between a check
and the change it allows.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

__all__ = ["AdaptiveLimiter"]

_MAX_RETRY_AFTER = 60.0
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 8.0


class AdaptiveLimiter:
    """A concurrency limit that shrinks on rate limits and recovers on successes.

    Args:
        limit: the most requests ever in flight at once.
        clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"concurrency must be an integer >= 1, got {limit!r}")
        self.limit = limit
        self.current = limit
        self.active = 0
        self.lowest = limit
        self.rate_limits = 0
        self._clock = clock
        self._round = 0
        self._successes = 0
        self._in_a_row = 0
        self._resume_at = 0.0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __repr__(self) -> str:
        return (
            f"AdaptiveLimiter(current={self.current}, limit={self.limit}, active={self.active},"
            f" rate_limits={self.rate_limits})"
        )

    @property
    def paused_for(self) -> float:
        """Seconds until new requests may start again (0 when not paused)."""
        return max(0.0, self._resume_at - self._clock())

    async def acquire(self) -> int:
        """Wait for a slot; returns the round it was taken in (give it to ``rate_limited``)."""
        while True:
            pause = self.paused_for
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if self.active < self.current:
                self.active += 1
                return self._round
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # it was woken for a slot it will not take: pass it on
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self) -> None:
        """Give a slot back."""
        self.active -= 1
        self._wake()

    def succeeded(self) -> None:
        """A request went through: grow back towards the limit."""
        self._in_a_row = 0
        if self.current >= self.limit:
            return
        self._successes += 1
        if self._successes >= max(1, self.current // 4):
            self._successes = 0
            self.current += 1
            self._wake()

    def rate_limited(self, taken_in: int, retry_after: float | None) -> float:
        """A request taken in round ``taken_in`` got a 429: cut the limit (once per round) and
        pause new requests. Returns the pause in seconds."""
        self.rate_limits += 1
        if taken_in == self._round:
            self._round += 1
            self._in_a_row += 1
            self.current = max(1, self.current // 2)
            self.lowest = min(self.lowest, self.current)
            self._successes = 0
        if retry_after is not None and 0 < retry_after <= _MAX_RETRY_AFTER:
            pause = retry_after
        else:
            pause = min(_FIRST_BACKOFF * 2.0 ** max(0, self._in_a_row - 1), _MAX_BACKOFF)
        self._resume_at = max(self._resume_at, self._clock() + pause)
        return pause

    def _wake(self) -> None:
        free = self.current - self.active
        for waiter in list(self._waiters):
            if free <= 0:
                break
            if not waiter.done():
                waiter.set_result(None)
                free -= 1
