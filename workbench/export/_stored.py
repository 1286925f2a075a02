"""Stored completions (made with ``store=True``): listed into a DataFrame, or reopened as a
``Transcript`` (the request's messages from ``messages.list`` and the reply)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._exceptions import InvalidParameterError
from ..conversation._history import History, Message
from ..conversation._params import ChatParams
from ..conversation._tools import run_sync
from ..protocol._pricing import cost_usd
from ..types import CompletionUsage
from ._checks import api_message, check_tool_answers, check_tools
from ._content import content_text
from ._frames import STORED_COLUMNS, build_frame
from ._records import usage_dict
from ._secrets import Scrubber
from ._transcript import Transcript

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from ..client._chat_client import AsyncStoredChatClient, StoredChatClient

__all__ = ["read_stored", "stored_dataframe"]

# Request parameters a stored completion reports (OpenAI adds them to the object).
_REPORTED: tuple[str, ...] = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_REPORTED += ("seed", "tool_choice", "response_format", "metadata")
# Those a reopened conversation keeps: a seed the server chose would fix every new reply.
_KEPT = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "response_format")


def stored_dataframe(
    client: StoredChatClient | AsyncStoredChatClient,
    model: str | None = None,
    metadata: Mapping[str, str] | None = None,
    limit: int = 100,
    *,
    order: Literal["asc", "desc"] = "desc",
    messages: bool = True,
) -> pd.DataFrame:
    """The completions stored on the server (``store=True``), one row each.

    Columns: ``id``, ``created`` (``datetime64[us, UTC]``), ``model``, ``metadata`` (a dict),
    ``first_user_message``, ``reply`` (the first choice's text), ``finish_reason``, the token
    counts (``Int64``), ``usage`` (a dict), ``cost_usd`` (NaN when unknown), ``request_id``,
    ``params`` (the request parameters the server reports) and ``service_tier``.

    Args:
        client: a ``workbench.Client`` or ``AsyncClient`` (or any ``StoredChatClient`` or
            ``AsyncStoredChatClient``: ``openai.OpenAI`` and ``AsyncOpenAI`` too).
        model: only completions of this model.
        metadata: only completions whose metadata has these key/value pairs.
        limit: at most this many rows.
        order: ``"desc"`` (newest first) or ``"asc"``.
        messages: fetch each completion's first user message (one more request per row);
            ``False`` leaves ``first_user_message`` empty.
    """
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    query: dict[str, Any] = {"limit": max(1, min(limit, 100)), "order": order}
    if model is not None:
        query["model"] = model
    if metadata is not None:
        query["metadata"] = dict(metadata)
    completions = _take(client.chat.completions.list(**query), limit)
    url = getattr(client, "base_url", None)
    base_url = str(url) if url is not None else None
    scrub = Scrubber((getattr(client, "api_key", None),))
    columns: dict[str, list[Any]] = {name: [] for name in STORED_COLUMNS}
    for completion in completions:
        extra = completion.model_extra or {}
        first = completion.choices[0].message if completion.choices else None
        usage = completion.usage
        cost = cost_usd(completion.model, usage, base_url)
        prompt = _first_user_message(client, completion.id) if messages else None
        reply = content_text(first.content) if first is not None else None
        if first is not None and reply is None and first.refusal:
            reply = f"[refusal] {first.refusal}"
        row: dict[str, Any] = {
            "id": completion.id,
            "created": float(completion.created),
            "model": completion.model,
            "metadata": scrub.value(extra.get("metadata") or {}),
            "first_user_message": scrub.text(prompt) if prompt is not None else None,
            "reply": scrub.text(reply) if reply is not None else None,
            "finish_reason": completion.choices[0].finish_reason if completion.choices else None,
            "prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None,
            "total_tokens": usage.total_tokens if usage else None,
            "cached_tokens": _detail(usage, "prompt_tokens_details", "cached_tokens"),
            "reasoning_tokens": _detail(usage, "completion_tokens_details", "reasoning_tokens"),
            "usage": usage_dict(usage) if usage is not None else None,
            "cost_usd": float("nan") if cost is None else cost,
            "request_id": extra.get("request_id"),
            "params": scrub.value(_reported(extra)),
            "service_tier": completion.service_tier,
        }
        for name, value in row.items():
            columns[name].append(value)
    return build_frame(columns, STORED_COLUMNS)


def read_stored(client: StoredChatClient | AsyncStoredChatClient, completion_id: str) -> Transcript:
    """The stored completion ``completion_id`` as a conversation: its request messages (a
    leading system message becomes the system prompt), then the reply (other choices as
    branches), with model, usage and the reported parameters."""
    completion = _call(client.chat.completions.retrieve(completion_id))
    stored = list(_take(client.chat.completions.messages.list(completion_id, order="asc"), None))
    where = f"stored completion {completion_id}"
    history = History()
    fields: dict[str, str] = {}
    system: str | None = None
    for i, item in enumerate(stored):
        if i == 0 and item.role == "system" and isinstance(item.content, str):
            system = item.content
            continue
        message = history.append(_stored_message(item, where, f"messages[{i}]"))
        fields[message.id] = f"messages[{i}]."
    extra = completion.model_extra or {}
    reported = _reported(extra)
    reply_params = {"model": completion.model, **reported, "store": True}
    leaf = history.leaf()
    for n, choice in enumerate(completion.choices):
        reply = Message(
            id=f"{completion.id}-reply-{choice.index}",
            parent_id=leaf.id if leaf is not None else None,
            role="assistant",
            content=choice.message.content,
            refusal=choice.message.refusal,
            tool_calls=[call.model_dump(mode="json") for call in choice.message.tool_calls or ()]
            or None,
            created=float(completion.created),
            model=completion.model,
            params=reply_params,
            usage=_own_usage(completion.usage) if n == 0 else None,  # the request's, once
            finish_reason=choice.finish_reason,
            request_id=extra.get("request_id"),
        )
        history.add(reply, select=n == 0)
    check_tool_answers(history, lambda message_id: (where, fields.get(message_id, "")))
    params = {"model": completion.model, **{k: reported[k] for k in _KEPT if k in reported}}
    tools = check_tools(extra.get("tools"), where, "tools")
    return Transcript(history, system=system, params=params, tools=tools)


def _stored_message(item: Any, where: str, at: str) -> Message:
    """A message ``messages.list`` gave (its content parts, when it has them, as content).

    ``name`` and ``tool_call_id`` are read only when there: ``openai``'s model of a stored
    message declares neither (it keeps them only when the server sends them).
    """
    raw = {
        "role": item.role,
        "content": _parts(item) or item.content,
        "name": getattr(item, "name", None),
        "refusal": item.refusal,
        "tool_calls": item.tool_calls,
        "tool_call_id": getattr(item, "tool_call_id", None),
    }
    return api_message(raw, where, at, strict=False)


def _own_usage(usage: Any) -> CompletionUsage | None:
    """A completion's usage as workbench's model (``openai``'s is another class of its shape)."""

    if usage is None or isinstance(usage, CompletionUsage):
        return usage
    return CompletionUsage.model_validate(usage.model_dump())


def _reported(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The request parameters a stored completion reports that a conversation can take."""

    out: dict[str, Any] = {}
    for name in _REPORTED:
        value = extra.get(name)
        if value is None or (name == "metadata" and not value):
            continue
        try:
            ChatParams(**{name: value})
        except InvalidParameterError:
            continue  # a value this version does not take: left out, not guessed
        out[name] = value
    return out


def _first_user_message(
    client: StoredChatClient | AsyncStoredChatClient, completion_id: str
) -> str | None:
    for item in _take(client.chat.completions.messages.list(completion_id, order="asc"), None):
        if item.role == "user":
            return content_text(_parts(item) or item.content)
    return None


def _parts(item: Any) -> list[Any]:
    """A stored message's content parts as plain dicts (none: an empty list)."""
    return [
        p.model_dump(mode="json") if hasattr(p, "model_dump") else p
        for p in item.content_parts or ()
    ]


def _detail(usage: Any, group: str, name: str) -> int | None:
    details = getattr(usage, group, None) if usage is not None else None
    return getattr(details, name, None) if details is not None else None


def _take(pages: Any, limit: int | None) -> list[Any]:
    """Up to ``limit`` items of a list result, sync or async (fetching no page past it)."""
    if hasattr(pages, "__aiter__"):

        async def collect() -> list[Any]:
            out: list[Any] = []
            if limit == 0:
                return out
            async for item in pages:
                out.append(item)
                if limit is not None and len(out) >= limit:
                    break
            return out

        return run_sync(collect)
    found: list[Any] = []
    if limit == 0:
        return found
    for item in pages:
        found.append(item)
        if limit is not None and len(found) >= limit:
            break
    return found


def _call(result: Any) -> Any:
    """A sync client's result, or an async client's awaited."""
    if inspect.isawaitable(result):

        async def wait() -> Any:
            return await result

        return run_sync(wait)
    return result
