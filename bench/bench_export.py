"""Measures exporting conversations to a DataFrame: ``workbench.to_dataframe`` on 100,000 messages.

The conversations are built in memory (1,000 conversations of 100 messages by default: user
questions and assistant replies with usage, latency and parameters, a tool call and its result in
every tenth turn) with no model and no log, then exported ``--repeat`` times after one warm-up.
The target (issue 6, "Bench"): exporting 100,000 messages takes under 1 second, judged on the
median CPU time of this process (wall time is printed beside it: on a shared machine it also
counts other work).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

LIMIT_S = 1.0
"""Target: seconds to export 100,000 messages (scaled to the messages actually exported)."""
TARGET_MESSAGES = 100_000


def build(conversations: int, per_conversation: int) -> list[Any]:
    """``conversations`` conversations of ``per_conversation`` messages each, built directly from
    template messages (``model_copy``: no validation, no requests), sharing one local client.

    Every message is its own object (usage and latency included), as in a real history.
    """
    import workbench
    from workbench.conversation._history import Latency, Message
    from workbench.local import LocalModel
    from workbench.types import CompletionUsage

    usage = CompletionUsage(
        prompt_tokens=12,
        completion_tokens=40,
        total_tokens=52,
        prompt_tokens_details={"cached_tokens": 0, "audio_tokens": 0},
        completion_tokens_details={
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    )
    latency = Latency(first_token=0.2, total=1.1)
    reply = Message(
        role="assistant",
        model="gpt-4o-mini-2024-07-18",
        finish_reason="stop",
        usage=usage,
        latency=latency,
    )
    question = Message(role="user", content="")
    answer = Message(role="tool", content='{"temperature": 21}', name="get_weather")
    client = workbench.Client(local=LocalModel())
    out = []
    clock = 1_760_000_000.0
    for c in range(conversations):
        chat = workbench.Conversation(client=client, log=False, system="Be brief.")
        params = {"model": "gpt-4o-mini", "temperature": 0.2 + (c % 5) / 10}
        parent: str | None = None
        for i in range(per_conversation):
            clock += 0.5
            ident = f"msg_{c:05d}_{i:04d}"
            common = {"id": ident, "parent_id": parent, "created": clock}
            if i % 2 == 0:
                message = question.model_copy(update={**common, "content": f"Question {i}?"})
            elif i % 20 == 2:  # the answer to the call made just before
                message = answer.model_copy(update={**common, "tool_call_id": f"call_{c}_{i - 1}"})
            else:
                calls = i % 20 == 1 and i + 1 < per_conversation
                message = reply.model_copy(
                    update={
                        **common,
                        "content": None if calls else f"Answer {i}: " + "lorem ipsum " * 8,
                        "tool_calls": [_call(f"call_{c}_{i}")] if calls else None,
                        "finish_reason": "tool_calls" if calls else "stop",
                        "params": params,
                        "request_id": f"req_{ident}",
                        "usage": usage.model_copy(
                            update={"prompt_tokens": 20 * i + 12, "total_tokens": 20 * i + 52}
                        ),
                        "latency": latency.model_copy(),
                    }
                )
            chat.history.add(message)
            parent = ident
        out.append(chat)
    return out


def _call(ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }


def measure(conversations: list[Any], repeat: int) -> tuple[list[float], list[float], int]:
    """CPU and wall times of ``repeat`` exports (after one warm-up) and the rows each made."""
    import workbench

    rows = len(workbench.to_dataframe(*conversations))  # warm-up: imports pandas, pyarrow
    cpu, wall = [], []
    for _ in range(repeat):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        frame = workbench.to_dataframe(*conversations)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        if len(frame) != rows:
            raise AssertionError(f"exported {len(frame)} rows, then {rows}")
    return cpu, wall, rows


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 when the target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100, help="messages per conversation")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 x 100, 2 repeats")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.conversations, args.messages, args.repeat = 100, 100, 2

    import pandas

    import workbench

    started = time.perf_counter()
    conversations = build(args.conversations, args.messages)
    built = time.perf_counter() - started
    cpu, wall, rows = measure(conversations, args.repeat)
    median_cpu, median_wall = statistics.median(cpu), statistics.median(wall)
    limit = LIMIT_S * rows / TARGET_MESSAGES
    ok = median_cpu < limit

    print(
        f"export benchmark: python {sys.version.split()[0]}, pandas {pandas.__version__},"
        f" workbench {workbench.__version__}; {os.cpu_count()} CPUs"
    )
    print(
        f"{args.conversations} conversations x {args.messages} messages = {rows:,} rows"
        f" (built in memory in {built:.1f} s); {args.repeat} runs after a warm-up"
    )
    print()
    print(f"{'measure':<40}{'CPU s':>10}{'wall s':>10}")
    print(f"{'to_dataframe median':<40}{median_cpu:>10.3f}{median_wall:>10.3f}")
    print(f"{'to_dataframe min':<40}{min(cpu):>10.3f}{min(wall):>10.3f}")
    print(f"{'to_dataframe max':<40}{max(cpu):>10.3f}{max(wall):>10.3f}")
    print(f"{'rows':<40}{rows:>10,}")
    per_second = rows / median_cpu if median_cpu else math.inf
    print(f"{'rows per CPU second (median)':<40}{per_second:>10,.0f}")
    print()
    label = f"CPU median < {limit:.2f} s ({LIMIT_S:g} s per {TARGET_MESSAGES:,} rows)"
    print(f"{'target':<44}{'measured':>10}  verdict")
    print(f"{label:<44}{median_cpu:>10.3f}  {_verdict(ok)}")
    print("(CPU time of this process: the machine may be shared; wall time is shown beside it)")
    print()
    print(f"verdict: {_verdict(ok)}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
