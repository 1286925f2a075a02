"""The widget's protocol switch (``chat.api``): two-way with the conversation, the parameters
the Responses API has no equivalent for marked with why, their refusal beside their control,
copy as code following the protocol, and reasoning summaries in the thinking block."""

from __future__ import annotations

import pytest

from tests._widgets import front_end, make_chat, recorded
from workbench._exceptions import InvalidParameterError
from workbench.conversation._responses_mapping import UNMAPPED
from workbench.widgets._controls import CONTROLS
from workbench.widgets._widget import widget

pytestmark = pytest.mark.usefixtures("recording_comm")


def synced(w: object, name: str) -> list[object]:
    """The values of trait ``name`` the widget sent to the front end, in order."""
    return [
        m["state"][name]
        for m in recorded(w).messages  # type: ignore[arg-type]
        if m["method"] == "update" and name in m["state"]
    ]


def test_the_switch_offers_the_three_protocols_and_marks_what_has_no_equivalent() -> None:
    w = widget(make_chat())
    assert w.api_info["choices"] == ["chat", "responses", "auto"]
    assert "Responses API" in w.api_info["description"]
    marked = {name for name, info in w.param_info.items() if "responses" in info}
    assert marked == {name for name in CONTROLS if name in UNMAPPED} == {"seed"}
    assert w.param_info["seed"]["responses"].startswith("not sent under the Responses API: no seed")
    assert "responses" not in w.param_info["temperature"], "mapped: not marked"


def test_the_view_follows_api_set_from_code() -> None:
    chat = make_chat()
    w = widget(chat)
    assert (w.api, w.api_next) == ("auto", "chat")  # the default; the local model takes chat
    chat.api = "responses"
    assert (w.api, w.api_next) == ("responses", "responses")
    assert synced(w, "api")[-1] == "responses" and synced(w, "api_next")[-1] == "responses"
    chat.api = "chat"
    assert (w.api, w.api_next) == ("chat", "chat")


def test_the_view_sets_api_and_a_bad_value_is_refused_beside_the_switch() -> None:
    chat = make_chat()
    w = widget(chat)
    front_end(w, {"action": "set_api", "value": "responses"})
    assert chat.api == "responses" and w.api == "responses" and w.error == ""
    front_end(w, {"action": "set_api", "value": "soap"})
    assert chat.api == "responses" and w.api == "responses"
    assert w.error_field == "api"
    assert w.error == "got 'soap' (allowed: 'chat', 'responses', 'auto')"
    w.send("Hello")
    assert chat.messages[-1].api == "responses" and chat.messages[-1].status == "complete"


@pytest.mark.parametrize("via", ["send", "code"])
def test_a_parameter_with_no_equivalent_is_refused_beside_its_control(via: str) -> None:
    chat = make_chat(seed=7)
    w = widget(chat)
    w.set_api("responses")
    if via == "send":
        w.input_text = "Hello"
        assert w.send() is None
        assert chat.messages == [], "refused before anything is added or sent"
        assert w.input_text == "Hello", "the refused text stays in the box"
    else:
        assert w.code("Hello") == {}
    assert w.error_field == "seed"
    assert "no equivalent in the Responses API" in w.error and not w.error.startswith("seed:")
    w.set_param("seed", None)
    snippets = w.code("Hello")
    assert "client.responses.create(" in snippets["openai"]
    assert "/v1/responses" in snippets["curl"]


def test_the_refusal_names_the_protocol_that_takes_it() -> None:
    chat = make_chat(seed=7, api="responses")
    with pytest.raises(InvalidParameterError, match="api='chat'"):
        chat.send("Hello")


def test_reasoning_summaries_stream_into_the_thinking_block() -> None:
    chat = make_chat(api="responses", extra_body={"reasoning": {"summary": "auto"}})
    chat.params.model = "workbench-local-reasoning"
    w = widget(chat)
    w.send("Tell me a story")
    reply = chat.messages[-1]
    assert reply.api == "responses" and reply.reasoning
    custom = [m["content"] for m in recorded(w).messages if m["method"] == "custom"]
    streamed = "".join(m["text"] for m in custom if m["type"] == "reasoning")
    assert streamed == reply.reasoning
    html = w.messages_html[-1]["html"]
    assert '<details class="wb-thinking"><summary>Thinking</summary>' in html
