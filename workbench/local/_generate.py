"""The local model's answer to a chat completion request, whole or as a sequence of chunks."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._attachments import AUDIO_TOKENS_PER_SECOND, acknowledge, media_tokens, read_parts
from ._phrasing import (
    count_prompt_tokens,
    message_text,
    reply_text,
    stable_hash,
    token_logprobs,
    tokenize,
)
from ._predict import prediction_tokens, prediction_usage
from ._speech import seconds, speak
from ._think import REASONING_MODEL, think
from ._tool_calls import ToolCall, choose_tools

__all__ = ["Answer", "answer"]

_REASONING = {"minimal": 0, "low": 64, "medium": 192, "high": 640}
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")
_AUDIO_PIECE = 8192  # base64 characters of audio per chunk (a multiple of 4: each decodes alone)
_AUDIO_LIFETIME = 3600  # seconds an audio reply's id may be referred to (the local model's rule)


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


def _spoken(text: str, audio_format: str, *, id: str, index: int, created: int) -> dict[str, Any]:
    """The ``audio`` object of a spoken reply: its id, the clip base64-encoded, its transcript."""
    digest = hashlib.sha256(f"{id}/{index}".encode()).hexdigest()[:32]
    return {
        "id": f"audio_{digest}",
        "data": base64.b64encode(speak(text, audio_format)).decode("ascii"),
        "expires_at": created + _AUDIO_LIFETIME,
        "transcript": text,
    }


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


def _tool_results(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The trailing tool messages, as (tool name, result) pairs."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                spec = call.get(call.get("type", "function")) or {}
                names[str(call.get("id"))] = str(spec.get("name", "tool"))
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(str(message.get("tool_call_id")), "tool")
        results.append((name, message_text(message)))
    return list(reversed(results))


def answer(
    body: Mapping[str, Any],
    *,
    id: str,
    created: int,
    refusal_trigger: str | None,
    reasoning_field: str = "reasoning_content",
) -> Answer:
    """Generate the answer to a validated chat completion request body.

    ``reasoning_field``: the field the reasoning model (``_think``) sends its reasoning in.
    """
    from ._values import extract_hints, generate

    messages: Sequence[Mapping[str, Any]] = body["messages"]
    model = str(body["model"])
    n = int(body.get("n") or 1)
    seed = body.get("seed")
    temperature = body.get("temperature")
    tools = [t for t in body.get("tools") or () if isinstance(t, Mapping)]
    tool_choice = body.get("tool_choice")
    parallel = body.get("parallel_tool_calls", True) is not False
    response_format = body.get("response_format") or {}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else list(stop or ())
    want_lp = body.get("logprobs") is True
    top = int(body.get("top_logprobs") or 0)
    effort = body.get("reasoning_effort")
    if effort is None and _REASONING_MODEL.match(model):
        effort = "medium"
    # The reasoning model shows its reasoning (spoken replies aside); the others only count it.
    shows = model == REASONING_MODEL and "audio" not in (body.get("modalities") or ())
    if shows and effort is None:
        effort = "medium"
    users = [m for m in messages if m.get("role") == "user"]
    user_text = message_text(users[-1]) if users else ""
    last_role = messages[-1].get("role") if messages else None
    # "required" or a named tool forces a call even after tool results, as the API does.
    forced = tool_choice == "required" or (
        isinstance(tool_choice, Mapping) and tool_choice.get("type") in ("function", "custom")
    )
    image_and_audio, audio_in = media_tokens(messages)
    prompt_tokens = count_prompt_tokens(messages, tools) + image_and_audio
    modalities = body.get("modalities") or ()
    spoken_as = (body.get("audio") or {}).get("format") if "audio" in modalities else None
    predicted = prediction_tokens(body.get("prediction"))
    seen = acknowledge(read_parts(users[-1])) if users and last_role == "user" else None
    reasoning = 0  # hidden reasoning tokens, the same for every choice
    if effort in _REASONING and not shows:
        reasoning = _REASONING[effort] + (prompt_tokens * 2 if effort != "minimal" else 0)
    if limit is not None:  # the token limit bounds reasoning and visible tokens together
        reasoning = min(reasoning, int(limit))
    # At temperature 0 the seed changes nothing (greedy): not the text, arguments or logprobs.
    greedy = temperature is not None and float(temperature) == 0
    base_seed = stable_hash(
        model, user_text, len(messages), seed if seed is not None and not greedy else 0
    )

    choices: list[Choice] = []
    completion_tokens = audio_out = accepted = rejected = shown = 0
    for i in range(n):
        choice = Choice(i)
        choice_seed = base_seed + i * 7919
        trigger = refusal_trigger.lower() if refusal_trigger else None
        room = None if limit is None else max(0, int(limit) - reasoning)
        if trigger and last_role == "user" and trigger in user_text.lower():
            text = (
                "I'm sorry, but I can't help with that. (The local model refuses any message"
                f" containing {refusal_trigger!r}.)"
            )
            choice.refusal = tokenize(text)
        elif (
            tools
            and (last_role == "user" or forced)
            and (
                calls := choose_tools(
                    tools=tools,
                    tool_choice=tool_choice,
                    parallel=parallel,
                    user_text=user_text,
                    seed=choice_seed,
                )
            )
        ):
            choice.tool_calls = calls
            choice.finish_reason = "tool_calls"
        else:
            kind = response_format.get("type") if isinstance(response_format, Mapping) else None
            if kind == "json_schema":
                spec = response_format.get("json_schema") or {}
                value = generate(
                    spec.get("schema") or {}, seed=choice_seed, hints=extract_hints(user_text)
                )
                text = json.dumps(value, ensure_ascii=False)
            elif kind == "json_object":
                text = json.dumps(
                    {
                        "model": model,
                        "you_said": user_text,
                        "words": len(user_text.split()),
                        "simulated": True,
                    },
                    ensure_ascii=False,
                )
            else:
                text = reply_text(
                    model=model,
                    messages=messages,
                    seed=seed,
                    temperature=temperature,
                    verbosity=body.get("verbosity"),
                    choice_index=i,
                    tool_results=_tool_results(messages) if last_role == "tool" else (),
                    attachments=seen,
                )
            text, choice.finish_reason = _apply_stop(text, stops)
            choice.tokens = tokenize(text)
        if shows:  # it thinks first: the token limit counts its reasoning before its answer
            choice.reasoning = _reasoning(choice, body, user_text, effort, choice_seed)
            if choice.reasoning is not None:
                if room is not None:
                    choice.reasoning = choice.reasoning[:room]
                    room -= len(choice.reasoning)
                shown += len(choice.reasoning)
        if choice.refusal is None and not choice.tool_calls:  # a text reply
            if room is not None and len(choice.tokens) > room:
                choice.tokens = choice.tokens[:room]
                choice.finish_reason = "length"
            if spoken_as is not None:
                text = "".join(choice.tokens)
                choice.audio = _spoken(text, spoken_as, id=id, index=i, created=created)
                spoken_tokens = math.ceil(seconds(text) * AUDIO_TOKENS_PER_SECOND)
                audio_out += spoken_tokens
                completion_tokens += spoken_tokens
            if predicted:
                took, missed = prediction_usage(predicted, choice.tokens)
                accepted += took
                rejected += missed
                completion_tokens += missed  # rejected tokens are billed as completion tokens
        visible = choice.refusal if choice.refusal is not None else choice.tokens
        if want_lp and not choice.tool_calls:
            choice.logprobs = token_logprobs(visible, top_logprobs=top, rng_seed=choice_seed)
        spoken = len(visible) + sum(len(tokenize(c.arguments)) + 4 for c in choice.tool_calls)
        completion_tokens += spoken + reasoning + len(choice.reasoning or ())
        choices.append(choice)

    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": audio_in},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning * n + shown,
            "audio_tokens": audio_out,
            "accepted_prediction_tokens": accepted,
            "rejected_prediction_tokens": rejected,
        },
    }
    tier = body.get("service_tier")
    return Answer(
        id=id,
        created=created,
        model=model,
        choices=choices,
        usage=usage,
        service_tier="default" if tier in (None, "auto") else str(tier),
        logprobs=want_lp,
        reasoning_field=reasoning_field,
    )


def _reasoning(
    choice: Choice, body: Mapping[str, Any], user_text: str, effort: str | None, seed: int
) -> list[str] | None:
    """The reasoning model's thoughts before ``choice``, as tokens (None: it did not think)."""
    messages: Sequence[Mapping[str, Any]] = body["messages"]
    response_format = body.get("response_format")
    schema = None
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_object":
        schema = "json_object"
    elif isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        schema = str((response_format.get("json_schema") or {}).get("name") or "the schema")
    after_tools = messages and messages[-1].get("role") == "tool"
    text = think(
        user_text=user_text,
        effort=str(effort),
        seed=seed,
        refused=choice.refusal is not None,
        tools=[call.name for call in choice.tool_calls],
        tool_results=[name for name, _ in _tool_results(messages)] if after_tools else (),
        schema=None if choice.tool_calls or choice.refusal is not None else schema,
    )
    return None if text is None else tokenize(text)


def _apply_stop(text: str, stops: Sequence[str]) -> tuple[str, str]:
    """Cut the text before the first stop sequence (which is not included)."""
    cut = min((i for s in stops if s and (i := text.find(s)) >= 0), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, "stop")
