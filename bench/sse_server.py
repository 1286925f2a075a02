"""An OpenAI-shaped chat completions server on loopback, replaying pre-built SSE streams."""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
MODEL = "gpt-4o-2024-08-06"
COMPLETION_ID = "chatcmpl-BenchAbCdEfGhIjKlMnOpQrStUvWx"
CREATED = 1727346168
FINGERPRINT = "fp_5050236cbd"
TOOL_NAME = "record_text"
TOOL_CALL_ID = "call_BenchAbCdEfGhIjKlMnOpQr"
VARIANTS = ("text", "tool")
TRANSFERS = ("chunked", "flushed", "length")
EXTRA_CHUNKS = 3
"""Data chunks besides the N content chunks: the role chunk, the finish chunk, the usage chunk."""

# Token-sized pieces, like a real model's deltas: a few characters, mostly with a leading space.
PIECES = (
    " The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ",",
    " and", " then", " it", " runs", " back", " home", " again", ".", " It", "'s",
    " a", " long", " day", " for", " every", " small", " animal", " in", " town", "!",
)  # fmt: skip
TOOL_OPEN = '{"text":"'
TOOL_CLOSE = '"}'


def content_pieces(n: int) -> list[str]:
    """Return the N delta strings a stream of N content chunks carries."""
    return [PIECES[i % len(PIECES)] for i in range(n)]


def tool_argument_pieces(n: int) -> list[str]:
    """Return the N argument fragments of the streamed tool call (N >= 2); they join into JSON."""
    if n < 2:
        raise ValueError("a streamed tool call needs at least 2 argument chunks")
    return [TOOL_OPEN, *content_pieces(n - 2), TOOL_CLOSE]


def expected_result(n: int, variant: str = "text") -> str:
    """Return the message content (text) or tool-call arguments (tool) a client must assemble."""
    pieces = content_pieces(n) if variant == "text" else tool_argument_pieces(n)
    return "".join(pieces)


def _chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        **extra,
    }


def _choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _usage(completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": 14,
        "completion_tokens": completion_tokens,
        "total_tokens": 14 + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def build_chunks(n: int, variant: str = "text") -> list[dict[str, Any]]:
    """Return the N + 3 chunk objects of one stream, shaped like the live API's.

    A role chunk, N content (or tool-argument) chunks, a finish chunk with an empty delta, and a
    usage chunk with no choices, as in the recorded streams in ``tests/fixtures``.
    """
    if variant == "text":
        chunks = [_chunk([_choice({"role": "assistant", "content": "", "refusal": None})])]
        chunks += [_chunk([_choice({"content": piece})]) for piece in content_pieces(n)]
        finish = "stop"
    elif variant == "tool":
        header = {
            "index": 0,
            "id": TOOL_CALL_ID,
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": ""},
        }
        role = {"role": "assistant", "content": None, "tool_calls": [header], "refusal": None}
        chunks = [_chunk([_choice(role)])]
        chunks += [
            _chunk([_choice({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})])
            for piece in tool_argument_pieces(n)
        ]
        finish = "tool_calls"
    else:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    chunks.append(_chunk([_choice({}, finish)]))
    chunks.append(_chunk([], usage=_usage(n)))
    return chunks


@functools.lru_cache(maxsize=16)
def stream_writes(n: int, variant: str = "text", transfer: str = "chunked") -> tuple[bytes, ...]:
    """Return a stream's response body as the socket writes that send it (cached).

    ``chunked``: one HTTP chunk per event, as the live API frames a stream, in one write.
    ``flushed``: the same bytes, one write per event, like a server flushing every token.
    ``length``: the bare events under a Content-Length, in one write.
    """
    events = [
        b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
        for chunk in build_chunks(n, variant)
    ]
    events.append(b"data: [DONE]\n\n")
    if transfer == "length":
        return (b"".join(events),)
    framed = [b"%x\r\n%s\r\n" % (len(event), event) for event in events]
    framed.append(b"0\r\n\r\n")
    if transfer == "chunked":
        return (b"".join(framed),)
    if transfer == "flushed":
        return tuple(framed)
    raise ValueError(f"unknown transfer {transfer!r}; expected one of {TRANSFERS}")


@functools.lru_cache(maxsize=16)
def completion_body(n: int, variant: str = "text") -> bytes:
    """Return a non-streamed ``chat.completion`` body carrying the same result as the stream."""
    result = expected_result(n, variant)
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if variant == "text":
        message["content"] = result
        finish = "stop"
    else:
        function = {"name": TOOL_NAME, "arguments": result}
        message["tool_calls"] = [{"id": TOOL_CALL_ID, "type": "function", "function": function}]
        finish = "tool_calls"
    body = {
        "id": COMPLETION_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(n),
    }
    return json.dumps(body).encode()


class BenchHandler(BaseHTTPRequestHandler):
    """Answers ``POST /v1/chat/completions`` from the cached bodies; HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the header and body writes must not wait on delayed ACKs
    server: BenchServer

    def do_POST(self) -> None:
        """Serve one chat completion, streamed or not."""
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(404, f"no route for POST {url.path}")
            return
        try:
            request = json.loads(raw or b"{}")
            n, variant, transfer = self._options(parse_qs(url.query))
        except ValueError as exc:
            self._send_error(400, str(exc))
            return
        if request.get("stream"):
            writes = stream_writes(n, variant, transfer)
            content_type = "text/event-stream; charset=utf-8"
            self._send(200, content_type, *writes, chunked=transfer != "length")
        else:
            self._send(200, "application/json", completion_body(n, variant))

    def do_GET(self) -> None:
        """Answer the readiness probe and ``/v1/models``."""
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/health":
            self._send(200, "text/plain", b"ok")
        elif path in ("/v1/models", "/models"):
            model = {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "bench"}
            self._send(
                200, "application/json", json.dumps({"object": "list", "data": [model]}).encode()
            )
        else:
            self._send_error(404, f"no route for GET {path}")

    def _options(self, query: dict[str, list[str]]) -> tuple[int, str, str]:
        def pick(name: str, default: str) -> str:
            values = query.get(name)
            return values[-1] if values else self.headers.get(f"X-Bench-{name}", default)

        n = int(pick("chunks", str(self.server.default_chunks)))
        variant = pick("variant", self.server.default_variant)
        transfer = pick("transfer", self.server.default_transfer)
        if n < 2 or variant not in VARIANTS or transfer not in TRANSFERS:
            raise ValueError(f"bad options chunks={n} variant={variant!r} transfer={transfer!r}")
        return n, variant, transfer

    def _send(self, status: int, content_type: str, *writes: bytes, chunked: bool = False) -> None:
        """Send a response whose body is ``writes``, already framed when ``chunked``."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(sum(map(len, writes))))
        self.end_headers()
        for data in writes:
            self.wfile.write(data)

    def _send_error(self, status: int, message: str) -> None:
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        self._send(status, "application/json", json.dumps({"error": error}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a log line per request would cost CPU and clutter the report."""


class BenchServer(ThreadingHTTPServer):
    """A threading HTTP server that remembers the default stream options."""

    daemon_threads = True

    def __init__(self, port: int, chunks: int, variant: str, transfer: str) -> None:
        self.default_chunks = chunks
        self.default_variant = variant
        self.default_transfer = transfer
        super().__init__((HOST, port), BenchHandler)


def main(argv: list[str] | None = None) -> int:
    """Serve on 127.0.0.1 until stdin closes (the parent exited or closed it) or Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--chunks", type=int, default=20_000, help="content chunks per stream")
    parser.add_argument("--variant", choices=VARIANTS, default="text")
    parser.add_argument("--transfer", choices=TRANSFERS, default="chunked")
    args = parser.parse_args(argv)

    stream_writes(args.chunks, args.variant, args.transfer)  # build before announcing readiness
    server = BenchServer(args.port, args.chunks, args.variant, args.transfer)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.1,), name="bench-sse-server", daemon=True
    )
    thread.start()
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        # The parent holds our stdin open; EOF means it is gone or done, so no orphan survives it.
        while sys.stdin.buffer.read(65536):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
