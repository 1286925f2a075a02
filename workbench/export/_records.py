"""Messages to table rows: one list per column, filled one conversation at a time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from itertools import accumulate, compress
from operator import itemgetter
from typing import Any

from ..conversation._history import CUT_SHORT, History, Message
from ..media import describing
from ..protocol._pricing import cost_usd
from ._content import compact_audio, compact_parts, content_text, media_column
from ._frames import MESSAGE_COLUMNS
from ._secrets import Scrubber
from ._sources import Source

__all__ = ["Records", "usage_dict"]

_NAN = float("nan")
_FIELDS = (
    "id",
    "parent_id",
    "role",
    "name",
    "content",
    "refusal",
    "reasoning",
    "tool_calls",
    "tool_call_id",
    "model",
    "params",
    "usage",
    "usage_source",
    "latency",
    "finish_reason",
    "request_id",
    "status",
    "error",
    "kept",
    "created",
    "audio",
    "turn_ended",
    "api",
    "batch_id",
)
# A message's fields in one C call: pydantic keeps them in the instance __dict__. One pass over
# the messages (then zip) touches each object once, which matters more than the interpreter for
# 100,000 messages scattered in memory.
_GET_FIELDS = itemgetter(*_FIELDS)
_GET_TOKENS = itemgetter(
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)


class Records:
    """The columns of the message table as lists (``columns``), appended to by ``add``.

    Args:
        replies_only: keep only assistant messages (one per request: the usage table).
        raw_media: keep ``content_parts`` and ``audio`` as they are, inline data included (for
            files that store media themselves), instead of references.
    """

    def __init__(self, *, replies_only: bool = False, raw_media: bool = False) -> None:
        self.replies_only = replies_only
        self.raw_media = raw_media
        self.columns: dict[str, list[Any]] = {name: [] for name in MESSAGE_COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["message_id"])

    def add(self, source: Source, *, branches: bool, since: float | None) -> None:
        """Append the rows of ``source``: its current path, or every message with ``branches``;
        only messages created at or after ``since`` (seconds since the epoch) when given."""
        with describing():  # each media item decoded and hashed once for its three columns
            self._add(source, branches=branches, since=since)

    def _add(self, source: Source, *, branches: bool, since: float | None) -> None:
        history = source.history
        path = history.path()
        selection = self._select(history, path, branches=branches, since=since)
        if selection is None:
            return
        values, positions, turns = selection
        ids, parents = values["id"], values["parent_id"]
        scrub = Scrubber(source.secrets)
        c = self.columns
        c["conversation_id"].extend([source.id] * len(ids))
        c["message_id"].extend(ids)
        c["parent_id"].extend(parents)
        c["position"].extend(positions)
        c["turn"].extend([t if t >= 0 else None for t in turns])
        c["role"].extend(values["role"])
        c["name"].extend(values["name"])
        self._add_content(values, scrub)
        self._add_tool_calls(history, values, scrub)
        models, snapshots = values["model"], values["params"]
        c["model"].extend(models)
        c["params"].extend(_params(snapshots, scrub))
        self._add_usage(values["usage"], models, snapshots, values["batch_id"], source.base_url)
        self._add_outcome(values, scrub)
        on_path = {m.id for m in path}
        c["on_path"].extend([i in on_path for i in ids])
        chosen = history.selected
        c["selected"].extend([chosen.get(p) == i for i, p in zip(ids, parents, strict=True)])
        system = scrub.text(source.system) if source.system else source.system
        c["system"].extend([system] * len(ids))
        self._add_media(values, scrub)

    def _select(
        self, history: History, path: list[Message], *, branches: bool, since: float | None
    ) -> tuple[dict[str, Any], list[int], list[int]] | None:
        """The chosen messages' fields as columns, with their positions and turns: the path or
        the whole tree, less what ``replies_only`` and ``since`` leave out (None: no rows)."""
        chosen: list[Message] = _tree_order(history) if branches else path
        if not chosen:
            return None
        values: dict[str, Any] = dict(
            zip(_FIELDS, zip(*[_GET_FIELDS(vars(m)) for m in chosen], strict=True), strict=True)
        )
        positions, turns = _positions(history, chosen, values["role"], branches)
        keep: list[bool] | None = None
        if self.replies_only:
            keep = [role == "assistant" for role in values["role"]]
        if since is not None:
            recent = [created >= since for created in values["created"]]
            keep = recent if keep is None else [a and b for a, b in zip(keep, recent, strict=True)]
        if keep is not None:
            values = {name: list(compress(column, keep)) for name, column in values.items()}
            positions = list(compress(positions, keep))
            turns = list(compress(turns, keep))
            if not positions:
                return None
        return values, positions, turns

    def _add_content(self, values: dict[str, Any], scrub: Scrubber) -> None:
        """The text columns (a spoken reply reads as its words) and the content parts."""
        c, text = self.columns, scrub.text
        bodies = values["content"]
        contents = [text(b) if b.__class__ is str else _content(b, scrub) for b in bodies]
        for i, spoken in enumerate(values["audio"]):
            if spoken and contents[i] is None and isinstance(spoken.get("transcript"), str):
                contents[i] = text(spoken["transcript"])
        c["content"].extend(contents)
        parts = scrub.value if self.raw_media else partial(_parts, scrub=scrub)
        c["content_parts"].extend(
            [None if b is None or b.__class__ is str else parts(b) for b in bodies]
        )
        c["refusal"].extend([text(r) if r else r for r in values["refusal"]])
        c["reasoning"].extend([text(r) if r else r for r in values["reasoning"]])

    def _add_tool_calls(self, history: History, values: dict[str, Any], scrub: Scrubber) -> None:
        """Each reply's tool calls with the results that answered them, and their names."""
        c = self.columns
        calls = values["tool_calls"]
        if any(calls):
            results = _tool_results(history)
            rows = [
                _call_rows(i, found, results, scrub) if found else None
                for i, found in zip(values["id"], calls, strict=True)
            ]
        else:
            rows = list(calls)
        c["tool_calls"].extend(rows)
        c["tool_names"].extend([_names(found) if found else None for found in rows])
        c["tool_call_id"].extend(values["tool_call_id"])

    def _add_outcome(self, values: dict[str, Any], scrub: Scrubber) -> None:
        """How each request went: where its usage came from, its latency, why it finished, its
        request id and batch, status and error, whether it is kept, and when it was made."""
        c = self.columns
        c["usage_source"].extend(values["usage_source"])
        latencies = values["latency"]
        c["latency_s"].extend([lat.total if lat is not None else None for lat in latencies])
        c["ttft_s"].extend([lat.first_token if lat is not None else None for lat in latencies])
        c["finish_reason"].extend(values["finish_reason"])
        # the protocol that carried a reply; the other rows were carried by none
        replies = zip(values["api"], values["role"], strict=True)
        c["api"].extend([api if role == "assistant" else None for api, role in replies])
        c["request_id"].extend(values["request_id"])
        c["batch_id"].extend(values["batch_id"])
        # A reply the token limit cut or the content filter withheld is not ``complete``, nor
        # the last of a turn stopped at the tool-round limit (``Message.ending``).
        c["status"].extend(
            [
                (reason if reason in CUT_SHORT else ended or status)
                if status == "complete"
                else status
                for status, reason, ended in zip(
                    values["status"], values["finish_reason"], values["turn_ended"], strict=True
                )
            ]
        )
        c["error"].extend([scrub.text(e) if e else e for e in values["error"]])
        c["kept"].extend(values["kept"])
        c["created"].extend(values["created"])

    def _add_media(self, values: dict[str, Any], scrub: Scrubber) -> None:
        """The spoken replies' audio and the media column (references unless ``raw_media``)."""
        c = self.columns
        bodies, audios = values["content"], values["audio"]
        audio = scrub.value if self.raw_media else partial(_audio, scrub=scrub)
        c["audio"].extend([audio(a) if a else None for a in audios])
        c["media"].extend(
            [
                media_column(b, a) if a or (b is not None and b.__class__ is not str) else None
                for b, a in zip(bodies, audios, strict=True)
            ]
        )

    def _add_usage(
        self,
        usages: Sequence[Any],
        models: Sequence[Any],
        snapshots: Sequence[Any],
        batches: Sequence[str | None],
        base_url: str | None,
    ) -> None:
        c = self.columns
        none = (None, None, None, None, None)
        tokens = [_GET_TOKENS(vars(u)) if u is not None else none for u in usages]
        prompt, completion, total, asked, answered = zip(*tokens, strict=True)
        c["prompt_tokens"].extend(prompt)
        c["completion_tokens"].extend(completion)
        c["total_tokens"].extend(total)
        c["cached_tokens"].extend([d.cached_tokens if d else None for d in asked])
        c["reasoning_tokens"].extend([d.reasoning_tokens if d else None for d in answered])
        c["usage"].extend([usage_dict(u) if u is not None else None for u in usages])
        c["cost_usd"].extend(
            [
                _NAN if u is None else _price(model or p.get("model"), u, base_url, b is not None)
                for u, model, p, b in zip(usages, models, snapshots, batches, strict=True)
            ]
        )


def usage_dict(usage: Any) -> dict[str, Any]:
    """A ``CompletionUsage`` as a plain dict, unknown fields included (several times faster
    than ``model_dump`` on a table's worth of replies)."""
    out = _plain(usage)
    for name in ("prompt_tokens_details", "completion_tokens_details"):
        details = out.get(name)
        if details is not None and not isinstance(details, dict):
            out[name] = _plain(details)
    return out


def _plain(model: Any) -> dict[str, Any]:
    extra = model.__pydantic_extra__
    return {**vars(model), **extra} if extra else dict(vars(model))


def _params(snapshots: Iterable[dict[str, Any]], scrub: Scrubber) -> list[dict[str, Any] | None]:
    """A scrubbed copy of each parameter snapshot (None for none: messages that are not
    replies), copied once per snapshot: the replies of one turn share theirs."""
    copies: dict[int, dict[str, Any] | None] = {}
    out: list[dict[str, Any] | None] = []
    for snapshot in snapshots:
        key = id(snapshot)
        if key not in copies:
            copies[key] = scrub.value(snapshot) if snapshot else None
        out.append(copies[key])
    return out


def _content(body: object, scrub: Scrubber) -> str | None:
    found = content_text(body)
    return scrub.text(found) if found is not None else None


def _parts(body: object, scrub: Scrubber) -> Any:
    return scrub.value(compact_parts(body))


def _audio(audio: object, scrub: Scrubber) -> Any:
    return scrub.value(compact_audio(audio))


def _price(model: str | None, usage: Any, base_url: str | None, batch: bool) -> float:
    price = cost_usd(model, usage, base_url, batch=batch)
    return _NAN if price is None else price


def _names(calls: list[dict[str, Any]]) -> str:
    return ",".join(str(call["name"]) for call in calls)


def _call_rows(
    message_id: str,
    calls: list[dict[str, Any]],
    results: dict[tuple[str, Any], str | None],
    scrub: Scrubber,
) -> list[dict[str, Any]]:
    """Each tool call as a flat dict: id, type, name, arguments (JSON text) and result (the text
    of the tool message that answered it, or None)."""
    out = []
    for call in calls:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        result = results.get((message_id, call.get("id")))
        out.append(
            {
                "id": call.get("id"),
                "type": call.get("type", "function"),
                "name": function.get("name"),
                "arguments": scrub.text(arguments) if isinstance(arguments, str) else arguments,
                "result": scrub.text(result) if result is not None else None,
            }
        )
    return out


def _positions(
    history: History, chosen: list[Message], roles: Iterable[Any], branches: bool
) -> tuple[list[int], list[int]]:
    """For each chosen message, its position on its branch (0 for the first) and its turn: the
    number of the user message it follows (0 for the first), -1 before any."""
    if not branches:  # the path itself, in order
        turns = list(accumulate((role == "user" for role in roles), initial=-1))[1:]
        return list(range(len(chosen))), turns
    messages = history.messages
    positions: dict[str | None, int] = {None: -1}
    turn_of: dict[str | None, int] = {None: -1}
    for m in messages.values():
        chain = [m]
        # Parents come first in a History; walk up only for a tree built in another order.
        while chain[-1].parent_id not in positions:
            chain.append(messages[str(chain[-1].parent_id)])
        for node in reversed(chain):
            positions[node.id] = positions[node.parent_id] + 1
            turn_of[node.id] = turn_of[node.parent_id] + (node.role == "user")
    ids = [m.id for m in chosen]
    return [positions[i] for i in ids], [turn_of[i] for i in ids]


def _tree_order(history: History) -> list[Message]:
    """Every message, depth first: each after its parent, versions oldest first, so a branch
    reads top to bottom (the same order however the history was built or loaded)."""
    messages, children = history.messages, history.children
    out: list[Message] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        message_id = stack.pop()
        out.append(messages[message_id])
        stack.extend(reversed(children.get(message_id, [])))
    return out


def _tool_results(history: History) -> dict[tuple[str, Any], str | None]:
    """(assistant message id, call id) -> the text of the tool message answering that call."""
    messages = history.messages
    out: dict[tuple[str, Any], str | None] = {}
    for m in messages.values():
        if m.role != "tool" or m.tool_call_id is None:
            continue
        node = messages.get(m.parent_id) if m.parent_id is not None else None
        while node is not None and node.role == "tool":
            node = messages.get(node.parent_id) if node.parent_id is not None else None
        if node is not None and node.role == "assistant":
            out[(node.id, m.tool_call_id)] = content_text(m.content)
    return out
