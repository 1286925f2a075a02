"""Which variant of a reply the local model samples: the nth identical request gets the nth.

A real model samples: asked the same thing twice (a Regenerate, a grid's repeats), it answers
differently, unless the request fixes ``seed`` (or asks for greedy decoding, ``temperature``
0). The local model does the same, deterministically: it counts identical sampled requests,
and the count picks the variant. The first request of a kind gets variant 0, the reply it gave
before it counted, so a fresh process (a notebook under nbval) always answers the same way.

Concurrent identical requests reach the counter in no fixed order. A caller that sends them on
purpose (a grid's repeats) tells them apart with the ``x-workbench-repeat`` header: each repeat
number counts on its own and gets variants of its own, so repeat k's reply does not depend on
which request came first.

A batch (``/v1/batches``) is a sampling context of its own: its lines are answered with a fresh
``BatchVariants``, never the process-wide counts, so a batch's replies do not depend on what the
process answered before, nor a later live run on the batch. A line has no headers; its repeat
number comes from its ``custom_id`` when that has a grid cell key's form
(``p0-v0-s0-r1-model``: ``r1`` is repeat 1), else from its place in the file: the nth line whose
request is identical to earlier lines' (n from 0) is repeat n. Either way a line answers as the
first request of its kind with that ``x-workbench-repeat`` would in a fresh process, so repeat k
of a grid cell gets the same reply in a batch as in a fresh live run of the grid (whose repeats
are sent with the header), whatever batch file the repeat landed in.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["REPEAT_HEADER", "BatchVariants", "Variants", "sampled"]

REPEAT_HEADER = "x-workbench-repeat"
"""The header a sender of deliberate repeats (a grid) numbers them with (``0``, ``1``, ...)."""

# Fields that change how the reply travels or is kept, not what it says.
_NOT_CONTENT = frozenset(
    {"stream", "stream_options", "store", "metadata", "user", "safety_identifier",
     "prompt_cache_key", "service_tier"}
)  # fmt: skip


def sampled(body: Mapping[str, Any]) -> bool:
    """Whether the reply to ``body`` is sampled: no ``seed`` and a ``temperature`` above 0."""
    temperature = body.get("temperature")
    greedy = temperature is not None and float(temperature) == 0
    return body.get("seed") is None and not greedy


class Variants:
    """Counts identical sampled requests (by a digest of their content), per repeat number."""

    def __init__(self) -> None:
        self._counts: dict[tuple[bytes, str], int] = {}
        self._lock = threading.Lock()

    def next(self, body: Mapping[str, Any], repeat: str | None) -> object:
        """The variant of the reply to ``body`` (the salt its text is drawn with): 0 for the
        first such request (repeat 0 or unnumbered), a different value for every later one."""
        digest = _digest(body)
        marker = (repeat or "0").strip()
        with self._lock:
            count = self._counts.get((digest, marker), 0)
            self._counts[(digest, marker)] = count + 1
        return 0 if count == 0 and marker == "0" else ("variant", marker, count)

    def reset(self) -> None:
        """Forget every count: the next request of each kind gets variant 0 again."""
        with self._lock:
            self._counts.clear()


class BatchVariants(Variants):
    """The counts of one batch: a line with no repeat number (``repeat=None``) is numbered by
    how many identical requests came before it in the batch (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[bytes, int] = {}

    def next(self, body: Mapping[str, Any], repeat: str | None) -> object:
        if repeat is None:
            digest = _digest(body)
            with self._lock:
                earlier = self._seen.get(digest, 0)
                self._seen[digest] = earlier + 1
            repeat = str(earlier)
        return super().next(body, repeat)


def _digest(body: Mapping[str, Any]) -> bytes:
    """A digest of what a request asks (not of how the reply travels or is kept)."""
    content = {k: v for k, v in body.items() if k not in _NOT_CONTENT}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()
