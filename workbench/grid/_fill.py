"""What a cell holds once its turn is over, read from the messages of that turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..protocol._pricing import cost_usd
from ..types import CompletionUsage
from ._cells import Cell

__all__ = ["fill_cell", "turn_of"]


def turn_of(conversation: Any) -> list[Any]:
    """The messages after the last user message of ``conversation``'s branch."""
    messages = conversation.messages
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            return list(messages[i + 1 :])
    return list(messages)


def fill_cell(cell: Cell, turn: Sequence[Any], base_url: str | None) -> None:
    """Fill ``cell``'s output, usage, cost and tool calls from the messages of its turn (the
    assistant's replies and the tools' results; the last reply may be partial). A reply that
    came through the Batch API (``batch_id``) is priced at the batch discount."""
    replies = [m for m in turn if m.role == "assistant"]
    final = replies[-1] if replies else None
    if final is not None:
        cell.output = final.content if isinstance(final.content, str) else ""
        cell.parsed = final.parsed
        cell.refusal = final.refusal
        cell.finish_reason = final.finish_reason
        cell.request_id = final.request_id
    results = {m.tool_call_id: m for m in turn if m.role == "tool"}
    cell.tool_calls = [
        {
            "name": str((call.get("function") or {}).get("name")),
            "arguments": str((call.get("function") or {}).get("arguments") or ""),
            "result": _result_text(results.get(call.get("id"))),
        }
        for reply in replies
        for call in reply.tool_calls or ()
    ]
    usages = [m.usage for m in replies if m.usage is not None]
    cell.usage = summed_usage(usages) if usages else None
    estimated = any(m.usage_source == "estimate" for m in replies if m.usage is not None)
    cell.usage_source = ("estimate" if estimated else "server") if usages else None
    costs = [cost_usd(m.model, m.usage, base_url, batch=m.batch_id is not None) for m in replies]
    cell.cost_usd = sum(c for c in costs if c is not None) if costs and None not in costs else None
    first = replies[0].latency if replies else None
    cell.ttft_s = first.first_token if first is not None else None


def summed_usage(usages: Sequence[Any]) -> Any:
    """One ``CompletionUsage`` for several replies (a turn with tool rounds)."""
    if len(usages) == 1:
        return usages[0]

    def total(name: str) -> int:
        return sum(int(getattr(u, name, 0) or 0) for u in usages)

    def detail(group: str, name: str) -> int | None:
        values = [getattr(getattr(u, group, None), name, None) for u in usages]
        known = [int(v) for v in values if v is not None]
        return sum(known) if known else None

    return CompletionUsage.model_validate(
        {
            "prompt_tokens": total("prompt_tokens"),
            "completion_tokens": total("completion_tokens"),
            "total_tokens": total("total_tokens"),
            "prompt_tokens_details": {
                "cached_tokens": detail("prompt_tokens_details", "cached_tokens")
            },
            "completion_tokens_details": {
                "reasoning_tokens": detail("completion_tokens_details", "reasoning_tokens")
            },
        }
    )


def _result_text(message: Any) -> str | None:
    if message is None:
        return None
    content = message.content
    return content if isinstance(content, str) or content is None else str(content)
