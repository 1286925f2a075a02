"""Errors in the widget: one concise line beside what caused them (a parameter's beside its
control, a turn's on its message, never twice), without Python reprs, gone after the next
action; and the response-format menu names the format that is set, however it was set."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pydantic
import pytest

import workbench
from tests._mock import chunk_json, make_client, sse_body, sse_response
from workbench._exceptions import InvalidParameterError
from workbench.widgets._controls import CONTROLS
from workbench.widgets._shown_errors import MAX_CHARS, one_line, shown_error
from workbench.widgets._widget import widget

from ._widgets import front_end, make_chat

pytestmark = pytest.mark.usefixtures("recording_comm")


class Trip(pydantic.BaseModel):
    city: str
    days: int


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("temperature", 5, "5 is out of range (allowed: 0 to 2)"),
        ("temperature", "abc", "must be a number, got 'abc'"),
        ("max_completion_tokens", -1, "-1 is out of range (allowed: >= 1)"),
        ("response_format", {"pydantic": "Nope"}, "no pydantic model named 'Nope' in the notebook"),
        ("seed", "x", "must be an integer, got 'x'"),
    ],
)
def test_an_invalid_parameter_is_one_line_beside_its_field(
    name: str, value: Any, text: str
) -> None:
    w = widget(make_chat())
    assert w.set_param(name, value) is False
    assert (w.error, w.error_field) == (text, name)


def test_a_nested_parameter_error_keeps_the_inner_name() -> None:
    w = widget(make_chat())
    assert w.set_param("response_format", {"type": "json_schema"}) is False
    assert w.error_field == "response_format"
    assert w.error.startswith("json_schema: expected a dict"), w.error


def test_the_next_action_takes_the_error_away_what_a_view_asks_by_itself_does_not() -> None:
    chat = make_chat()
    chat.send("hello")
    w = widget(chat)
    w.set_param("temperature", 5)
    for passive in ({"action": "models"}, {"action": "resync"}, {"action": "refresh"}):
        front_end(w, passive)
        assert w.error and w.error_field == "temperature", passive
    front_end(w, {"action": "copy", "id": chat.messages[-1].id})
    assert (w.error, w.error_field) == ("", "")
    w.set_tool("nope", True)
    assert (w.error, w.error_field) == ("no tool 'nope'; registered: get_weather", "tools")
    w.edit(0, "   ")
    assert (w.error, w.error_field) == ("an edited message cannot be empty: write the new text",
                                        "edit")  # fmt: skip
    front_end(w, {"action": "set_param", "name": "temperature", "value": 0.5})
    assert w.error == ""


def server(content: str, finish: str = "stop", usage: bool = False) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        chunks = [chunk_json({"role": "assistant", "content": content})]
        chunks.append(chunk_json({}, finish_reason=finish))
        if usage:
            chunks.append({"id": "c", "object": "chat.completion.chunk", "created": 0,
                           "model": "m", "choices": [],
                           "usage": {"prompt_tokens": 9, "completion_tokens": 5,
                                     "total_tokens": 14}})  # fmt: skip
        return sse_response(sse_body(*chunks))

    return handler


@pytest.mark.parametrize(
    ("content", "finish", "words"),
    [
        ('{"city": "Lisbon", "days": "many"}', "stop",
         "incomplete: the output could not be parsed: days: Input should be a valid integer"),
        ('{"city": "Lis', "length",
         "incomplete: Could not parse the response: the token limit was reached after 5 tokens"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_parse_error_is_one_short_line_on_the_message_only(
    content: str, finish: str, words: str, kind: str
) -> None:
    chat = workbench.Conversation(
        client=make_client(kind, server(content, finish, usage=True)), model="m", log=False
    )
    chat.params.response_format = Trip
    w = widget(chat)
    if kind == "sync":
        with pytest.raises(workbench.WorkbenchError):
            chat.send("Plan a trip")
    else:
        w.send("Plan a trip")
        assert w._task is not None
        await asyncio.wait([w._task])  # it failed: the widget shows how
    assert w.error == "", "not a second time below the transcript"
    html = w.messages_html[-1]["html"]
    marks = html.count("wb-ending ")
    assert marks == 1, html
    mark = html[html.index("wb-ending ") : html.index("</div>", html.index("wb-ending "))]
    assert words in mark
    for python in ("{'", "usage", "input_value", "text: '", "errors.pydantic.dev", "\n"):
        assert python not in mark, python
    assert "font-weight: normal" in w._css.split(".wb-ending {")[1].split("}")[0]


def test_a_turn_error_without_a_message_to_carry_it_goes_beside_its_field_or_below() -> None:
    w = widget(make_chat())
    w._turn_error(InvalidParameterError("temperature", "is too hot", allowed="0 to 2"))
    assert (w.error, w.error_field) == ("is too hot (allowed: 0 to 2)", "temperature")
    w._turn_error(RuntimeError("the server went away\n  Traceback: ..."))
    assert (w.error, w.error_field) == ("the server went away", "")
    failed = workbench.conversation.Message(role="assistant", status="error", error="boom")
    w._turn_error(RuntimeError("boom"), failed)
    assert w.error == "", "the message shows it"


def test_shown_error_names_the_field_and_keeps_one_line() -> None:
    exc = InvalidParameterError("temperature", "is too hot", allowed="0 to 2")
    assert shown_error(exc, CONTROLS) == ("is too hot (allowed: 0 to 2)", "temperature")
    assert shown_error(exc) == ("temperature: is too hot (allowed: 0 to 2)", "")
    assert shown_error(KeyError("no tool 'x'")) == ("no tool 'x'", "")
    assert one_line("\n  first   line \nsecond") == "first line"
    assert len(one_line("x" * 1000)) == MAX_CHARS and one_line("x" * 1000).endswith("…")


# -- the response-format menu --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "menu"),
    [
        (None, {"choice": "", "label": "default"}),
        (Trip, {"choice": "pydantic:Trip", "label": "pydantic: Trip"}),
        ("json_object", {"choice": "json_object", "label": "json_object"}),
        ({"type": "text"}, {"choice": "text", "label": "text"}),
    ],
)
def test_the_menu_names_the_format_set_from_code(value: Any, menu: dict[str, Any]) -> None:
    chat = make_chat()
    w = widget(chat)
    chat.params.response_format = value
    assert w.response_format_menu == menu


def test_a_schema_set_from_code_is_json_schema_with_its_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    chat = make_chat()
    w = widget(chat)
    chat.params.response_format = schema  # a raw schema
    assert w.response_format_menu["choice"] == "json_schema"
    assert w.response_format_menu["schema"] == schema
    wrapped = {"type": "json_schema", "json_schema": {"name": "Place", "schema": schema}}
    chat.params.response_format = wrapped
    assert w.response_format_menu["schema"] == schema


def test_choosing_a_pydantic_model_in_the_menu_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.widgets._controls as controls

    monkeypatch.setattr(controls, "_user_namespace", lambda: {"Trip": Trip})
    chat = make_chat()
    w = widget(chat)
    front_end(w, {"action": "set_param", "name": "response_format", "value": {"pydantic": "Trip"}})
    assert chat.params.response_format is Trip
    assert w.response_format_menu == {"choice": "pydantic:Trip", "label": "pydantic: Trip"}
    assert json.loads(json.dumps(w.params))["response_format"]["type"] == "json_schema"
