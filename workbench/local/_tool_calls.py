"""Which tools the local model calls for a user message, and with what arguments."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._phrasing import stable_hash
from ._values import extract_hints, generate

__all__ = ["ToolCall", "choose_tools"]

_WORDS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_STOP = frozenset(
    "a an the is are was be to of in on at for and or with what whats how do does me my i you"
    " your it its this that please can could would like get set args arg tool function".split()
)
_MAX_PARALLEL = 3


class ToolCall:
    """A call the model makes: id, tool type, name, and arguments (JSON text or custom input)."""

    __slots__ = ("arguments", "id", "kind", "name")

    def __init__(self, id: str, kind: str, name: str, arguments: str) -> None:
        self.id = id
        self.kind = kind
        self.name = name
        self.arguments = arguments


def _words(text: str) -> set[str]:
    spaced = _CAMEL.sub(" ", text).replace("_", " ").replace("-", " ")
    return {_stem(w) for w in _WORDS.findall(spaced.lower()) if w not in _STOP}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _spec(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = tool.get(tool.get("type", "function"))
    return spec if isinstance(spec, Mapping) else {}


def _score(tool: Mapping[str, Any], words: set[str]) -> int:
    spec = _spec(tool)
    name_words = _words(str(spec.get("name", "")))
    description = _words(str(spec.get("description", "")))
    return 3 * len(name_words & words) + len(description & words)


def _allowed(
    tools: Sequence[Mapping[str, Any]], choice: object
) -> tuple[list[Mapping[str, Any]], str]:
    """The tools that may be called and the mode: ``auto``, ``required`` or ``none``."""
    if choice is None or choice == "auto":
        return list(tools), "auto"
    if choice in ("none", "required"):
        return list(tools), str(choice)
    if isinstance(choice, Mapping):
        kind = choice.get("type")
        if kind == "allowed_tools":
            allowed = choice.get("allowed_tools") or {}
            names = {
                str(_spec(t).get("name"))
                for t in allowed.get("tools", ())
                if isinstance(t, Mapping)
            }
            subset = [t for t in tools if _spec(t).get("name") in names]
            return subset, str(allowed.get("mode", "auto"))
        named = choice.get(str(kind))
        name = named.get("name") if isinstance(named, Mapping) else None
        return [t for t in tools if _spec(t).get("name") == name], "required"
    return list(tools), "auto"


def choose_tools(
    *,
    tools: Sequence[Mapping[str, Any]],
    tool_choice: object,
    parallel: bool,
    user_text: str,
    seed: int,
) -> list[ToolCall]:
    """The calls the model makes for ``user_text``: the best-matching tools, as allowed.

    ``auto`` calls the tools whose name or description shares words with the message (several
    with ``parallel``); ``required`` and a named choice force a call; ``none`` forbids it.
    """
    candidates, mode = _allowed(tools, tool_choice)
    if mode == "none" or not candidates:
        return []
    words = _words(user_text)
    scored = sorted(
        ((_score(t, words), -i, t) for i, t in enumerate(candidates)),
        key=lambda x: x[:2],
        reverse=True,
    )
    chosen = [t for score, _, t in scored if score > 0]
    if not chosen and mode == "required":
        chosen = [scored[0][2]]
    chosen = chosen[:_MAX_PARALLEL] if parallel else chosen[:1]

    hints = extract_hints(user_text)
    calls = []
    for k, tool in enumerate(chosen):
        spec = _spec(tool)
        name = str(spec.get("name"))
        call_id = f"call_{stable_hash(name, user_text, seed, k):010d}{k}"
        if tool.get("type") == "custom":
            calls.append(ToolCall(call_id, "custom", name, user_text))
            continue
        schema = spec.get("parameters") or {"type": "object", "properties": {}}
        value = generate(schema, seed=seed + k, hints=hints)
        calls.append(ToolCall(call_id, "function", name, json.dumps(value, ensure_ascii=False)))
    return calls
