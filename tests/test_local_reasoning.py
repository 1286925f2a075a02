"""The local reasoning model: reasoning text as DeepSeek (or vLLM and Ollama) send it.

``workbench-local-reasoning`` thinks aloud: its reasoning comes first when streamed (deltas with
``content: null``) and beside the content when whole, in ``reasoning_content`` (or in
``reasoning`` for ``LocalModel(reasoning_field="reasoning")``); every chunk and response is
checked against the OpenAPI spec. Other models show no reasoning text.
"""

from __future__ import annotations

from typing import Any

import pytest

import workbench
from tests._local import USER, chunks, completion, merge, post, server_thread
from tests.test_local_model import JSON_SCHEMA_FORMAT, WEATHER
from workbench.__main__ import main as cli
from workbench.local import LocalModel
from workbench.local._phrasing import tokenize

MODEL = "workbench-local-reasoning"
FIELDS = pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])


def body(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": USER, "seed": 7, **extra}


def streamed(model: LocalModel, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The deltas of choice 0 of a streamed answer (each chunk checked against the spec)."""
    return [
        part["delta"]
        for chunk in chunks(model, request)
        for part in chunk["choices"]
        if part["index"] == 0
    ]


SHAPES = {
    "text": {},
    "n=2 with logprobs": {"n": 2, "logprobs": True, "top_logprobs": 2},
    "tool call": {"tools": [WEATHER]},
    "json_schema": {"response_format": JSON_SCHEMA_FORMAT},
    "refusal": {"messages": [{"role": "user", "content": "Please refuse this."}]},
    "cut short": {"max_completion_tokens": 30},
}


@FIELDS
@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_reasoning_streams_first_and_agrees_with_the_whole_reply(
    shape: str, field: str
) -> None:
    model = LocalModel(reasoning_field=field)
    request = body(**SHAPES[shape])
    whole = completion(model, request)  # valid against the spec
    merged = merge(chunks(model, {**request, "stream_options": {"include_usage": True}}))
    other = "reasoning" if field == "reasoning_content" else "reasoning_content"
    for choice in whole["choices"]:
        message = choice["message"]
        reasoning = message[field]
        assert isinstance(reasoning, str) and reasoning.startswith("The user says")
        assert other not in message
        assert merged[choice["index"]][field] == reasoning
        assert other not in merged[choice["index"]]
    deltas = streamed(model, request)
    assert deltas[0] == {"role": "assistant", "content": None, field: ""}
    thinking = [d for d in deltas[1:] if d.get(field)]
    assert thinking and all(d["content"] is None for d in thinking)
    answer_starts = next(i for i, d in enumerate(deltas) if field in d and d[field] is None)
    assert all(not d.get(field) for d in deltas[answer_starts:]), "no reasoning after the answer"
    assert "role" not in deltas[answer_starts], "the reasoning's first delta carried the role"


def test_the_reasoning_is_counted_in_the_usage() -> None:
    data = completion(LocalModel(), body(n=2))
    usage = data["usage"]
    thought = [tokenize(c["message"]["reasoning_content"]) for c in data["choices"]]
    said = [tokenize(c["message"]["content"]) for c in data["choices"]]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == sum(map(len, thought))
    assert usage["completion_tokens"] == sum(map(len, thought)) + sum(map(len, said))


def test_the_same_request_thinks_the_same_and_the_effort_sets_how_much() -> None:
    model = LocalModel()
    first = completion(model, body())["choices"][0]["message"]
    assert completion(model, body())["choices"][0]["message"] == first
    lengths = {}
    for effort in ("low", "medium", "high"):
        message = completion(model, body(reasoning_effort=effort))["choices"][0]["message"]
        lengths[effort] = len(message["reasoning_content"])
        assert message["content"] == first["content"], "thinking more changes only the thinking"
    assert lengths["low"] < lengths["medium"] < lengths["high"]
    assert completion(model, body(reasoning_effort="medium"))["choices"][0]["message"] == first
    off = completion(model, body(reasoning_effort="minimal"))
    assert "reasoning_content" not in off["choices"][0]["message"], "minimal: thinking is off"
    assert off["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


def test_the_thoughts_follow_the_request() -> None:
    model = LocalModel()

    def thought(**extra: Any) -> str:
        return str(completion(model, body(**extra))["choices"][0]["message"]["reasoning_content"])

    assert "What is the weather in Paris today?" in thought()
    assert "get_weather" in thought(tools=[WEATHER])
    assert "weather" in thought(response_format=JSON_SCHEMA_FORMAT)
    assert "decline" in thought(messages=[{"role": "user", "content": "Please refuse this."}])
    assert thought(seed=1) != thought(seed=2) or thought(seed=3) != thought(seed=4)


def test_the_token_limit_counts_the_reasoning_first() -> None:
    model = LocalModel()
    full = completion(model, body())["choices"][0]["message"]["reasoning_content"]
    cut = completion(model, body(max_completion_tokens=5))
    choice = cut["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["reasoning_content"] == "".join(tokenize(full)[:5])
    assert choice["message"]["content"] == ""
    assert cut["usage"]["completion_tokens"] == 5


def test_other_models_send_no_reasoning_text() -> None:
    for name in ("workbench-local", "workbench-local-mini", "o4-mini"):
        data = completion(LocalModel(), body(model=name, reasoning_effort="high"))
        message = data["choices"][0]["message"]
        assert "reasoning_content" not in message and "reasoning" not in message
        assert not any(
            "reasoning_content" in d or "reasoning" in d
            for d in streamed(LocalModel(), body(model=name))
        )


def test_a_spoken_reply_does_not_think_aloud() -> None:
    request = body(modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"})
    message = completion(LocalModel(), request)["choices"][0]["message"]
    assert "reasoning_content" not in message and message["audio"]["transcript"]


def test_an_unknown_reasoning_field_is_refused() -> None:
    with pytest.raises(ValueError, match="reasoning_field must be one of"):
        LocalModel(reasoning_field="thinking")


@FIELDS
def test_through_the_client_and_over_http(field: str) -> None:
    model = LocalModel(reasoning_field=field)
    with server_thread(model) as url:
        client = workbench.Client(base_url=url, api_key="unused")
        # One seed for both: unseeded, the second identical request would get another sample.
        whole = client.chat.completions.create(model=MODEL, messages=USER, seed=3)
        with client.chat.completions.stream(model=MODEL, messages=USER, seed=3) as stream:
            events = [e for e in stream if e.type != "chunk"]
            final = stream.get_final_completion()
        client.close()
    message = whole.choices[0].message
    assert message.reasoning and message.model_extra == {field: message.reasoning}
    assert final.choices[0].message.reasoning == message.reasoning
    assert final.choices[0].message.content == message.content
    kinds = [e.type for e in events]
    done = kinds.index("reasoning.done")
    assert kinds.count("reasoning.done") == 1 and done < kinds.index("content.done")
    # Before it, the reasoning; the answer's opening delta is empty: its text comes after.
    assert {e.type for e in events[:done] if e.type != "reasoning.delta"} <= {"content.delta"}
    assert all(not e.delta for e in events[:done] if e.type == "content.delta")


def test_the_server_command_takes_the_reasoning_field(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.__main__ as entry

    served: list[LocalModel] = []
    monkeypatch.setattr(entry, "serve", lambda model, **kwargs: served.append(model))
    cli(["serve", "--port", "0", "--reasoning-field", "reasoning"])
    cli(["serve", "--port", "0"])
    assert [m.reasoning_field for m in served] == ["reasoning", "reasoning_content"]
    response = post(served[0], body())
    assert b'"reasoning":' in response.body and b"reasoning_content" not in response.body
    with pytest.raises(SystemExit):
        cli(["serve", "--port", "0", "--reasoning-field", "thinking"])
