"""The conversation widget's transcript: entries for a window of the branch's last messages,
the patch between two windows, and the footer's totals, none of them walking the whole branch.

A conversation of thousands of turns costs the widget the same per turn as one of ten: the
window is the last ``size`` messages (older ones are fetched on demand), an entry is built once
and reused while its message is unchanged, and the footer's sums are kept per position of the
branch and recomputed only from where it changed (``History.watch``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..conversation._history import Message, PathWatch
from ..protocol._pricing import cost_usd
from ._media_view import MediaStore
from ._render import message_to_html
from ._tool_view import LiveState

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["WINDOW", "TranscriptWindow", "patch", "turn_end", "usage_text"]

WINDOW = 40
"""Messages of the branch the widget keeps in its synced transcript (10 turns with a tool);
older ones wait behind "Show earlier messages"."""

Entry = dict[str, Any]
LiveCalls = Callable[[], Mapping[str, LiveState]]
"""While a turn runs: what each of its tool calls without a result is doing, by call id."""
# tokens, known cost, replies priced, replies with usage, replies whose usage is estimated
_Totals = tuple[int, float, int, int, int]


class TranscriptWindow:
    """Entries of ``chat``'s current branch from message ``start`` on, for one widget.

    Args:
        chat: the conversation.
        start: the first message shown (``%%chat`` shows one turn).
        size: how many of the last messages the window holds.
        one_turn: end at the turn that begins at ``start`` (``turn_end``), as ``%%chat`` does.
    """

    def __init__(
        self, chat: Conversation, *, start: int = 0, size: int = WINDOW, one_turn: bool = False
    ) -> None:
        self.chat = chat
        self.start = start
        self.size = max(1, size)
        self.one_turn = one_turn
        self.media = MediaStore()  # what the entries refer to: the front end asks by hash
        self._entries: dict[str, tuple[tuple[Any, ...], Entry]] = {}
        self._costs: dict[str, tuple[tuple[Any, ...], float | None]] = {}
        self._watch: PathWatch | None = None
        self._totals: list[_Totals] = []
        self._totals_url: str | None = None
        self._shown_watch: PathWatch | None = None
        self._shown: list[tuple[int, Entry]] = []  # the last window: (position, entry)
        self._shown_first = 0
        self._shown_url: str | None = None
        self.live: LiveCalls = dict  # the widget's, while a turn runs (``ConversationWidget``)
        self._live: Mapping[str, LiveState] = {}

    # -- entries -----------------------------------------------------------------------------

    def end(self, path: Sequence[Message]) -> int:
        """Where what is shown ends: the branch's end, or with ``one_turn`` the turn's end."""
        return turn_end(path, self.start) if self.one_turn else len(path)

    def window(self, base_url: str | None) -> tuple[list[Entry], int]:
        """The entries of the last ``size`` messages, and how many messages come before them
        (from ``start``).

        The entries of the last window before the first position that changed since (the
        history says which, ``History.watch``) are kept as they are; only the rest is looked at.
        """
        history = self.chat.history
        path = history.path_view()
        watch = self._shown_watch
        if watch is None or watch.history is not history or base_url != self._shown_url:
            watch = self._shown_watch = history.watch()
            self._shown, self._shown_url = [], base_url
        changed = watch.take()
        live = dict(self.live())
        if live != self._live:  # a call started running, or its turn ended: redraw its reply
            self._live = live
            changed = min(changed, _last_reply(path))
        while 0 < changed < len(path) and path[changed].role == "tool":
            changed -= 1  # a tool result shows in its call's entry
        end = self.end(path)
        first = self._first(path, max(self.start, end - self.size))
        kept: list[tuple[int, Entry]] = []
        if self._shown and self._shown_first <= first:
            kept = [(i, entry) for i, entry in self._shown if first <= i < min(changed, end)]
        resume = max(first, changed) if kept else first
        added = self.entries(path, resume, end, base_url)
        self._shown = kept + [(entry["index"], entry) for entry in added]
        self._shown_first = first
        if len(self._entries) > 4 * self.size:  # keep the built entries bounded too
            keep = {entry["id"] for _, entry in self._shown}
            self._entries = {k: v for k, v in self._entries.items() if k in keep}
        return [entry for _, entry in self._shown], max(0, first - self.start)

    def before(self, end: int, count: int, base_url: str | None) -> tuple[list[Entry], int]:
        """The entries of up to ``count`` messages before message ``end``, and how many
        messages (from ``start``) come before those."""
        path = self.chat.history.path_view()
        end = max(self.start, min(end, self.end(path)))
        first = self._first(path, max(self.start, end - max(1, count)))
        return self.entries(path, first, end, base_url), max(0, first - self.start)

    def _first(self, path: Sequence[Message], first: int) -> int:
        """``first``, moved back so that a tool result is not cut off from its call."""
        while self.start < first < len(path) and path[first].role == "tool":
            first -= 1
        return first

    def entries(
        self, path: Sequence[Message], first: int, end: int, base_url: str | None
    ) -> list[Entry]:
        """Entries for ``path[first:end]``; tool results are shown under the calls they answer."""
        out: list[Entry] = []
        for index in range(max(first, 0), end):
            message = path[index]
            if message.role == "tool" and _answers_call(path, index):
                continue
            out.append(self._entry(path, index, base_url))
        return out

    def _entry(self, path: Sequence[Message], index: int, base_url: str | None) -> Entry:
        """One message's entry, built again only when the message, its tool results, its place
        or its versions changed."""
        message = path[index]
        results = _results(path, index) if message.tool_calls else {}
        history = self.chat.history
        versions = history.children.get(message.parent_id, [])
        branch = [versions.index(message.id), len(versions)] if message.id in versions else [0, 1]
        replaced = history.messages.get(versions[branch[0] - 1]) if branch[0] > 0 else None
        answers = tuple((id(r), r.revision) for r in results.values())
        live = self._live_calls(path, index, results)
        before = (id(replaced), replaced.revision) if replaced is not None else None
        state = (answers, before, tuple(live.items()))
        key = (id(message), message.revision, state, index, *branch, base_url)
        cached = self._entries.get(message.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        entry: Entry = {
            "id": message.id,
            "index": index,
            "role": message.role,
            "html": message_to_html(
                message, tool_results=results, found=self.media.add, live=live, replaced=replaced
            ),
            "status": message.status,
            "branch": branch,
        }
        if message.role == "assistant":  # its text is fetched when copied: never sent twice
            entry["meta"] = self.meta(message, base_url)
        else:
            entry["text"] = message.text
        self._entries[message.id] = (key, entry)
        return entry

    def _live_calls(
        self, path: Sequence[Message], index: int, results: Mapping[str, Message]
    ) -> dict[str, LiveState]:
        """What the calls without a result of the reply at ``index`` are doing, if it is the
        running turn's last reply."""
        if not self._live or index != _last_reply(path):
            return {}
        ids = (str(call.get("id")) for call in path[index].tool_calls or ())
        return {i: self._live[i] for i in ids if i in self._live and i not in results}

    # -- provenance and usage ----------------------------------------------------------------

    def cost(self, message: Message, base_url: str | None) -> float | None:
        """``cost_usd`` of a reply, looked up once (a priced model's lookup is slow)."""
        key = (message.model, id(message.usage), base_url)
        cached = self._costs.get(message.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        value = cost_usd(message.model, message.usage, base_url, batch=message.batch_id is not None)
        self._costs[message.id] = (key, value)
        return value

    def meta(self, message: Message, base_url: str | None) -> dict[str, Any]:
        """Provenance of a reply: model, parameters, request id, usage, cost, latency."""
        usage = message.usage
        return {
            "cost_usd": self.cost(message, base_url),
            "model": message.model,
            "params": message.params,
            "request_id": message.request_id,
            "usage": usage.model_dump(mode="json", exclude_none=True) if usage else None,
            "latency": message.latency.model_dump() if message.latency is not None else None,
        }

    def provenance(self, base_url: str | None) -> list[dict[str, Any]]:
        """Every reply's provenance from ``start`` on (for the output's metadata)."""
        path = self.chat.history.path_view()
        return [
            {"id": m.id, **self.meta(m, base_url)}
            for m in path[self.start : self.end(path)]
            if m.role == "assistant"
        ]

    def footer(self, base_url: str | None) -> str:
        """The footer's text (``usage_text``), from sums kept per position of the branch."""
        history = self.chat.history
        path = history.path_view()
        watch = self._watch
        if watch is None or watch.history is not history or base_url != self._totals_url:
            watch = self._watch = history.watch()
            self._totals, self._totals_url = [], base_url
        changed = watch.take()
        totals = self._totals
        del totals[changed:]
        tokens, known, priced, used, guessed = totals[-1] if totals else (0, 0.0, 0, 0, 0)
        for message in path[changed:]:
            if message.role == "assistant" and message.usage is not None:
                cost = self.cost(message, base_url)
                tokens += message.usage.total_tokens
                used += 1
                guessed += message.usage_source == "estimate"
                if cost is not None:
                    known, priced = known + cost, priced + 1
            totals.append((tokens, known, priced, used, guessed))
        end = self.end(path)
        if self.start >= end:
            return ""
        before = totals[self.start - 1] if self.start > 0 else (0, 0.0, 0, 0, 0)
        upto = totals[end - 1]
        last = next((m for m in reversed(path[self.start : end]) if m.role == "assistant"), None)
        if last is None:
            return ""
        return usage_text(
            last,
            self.cost(last, base_url) if last.usage is not None else None,
            tokens=upto[0] - before[0],
            known=upto[1] - before[1],
            priced=upto[2] - before[2],
            used=upto[3] - before[3],
            estimated=upto[4] - before[4],
        )


def _last_reply(path: Sequence[Message]) -> int:
    """The position of the branch's last message that is not a tool result (-1: none)."""
    k = len(path) - 1
    while k >= 0 and path[k].role == "tool":
        k -= 1
    return k


def turn_end(path: Sequence[Message], start: int) -> int:
    """The end of the turn that begins at ``start``: the next user message after it (the next
    turn's), or the branch's end. Its replies, tool rounds and regenerated versions are in it;
    a later turn is not."""
    for index in range(start + 1, len(path)):
        if path[index].role == "user":
            return index
    return len(path)


def _answers_call(path: Sequence[Message], index: int) -> bool:
    """Whether the tool message at ``index`` answers a call of the reply just before it (tool
    results follow the reply that called them)."""
    call_id = path[index].tool_call_id
    k = index - 1
    while k >= 0 and path[k].role == "tool":
        k -= 1
    if k < 0 or not call_id or path[k].role != "assistant":
        return False
    return any(str(call.get("id")) == call_id for call in path[k].tool_calls or ())


def _results(path: Sequence[Message], index: int) -> dict[str, Message]:
    """The tool messages that follow the reply at ``index``, by the call they answer."""
    calls = {str(call.get("id")) for call in path[index].tool_calls or ()}
    out: dict[str, Message] = {}
    k = index + 1
    while k < len(path) and path[k].role == "tool":
        if path[k].tool_call_id in calls:
            out[str(path[k].tool_call_id)] = path[k]
        k += 1
    return out


def patch(old: list[Entry], new: list[Entry]) -> tuple[int, int] | None:
    """How ``new`` follows from ``old``: ``(drop, keep)`` such that ``new`` is
    ``old[drop:drop + keep] + new[keep:]``, or None when nothing of ``old`` is kept."""
    if not old or not new:
        return None
    first = new[0]["id"]
    drop = next((i for i, entry in enumerate(old) if entry["id"] == first), None)
    if drop is None:
        return None
    keep = 0
    while drop + keep < len(old) and keep < len(new) and old[drop + keep] == new[keep]:
        keep += 1
    return (drop, keep) if keep else None


def usage_text(
    last: Message,
    last_cost: float | None,
    *,
    tokens: int,
    known: float,
    priced: int,
    used: int,
    estimated: int = 0,
) -> str:
    """The footer: tokens (and cost, where known) of the last reply and of the branch, and the
    last reply's timing. Estimated counts (a server that sent none) are marked ``~``."""
    parts = []
    if last.usage is not None:
        u = last.usage
        guess = "~" if last.usage_source == "estimate" else ""
        details = [f"prompt {guess}{u.prompt_tokens}", f"completion {guess}{u.completion_tokens}"]
        reasoning = getattr(u.completion_tokens_details, "reasoning_tokens", None)
        if reasoning:
            details.append(f"reasoning {reasoning}")
        cached = getattr(u.prompt_tokens_details, "cached_tokens", None)
        if cached:
            details.append(f"cached {cached}")
        text = f"last reply: {guess}{u.total_tokens} tokens ({', '.join(details)})"
        if guess:
            text += " estimated: the server sent no count"
        if last_cost is not None:
            text += f", {_dollars(last_cost)}"
        parts.append(text)
    if used:
        text = f"conversation: {'~' if estimated else ''}{tokens} tokens"
        if priced:
            some_unknown = priced < used
            text += f", {_dollars(known)}{'+ (some prices unknown)' if some_unknown else ''}"
        parts.append(text)
    if last.latency is not None and last.latency.total is not None:
        timing = f"{last.latency.total:.2f} s"
        if last.latency.first_token is not None:
            timing += f", first token {last.latency.first_token:.2f} s"
        parts.append(timing)
    return " · ".join(parts)


def _dollars(amount: float) -> str:
    """``$0.000435``: four significant digits, however small."""
    return f"${amount:.4g}" if amount < 1 else f"${amount:,.2f}"
