"""The local model's answer as the API sends it: a ``chat.completion``, or its chunks with the
choices interleaved."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from ._phrasing import stable_hash, tokenize
from ._tool_calls import ToolCall

__all__ = ["Answer", "Choice"]

_AUDIO_PIECE = 8192  # base64 characters of audio per chunk (a multiple of 4: each decodes alone)


class Choice:
    """One generated choice: text tokens (spoken, with ``audio``), a refusal, or tool calls,
    and why it stopped; for the reasoning model, the reasoning tokens before them."""

    __slots__ = (
        "audio",
        "finish_reason",
        "index",
        "logprobs",
        "reasoning",
        "refusal",
        "tokens",
        "tool_calls",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.reasoning: list[str] | None = None  # None: no reasoning field at all
        self.audio: dict[str, Any] | None = None
        self.tokens: list[str] = []
        self.refusal: list[str] | None = None
        self.tool_calls: list[ToolCall] = []
        self.logprobs: list[dict[str, Any]] | None = None
        self.finish_reason = "stop"

    @property
    def content(self) -> str | None:
        if self.refusal is not None or self.tool_calls or self.audio is not None:
            return None  # a spoken reply's text is its audio's transcript
        return "".join(self.tokens)


class Answer:
    """The whole answer to one request: its choices, usage and identity."""

    def __init__(
        self,
        *,
        id: str,
        created: int,
        model: str,
        choices: list[Choice],
        usage: dict[str, Any],
        service_tier: str,
        logprobs: bool,
        reasoning_field: str = "reasoning_content",
    ) -> None:
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.service_tier = service_tier
        self.fingerprint = f"fp_local{stable_hash(model) % 10**6:06d}"
        self.wants_logprobs = logprobs
        self.reasoning_field = reasoning_field

    def completion(self, metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The non-streamed ``chat.completion`` object."""
        choices = []
        for choice in self.choices:
            message: dict[str, Any] = {
                "role": "assistant",
                "content": choice.content,
                "refusal": "".join(choice.refusal) if choice.refusal is not None else None,
                "annotations": [],
            }
            if choice.reasoning is not None:  # beside the content, as DeepSeek's API puts it
                message[self.reasoning_field] = "".join(choice.reasoning)
            if choice.tool_calls:
                message["tool_calls"] = [_call_dict(call) for call in choice.tool_calls]
            if choice.audio is not None:
                message["audio"] = choice.audio
            logprobs = None
            if self.wants_logprobs:
                key = "refusal" if choice.refusal is not None else "content"
                logprobs = {"content": None, "refusal": None, key: choice.logprobs or []}
            choices.append(
                {
                    "index": choice.index,
                    "message": message,
                    "logprobs": logprobs,
                    "finish_reason": choice.finish_reason,
                }
            )
        data = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            "usage": self.usage,
            "service_tier": self.service_tier,
            "system_fingerprint": self.fingerprint,
        }
        if metadata:
            data["metadata"] = dict(metadata)
        return data

    def chunks(self, *, include_usage: bool) -> Iterator[dict[str, Any]]:
        """The ``chat.completion.chunk`` objects, choices interleaved as the API sends them."""
        head = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "service_tier": self.service_tier,
            "system_fingerprint": self.fingerprint,
        }
        tail = {"usage": None} if include_usage else {}
        streams = [self._choice_chunks(choice) for choice in self.choices]
        for round_ in itertools.zip_longest(*streams):
            for choice_part in round_:
                if choice_part is not None:
                    yield {**head, "choices": [choice_part], **tail}
        if include_usage:
            yield {**head, "choices": [], "usage": self.usage}

    def _choice_chunks(self, choice: Choice) -> Iterator[dict[str, Any]]:
        index = choice.index
        lp = self.wants_logprobs
        opening = self._opening(choice)
        if choice.reasoning is not None:
            # As DeepSeek streams it: the reasoning first, with a null content.
            field = self.reasoning_field
            yield _part(index, {"role": "assistant", "content": None, field: ""})
            for token in choice.reasoning:
                yield _part(index, {"content": None, field: token})
        if choice.tool_calls:
            first = choice.tool_calls[0]
            yield _part(
                index,
                opening | {"content": None, "tool_calls": [_call_start(0, first)], "refusal": None},
            )
            for k, call in enumerate(choice.tool_calls):
                if k:
                    yield _part(index, {"tool_calls": [_call_start(k, call)]})
                text = call.arguments
                for piece in tokenize(text):
                    key = "input" if call.kind == "custom" else "arguments"
                    yield _part(index, {"tool_calls": [{"index": k, call.kind: {key: piece}}]})
        elif choice.audio is not None:
            yield from self._audio_chunks(choice)
        else:
            field = "refusal" if choice.refusal is not None else "content"
            other = "content" if field == "refusal" else "refusal"
            # As the API opens a stream: the field that will grow starts empty, the other is null.
            empty: dict[str, Any] | None = {field: [], other: None} if lp else None
            yield _part(index, opening | {field: "", other: None}, empty)
            tokens = choice.refusal if choice.refusal is not None else choice.tokens
            logprobs = choice.logprobs or []
            for i, token in enumerate(tokens):
                if lp:
                    lps = {field: logprobs[i : i + 1], other: None}
                    yield _part(index, {field: token}, lps)
                else:
                    yield _part(index, {field: token})
        yield {"index": index, "delta": {}, "logprobs": None, "finish_reason": choice.finish_reason}

    def _opening(self, choice: Choice) -> dict[str, Any]:
        """What the delta that opens the answer starts with: the role, or after reasoning
        (which carried the role) the reasoning field set to null, as DeepSeek's API sends it."""
        if choice.reasoning is None:
            return {"role": "assistant"}
        return {self.reasoning_field: None}

    def _audio_chunks(self, choice: Choice) -> Iterator[dict[str, Any]]:
        """A spoken reply as the API streams it: the audio's id (with the role), the transcript
        in tokens, the base64 data in pieces, and the expiry last, in an audio delta of its own.
        """
        assert choice.audio is not None
        index, lp, audio = choice.index, self.wants_logprobs, choice.audio
        opening = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "audio": {"id": audio["id"]},
        }
        yield _part(index, opening, {"content": [], "refusal": None} if lp else None)
        logprobs = choice.logprobs or []
        for i, token in enumerate(choice.tokens):
            lps = {"content": logprobs[i : i + 1], "refusal": None} if lp else None
            yield _part(index, {"audio": {"transcript": token}}, lps)
        data = audio["data"]
        for start in range(0, len(data), _AUDIO_PIECE):
            yield _part(index, {"audio": {"data": data[start : start + _AUDIO_PIECE]}})
        yield _part(index, {"audio": {"expires_at": audio["expires_at"]}})


def _part(index: int, delta: dict[str, Any], logprobs: object = None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": None}


def _call_start(k: int, call: ToolCall) -> dict[str, Any]:
    key = "input" if call.kind == "custom" else "arguments"
    return {"index": k, "id": call.id, "type": call.kind, call.kind: {"name": call.name, key: ""}}


def _call_dict(call: ToolCall) -> dict[str, Any]:
    if call.kind == "custom":
        return {
            "id": call.id,
            "type": "custom",
            "custom": {"name": call.name, "input": call.arguments},
        }
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }
