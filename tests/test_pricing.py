"""What a reply cost: the genai-prices table by model and token kind; unknown is None, never 0."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from genai_prices import Usage, calc_price

from tests._mock import Recorder, chunk_json, make_client, sse_body, sse_response, text_chunks
from workbench.conversation import Conversation
from workbench.protocol._pricing import cost_usd
from workbench.types import CompletionUsage

OPENAI = "https://api.openai.com/v1"


def usage(prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details={"cached_tokens": cached},
        completion_tokens_details={"reasoning_tokens": reasoning},
    )


def test_a_known_model_is_priced_by_token_kind() -> None:
    plain = cost_usd("gpt-4o-mini", usage(1000, 500), OPENAI)
    table = calc_price(
        Usage(input_tokens=1000, output_tokens=500), "gpt-4o-mini", provider_id="openai"
    )
    assert plain == pytest.approx(float(table.total_price)) and plain is not None and plain > 0
    cached = cost_usd("gpt-4o-mini", usage(1000, 500, cached=800), OPENAI)
    assert cached is not None and cached < plain, "cached prompt tokens cost less"
    reasoning = cost_usd("gpt-4o-mini", usage(1000, 500, reasoning=400), OPENAI)
    assert reasoning == plain, "reasoning tokens are inside completion_tokens, billed as output"
    more = cost_usd("gpt-4o-mini", usage(1000, 5000), OPENAI)
    assert more is not None and more > plain


@pytest.mark.parametrize(
    ("model", "base_url"),
    [
        ("workbench-local", "http://workbench-local/v1/"),  # the local model
        ("llama3", "http://localhost:11434/v1"),  # Ollama on this machine
        ("gpt-4o-mini", "http://127.0.0.1:8000/v1"),  # a server here, whatever it calls itself
        ("no-such-model-anywhere", OPENAI),
        ("gpt-4o-mini", None),
        (None, OPENAI),
    ],
)
def test_unknown_prices_are_none_not_zero(model: str | None, base_url: str | None) -> None:
    assert cost_usd(model, usage(10, 5), base_url) is None


def test_no_usage_no_price() -> None:
    assert cost_usd("gpt-4o-mini", None, OPENAI) is None


@pytest.mark.usefixtures("recording_comm")
def test_the_widget_footer_and_provenance_show_the_cost() -> None:
    from workbench.widgets._widget import widget

    reply_usage = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}

    def handler(request: httpx.Request) -> httpx.Response:
        chunks: list[Any] = [*text_chunks("Hi ", "there."), {**chunk_json(), "choices": []}]
        chunks[-1]["usage"] = reply_usage
        return sse_response(sse_body(*chunks))

    client = make_client("sync", Recorder(handler), base_url=OPENAI)
    chat = Conversation(client=client, model="gpt-4o-mini", log=False, api="chat")
    w = widget(chat)
    chat.send("hello")
    expected = cost_usd("gpt-4o-mini", chat.messages[-1].usage, OPENAI)
    assert expected is not None
    assert w.messages_html[-1]["meta"]["cost_usd"] == expected
    assert f"${expected:.4g}" in w.usage_text
    chat.send("again")
    assert f"${2 * expected:.4g}" in w.usage_text.split("conversation:")[1]


def test_a_cost_the_server_reports_wins_over_the_table() -> None:
    reported = CompletionUsage.model_validate(
        {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cost": 0.00042}
    )
    assert cost_usd("some/model", reported, "https://openrouter.ai/api/v1") == 0.00042
    assert cost_usd(None, reported, None) == 0.00042, "known without a model or address"
    for odd in (-1, "0.1", True, None):
        usage = CompletionUsage.model_validate(
            {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cost": odd}
        )
        assert cost_usd("unknown-model", usage, "https://openrouter.ai/api/v1") is None


def test_a_batch_reply_costs_half_and_an_unknown_price_stays_unknown() -> None:
    plain = cost_usd("gpt-4o-mini", usage(1000, 500, cached=200), OPENAI)
    batch = cost_usd("gpt-4o-mini", usage(1000, 500, cached=200), OPENAI, batch=True)
    assert plain is not None and batch == pytest.approx(plain / 2)
    local = "http://workbench-local/v1"
    assert cost_usd("workbench-local", usage(10, 5), local, batch=True) is None
    reported = CompletionUsage.model_validate({**usage(10, 5).model_dump(), "cost": 0.25})
    assert cost_usd("gpt-4o-mini", reported, OPENAI, batch=True) == 0.25, "the server's own"
