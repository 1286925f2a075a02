"""Faults the local model can inject, by option or per request, each on the first N requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

__all__ = ["FAULT_HEADER", "STREAM_KINDS", "Fault", "FaultPlan", "Stalled", "parse_fault"]

FAULT_HEADER = "x-workbench-fault"
_KINDS = (
    "latency",
    "status",
    "drop",
    "stall",
    "empty",
    "not-json",
    "huge",
    "cut",
    "malformed",
    "error-event",
    "no-done",
)
_OPTIONS = ("times", "retry_after", "seconds", "after", "format", "size")
_FORMATS = ("openai", "detail", "html", "text")
STREAM_KINDS = ("cut", "malformed", "error-event", "no-done")
"""Faults that break a stream (so does ``stall`` with ``after``): they fire (and count) only
on streamed responses."""
_AFTER = 3  # chunks sent before a stream breaks, by default
HUGE = 10 * 1024 * 1024 + 512 * 1024  # a huge reply's default size: 10.5 MB of text


class Stalled(Exception):
    """A stall (raised by a stalled stream's events): the adapter sends nothing more for
    ``seconds`` (None: until the client hangs up), then closes the connection."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__("the local model stalled (fault injection)")
        self.seconds = seconds


@dataclass(frozen=True)
class Fault:
    """One fault.

    Attributes:
        kind: before any response: ``latency`` (wait ``seconds`` before answering), ``status``
            (answer ``status`` with an error body in ``format`` and ``retry_after`` seconds if
            set), ``drop`` (close the connection), ``stall`` (send nothing for ``seconds``, by
            default until the client hangs up, then close); instead of the reply: ``empty`` (a
            200 with an empty body), ``not-json`` (a 200 HTML page), ``huge`` (a whole reply of
            ``size`` bytes of text, default 10.5 MB); in a stream, after ``after`` chunks
            (default 3): ``cut`` (reset the connection), ``malformed`` (a broken SSE line, then
            the rest), ``error-event`` (an ``event: error`` and the end), ``no-done`` (the end,
            cleanly, with no ``[DONE]``; without ``after``: the whole reply without it),
            ``stall`` with ``after`` (nothing more, as above).
        times: fire on the first ``times`` matching requests only (None: always).
        format: a status fault's body: ``openai`` (OpenAI's error JSON), ``detail`` (FastAPI's
            ``{"detail": ...}``), ``html`` (a proxy's error page) or ``text``.
    """

    kind: str
    times: int | None = None
    status: int = 500
    retry_after: float | None = None
    seconds: float | None = None
    after: int | None = None
    format: str = "openai"
    size: int = HUGE

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError(f"a status fault needs a 4xx or 5xx status, got {self.status}")
        if self.format not in _FORMATS:
            raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {self.format!r}")
        if (self.after is not None and self.after < 0) or self.size < 0:
            raise ValueError("after and size must be >= 0")

    @property
    def in_stream(self) -> bool:
        """Whether the fault breaks a stream part-way (rather than the whole response)."""
        return self.kind in STREAM_KINDS or (self.kind == "stall" and self.after is not None)


def parse_fault(spec: str) -> Fault:
    """Read a fault from text: ``429;times=2;retry-after=0.5``, ``drop``, ``cut;after=5``,
    ``latency;seconds=0.2``, ``malformed``, ``503``, ``502;format=html``, ``stall``,
    ``stall;after=4``, ``empty``, ``not-json``, ``huge;size=20000000``, ``error-event``,
    ``no-done``."""
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
        seconds=float(values["seconds"]) if "seconds" in values else None,
        after=int(values["after"]) if "after" in values else None,
        format=values.get("format", "openai"),
        size=int(values["size"]) if "size" in values else HUGE,
    )


@dataclass
class FaultPlan:
    """The faults in force, with how often each has fired (counted per fault)."""

    faults: list[Fault] = field(default_factory=list)
    _fired: dict[object, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def select(self, headers: Mapping[str, str], *, in_stream: bool) -> list[Fault]:
        """The faults that fire for this request, counting them as fired: those that break
        a stream part-way (``in_stream``), or those that replace the whole response.

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
                if fault.in_stream != in_stream:
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


# -- what the faults send --------------------------------------------------------------------


def error_body(fault: Fault, message: str, error: Mapping[str, object]) -> tuple[str, bytes]:
    """A status fault's content type and body, in the fault's ``format``."""
    if fault.format == "detail":
        return "application/json", json.dumps({"detail": message}).encode()
    if fault.format == "html":
        title = f"{fault.status} {_REASONS.get(fault.status, 'Error')}"
        page = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return "text/html", page.encode()
    if fault.format == "text":
        return "text/plain", message.encode()
    return "application/json", json.dumps({"error": error}).encode()


_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def replacement(
    fault: Fault, body: bytes, *, responses: bool = False
) -> tuple[str, bytes, Iterator[bytes] | None]:
    """What an ``empty``, ``not-json`` or ``huge`` fault sends instead of the reply: the
    content type, and the body or (for a streamed request) the SSE events; ``responses``: a
    ``/responses`` request, answered in that API's shape."""
    request = _request_of(body)
    stream = request.get("stream") is True
    if fault.kind == "empty":
        return ("text/event-stream" if stream else "application/json"), b"", None
    if fault.kind == "not-json":
        page = b"<html><head><title>Sign in</title></head><body>Please sign in.</body></html>"
        return "text/html", page, None
    model = str(request.get("model") or "workbench-local")
    text = _huge_text(fault.size)
    if responses:
        huge = _huge_response(model, text)
        if not stream:
            return "application/json", json.dumps(huge).encode(), None
        return "text/event-stream", b"", _huge_response_events(huge)
    if not stream:
        return "application/json", json.dumps(_huge_completion(model, text)).encode(), None
    options = request.get("stream_options")
    usage = isinstance(options, dict) and bool(options.get("include_usage"))
    return "text/event-stream", b"", _huge_events(model, text, usage)


def broken(events: Iterator[bytes], fault: Fault, *, responses: bool = False) -> Iterator[bytes]:
    """The events of a stream, broken by ``fault`` after ``fault.after`` of them; ``responses``:
    a Responses stream, whose end is its last event (``response.completed``), not ``[DONE]``."""
    after = _AFTER if fault.after is None else fault.after
    if fault.kind == "no-done" and fault.after is None:  # the whole reply, without its end
        if responses:
            yield from _all_but_last(events)
            return
        yield from (event for event in events if event != b"data: [DONE]\n\n")
        return
    for i, event in enumerate(events):
        if i == after:
            if fault.kind == "cut":
                raise ConnectionResetError("the local model cut the stream (fault injection)")
            if fault.kind == "stall":
                raise Stalled(fault.seconds)
            if fault.kind == "error-event" and responses:
                yield _response_error_event(i)
                return
            if fault.kind == "error-event":
                error = {
                    "message": "Injected fault: an error event from the local model.",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
                yield b"event: error\ndata: " + json.dumps({"error": error}).encode() + b"\n\n"
                return
            if fault.kind == "no-done":
                return
            yield b"data: {this is not json\n\n"
        yield event


def _all_but_last(events: Iterator[bytes]) -> Iterator[bytes]:
    previous = None
    for event in events:
        if previous is not None:
            yield previous
        previous = event


def _response_error_event(number: int) -> bytes:
    """An ``error`` event of the Responses API (its fields at the top, numbered)."""
    error = {
        "type": "error",
        "code": "server_error",
        "message": "Injected fault: an error event from the local model.",
        "param": None,
        "sequence_number": number,
    }
    return b"event: error\ndata: " + json.dumps(error).encode() + b"\n\n"


def _request_of(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _huge_text(size: int) -> str:
    words = "A huge reply from the local model, made to test limits. "
    return (words * (size // len(words) + 1))[:size]


_HUGE_ID = "chatcmpl-localhuge"


def _huge_completion(model: str, text: str) -> dict[str, object]:
    return {
        "id": _HUGE_ID,
        "object": "chat.completion",
        "created": 1735689600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _huge_usage(text),
    }


def _huge_usage(text: str) -> dict[str, int]:
    tokens = len(text) // 4
    return {"prompt_tokens": 1, "completion_tokens": tokens, "total_tokens": tokens + 1}


def _huge_events(model: str, text: str, usage: bool) -> Iterator[bytes]:
    """The huge reply as a stream: its text in one chunk, one event of its whole size."""
    base = {"id": _HUGE_ID, "object": "chat.completion.chunk", "created": 1735689600}
    base["model"] = model

    def event(choices: list[object], **extra: object) -> bytes:
        return b"data: " + json.dumps({**base, "choices": choices, **extra}).encode() + b"\n\n"

    def choice(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    yield event([choice({"role": "assistant", "content": ""})])
    yield event([choice({"content": text})])
    yield event([choice({}, "stop")])
    if usage:
        yield event([], usage=_huge_usage(text))
    yield b"data: [DONE]\n\n"


def _huge_response(model: str, text: str) -> dict[str, object]:
    """The huge reply as a Responses API ``response``."""
    tokens = len(text) // 4
    message = {
        "id": "msg_localhuge",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }
    return {
        "id": "resp_localhuge",
        "object": "response",
        "created_at": 1735689600,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": model,
        "output": [message],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "usage": {
            "input_tokens": 1,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": tokens + 1,
        },
    }


def _huge_response_events(response: dict[str, object]) -> Iterator[bytes]:
    """The huge response as a stream: created, then its text in one delta, then completed."""
    output = response["output"]
    assert isinstance(output, list)
    text = output[0]["content"][0]["text"]
    at = {"item_id": "msg_localhuge", "output_index": 0, "content_index": 0}
    events: list[dict[str, object]] = [
        {
            "type": "response.created",
            "response": {**response, "status": "in_progress", "output": []},
        },
        {"type": "response.output_text.delta", **at, "delta": text, "logprobs": []},
        {"type": "response.completed", "response": response},
    ]
    for number, event in enumerate(events):
        data = json.dumps({**event, "sequence_number": number}).encode()
        yield f"event: {event['type']}\ndata: ".encode() + data + b"\n\n"
