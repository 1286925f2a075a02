"""``python -m workbench serve``: the local model over HTTP."""

from __future__ import annotations

import argparse
import sys

from .local import BatchLimits, BatchTiming, LocalModel, Pacing, parse_fault
from .local._pacing import default_pacing
from .local._server import serve
from .local._think import REASONING_FIELDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser(
        "serve", help="serve the local model (a simulator) on an OpenAI-compatible HTTP API"
    )
    server.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    server.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    server.add_argument("--api-key", help="require this bearer key (401 without it)")
    server.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. '429;times=2;retry-after=0.5', 'drop', 'cut;after=5',"
        " 'latency;seconds=0.2', 'malformed', '503', '502;format=html', 'stall',"
        " 'stall;after=4', 'empty', 'not-json', 'huge', 'error-event', 'no-done' (repeatable;"
        " see docs/local-model.md)",
    )
    server.add_argument(
        "--first-token", type=float, default=0.0, help="seconds before a stream starts"
    )
    server.add_argument(
        "--tokens-per-second",
        type=float,
        help="stream pacing (default: $WORKBENCH_LOCAL_TOKENS_PER_SECOND, else unpaced)",
    )
    server.add_argument(
        "--refusal-trigger", default="please refuse", help="text that makes the model refuse"
    )
    server.add_argument(
        "--reasoning-field",
        choices=REASONING_FIELDS,
        default="reasoning_content",
        help="where workbench-local-reasoning sends its reasoning text (default:"
        " reasoning_content, as DeepSeek and llama.cpp; reasoning, as vLLM and Ollama)",
    )
    server.add_argument(
        "--no-responses",
        action="store_true",
        help="answer /v1/responses with a 404, as a server that speaks Chat Completions only",
    )
    server.add_argument(
        "--no-embeddings",
        action="store_true",
        help="answer /v1/embeddings with a 404, as a server without embeddings",
    )
    _batch_options(server)
    args = parser.parse_args(argv)
    try:
        faults = [parse_fault(spec) for spec in args.fault]
    except ValueError as exc:
        parser.error(f"--fault: {exc}")
    try:
        rate = args.tokens_per_second
        if rate is None:
            rate = default_pacing().tokens_per_second
        pacing = Pacing(first_token=args.first_token, tokens_per_second=rate)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        timing, limits = _batch_settings(args)
    except ValueError as exc:
        parser.error(str(exc))
    model = LocalModel(
        api_key=args.api_key,
        pacing=pacing,
        faults=faults,
        refusal_trigger=args.refusal_trigger or None,
        reasoning_field=args.reasoning_field,
        responses=not args.no_responses,
        embeddings=not args.no_embeddings,
        batch_timing=timing,
        batch_limits=limits,
    )
    serve(model, host=args.host, port=args.port)
    return 0


def _batch_options(server: argparse.ArgumentParser) -> None:
    """The options of ``/v1/batches``: how long each step takes, in simulated seconds."""
    group = server.add_argument_group(
        "batches",
        "a batch runs in simulated time: validating, then each request in turn, then"
        " finalizing; --batch-time-scale sets how many simulated seconds pass per second",
    )
    defaults = BatchTiming()
    limits = BatchLimits()
    for name, default, what in (
        ("validating-seconds", defaults.validating_seconds, "from creation to in_progress"),
        ("seconds-per-request", defaults.seconds_per_request, "each request's turn (0: at once)"),
        ("finalizing-seconds", defaults.finalizing_seconds, "from the last request to completed"),
        ("cancelling-seconds", defaults.cancelling_seconds, "from a cancel to cancelled"),
        (
            "completion-window",
            defaults.completion_window_seconds,
            "seconds from creation until an unfinished batch expires (the API's 24 h)",
        ),
        ("time-scale", defaults.time_scale, "simulated seconds per wall-clock second"),
    ):
        group.add_argument(
            f"--batch-{name}",
            type=float,
            default=default,
            metavar="FACTOR" if name == "time-scale" else "SECONDS",
            help=f"{what} (default: {default:g})",
        )
    group.add_argument(
        "--batch-max-requests",
        type=int,
        default=limits.max_requests,
        metavar="N",
        help=f"requests a batch's input file may hold (default: {limits.max_requests})",
    )
    group.add_argument(
        "--batch-max-bytes",
        type=int,
        default=limits.max_bytes,
        metavar="BYTES",
        help=f"bytes a batch's input file may hold (default: {limits.max_bytes}, 200 MB)",
    )


def _batch_settings(args: argparse.Namespace) -> tuple[BatchTiming, BatchLimits]:
    timing = BatchTiming(
        validating_seconds=args.batch_validating_seconds,
        seconds_per_request=args.batch_seconds_per_request,
        finalizing_seconds=args.batch_finalizing_seconds,
        cancelling_seconds=args.batch_cancelling_seconds,
        completion_window_seconds=args.batch_completion_window,
        time_scale=args.batch_time_scale,
    )
    return timing, BatchLimits(max_requests=args.batch_max_requests, max_bytes=args.batch_max_bytes)


if __name__ == "__main__":
    sys.exit(main())
