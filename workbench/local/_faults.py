"""Faults the local model can inject, by option or per request, each on the first N requests."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

__all__ = ["FAULT_HEADER", "STREAM_KINDS", "Fault", "FaultPlan", "parse_fault"]

FAULT_HEADER = "x-workbench-fault"
_KINDS = ("latency", "status", "drop", "cut", "malformed")
_OPTIONS = ("times", "retry_after", "seconds", "after")
STREAM_KINDS = ("cut", "malformed")
"""Faults that break a stream: they fire (and count) only on streamed responses."""


@dataclass(frozen=True)
class Fault:
    """One fault.

    Attributes:
        kind: ``latency`` (wait ``seconds`` before answering), ``status`` (answer ``status`` with
            OpenAI's error JSON and ``retry_after`` seconds if set), ``drop`` (close the
            connection before any response), ``cut`` (end a stream after ``after`` chunks, with no
            ``[DONE]``), ``malformed`` (send a broken SSE line after ``after`` chunks).
        times: fire on the first ``times`` matching requests only (None: always).
    """

    kind: str
    times: int | None = None
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    after: int = 3

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError(f"a status fault needs a 4xx or 5xx status, got {self.status}")


def parse_fault(spec: str) -> Fault:
    """Read a fault from text: ``429;times=2;retry-after=0.5``, ``drop``, ``cut;after=5``,
    ``latency;seconds=0.2``, ``malformed``, ``503``."""
    parts = [part.strip() for part in spec.split(";") if part.strip()]
    if not parts:
        raise ValueError("an empty fault; try '429;times=2', 'drop' or 'cut;after=5'")
    head, *options = parts
    values: dict[str, str] = {}
    for option in options:
        key, _, value = option.partition("=")
        key = key.strip().replace("-", "_")
        if key not in _OPTIONS:  # a typo must not turn "the first N requests" into "all"
            raise ValueError(f"unknown fault option {key!r} (known: {', '.join(_OPTIONS)})")
        values[key] = value.strip()
    kind, status = ("status", int(head)) if head.isdigit() else (head, 500)
    return Fault(
        kind=kind,
        times=int(values["times"]) if "times" in values else None,
        status=status,
        retry_after=float(values["retry_after"]) if "retry_after" in values else None,
        seconds=float(values.get("seconds", 0.0)),
        after=int(values.get("after", 3)),
    )


@dataclass
class FaultPlan:
    """The faults in force, with how often each has fired (counted per fault)."""

    faults: list[Fault] = field(default_factory=list)
    _fired: dict[object, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def select(self, headers: Mapping[str, str], kinds: Collection[str] = _KINDS) -> list[Fault]:
        """The faults of ``kinds`` that fire for this request, counting them as fired.

        Raises:
            ValueError: the request's fault header does not parse.
        """
        candidates: list[tuple[object, Fault]] = [
            (("plan", i), f) for i, f in enumerate(self.faults)
        ]
        spec = headers.get(FAULT_HEADER)
        if spec:
            for i, part in enumerate(spec.split(",")):
                candidates.append((("header", part.strip(), i), parse_fault(part)))
        chosen: list[Fault] = []
        with self._lock:
            for key, fault in candidates:
                if fault.kind not in kinds:
                    continue
                fired = self._fired.get(key, 0)
                if fault.times is None or fired < fault.times:
                    self._fired[key] = fired + 1
                    chosen.append(fault)
        return chosen

    def reset(self) -> None:
        """Forget how often the faults fired."""
        with self._lock:
            self._fired.clear()
