"""The widget's front end in headless Chromium (the ``Bridge`` of ``tests/_frontend.py``): long
tool parts collapsed and kept open or closed across redraws (the labels while a call streams and
once it ran: ``test_widget_frontend.py``), the response-format menu naming the format that is
set, errors beside their cause."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest

from workbench.widgets._widget import widget

from ._frontend import Bridge, waiting_for_approval
from ._widgets import front_end, make_chat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]


def test_a_long_result_is_collapsed_and_stays_as_the_user_left_it(page: Any) -> None:
    def get_weather(city: str) -> str:
        """Get the weather, at length.

        Args:
            city: the city.
        """
        return "\n".join(f"hour {h}: sunny in {city}" for h in range(24))

    chat = make_chat()
    chat.tools.clear()
    chat.tool(get_weather)
    bridge = Bridge(page, widget(chat))
    page.fill(".wb-input", "What's the weather in Paris?")
    page.click(".wb-send")
    bridge.pump()
    result = page.locator(".wb-tool-call details.wb-tool-result")
    assert result.count() == 1 and not result.evaluate("d => d.open")
    assert result.locator("summary").text_content() == "result (24 lines)"
    assert not result.locator(".wb-plain").is_visible()
    result.locator("summary").click()
    assert result.locator(".wb-plain").is_visible()

    # The entry drawn again (a whole window from the kernel: new entries, new elements; a
    # call's entry is also redrawn when a later call of its round ends): it stays open.
    before = page.locator(".wb-entry-assistant").first.element_handle()
    bridge.widget.resync()
    bridge.forward()
    after = page.locator(".wb-entry-assistant").first.element_handle()
    assert not page.evaluate("([a, b]) => a === b", [before, after]), "drawn again"
    result = page.locator(".wb-tool-call details.wb-tool-result")
    assert result.evaluate("d => d.open") and result.locator(".wb-plain").is_visible()
    result.locator("summary").click()  # closed again: stays closed
    bridge.widget.resync()
    bridge.forward()
    assert not page.locator(".wb-tool-call details.wb-tool-result").evaluate("d => d.open")


class Person(pydantic.BaseModel):
    name: str
    age: int


class Trip(pydantic.BaseModel):
    city: str


def menu(page: Any) -> tuple[str, str, bool]:
    select = page.locator(".wb-response-format-kind")
    shown = select.evaluate("s => s.options[s.selectedIndex].textContent")
    return select.input_value(), shown, page.locator(".wb-schema-editor").is_visible()


def test_the_response_format_menu_names_the_format_that_is_set(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.widgets._controls as module

    monkeypatch.setattr(module, "_user_namespace", lambda: {"Person": Person})
    chat = make_chat()
    bridge = Bridge(page, widget(chat))
    page.locator(".wb-response-format-kind").focus()  # asks for the notebook's models
    bridge.pump()
    bridge.settle(until=lambda: bool(bridge.widget.response_models))
    bridge.forward()
    page.locator(".wb-response-format-kind").select_option("pydantic:Person")
    bridge.pump()
    page.locator(".wb-input").focus()  # the menu shows what the kernel says once left
    bridge.widget.refresh()
    bridge.forward()
    assert chat.params.response_format is Person
    assert menu(page) == ("pydantic:Person", "pydantic: Person", False)

    chat.params.response_format = Trip  # from code, a model the notebook's list lacks
    bridge.forward()
    assert menu(page) == ("pydantic:Trip", "pydantic: Trip", False)

    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    chat.params.response_format = schema  # from code, a plain JSON schema
    bridge.forward()
    assert menu(page) == ("json_schema", "json_schema…", True)
    assert json.loads(page.locator(".wb-schema").input_value()) == schema

    chat.params.response_format = None
    bridge.forward()
    assert menu(page) == ("", "default", False)


def field_error(page: Any, control: str) -> str:
    return str(page.locator(f".wb-field:has({control}) .wb-field-error").text_content())


def test_an_error_shows_beside_its_cause_and_goes_with_the_next_action(page: Any) -> None:
    chat = make_chat()
    chat.send("hello")
    w = widget(chat)
    bridge = Bridge(page, w)
    w.set_param("temperature", 7)  # the slider cannot go there; code or a stale view can
    bridge.forward()
    assert field_error(page, ".wb-param-temperature") == "7 is out of range (allowed: 0 to 2)"
    assert page.locator(".wb-field-error").count() == 1
    assert page.locator(".wb-error-line").is_hidden()

    page.locator(".wb-entry-assistant .wb-copy").last.click()  # the next action
    bridge.pump()
    assert page.locator(".wb-field-error").count() == 0

    # The schema editor's own check, beside the response format.
    page.locator(".wb-response-format-kind").select_option("json_schema")
    page.fill(".wb-schema", "{not json")
    page.click(".wb-schema-apply")
    assert "the schema is not valid JSON" in field_error(page, ".wb-response-format-kind")

    # An edited message left empty: in the editor.
    page.locator(".wb-entry-user .wb-edit-button").first.click()
    page.fill(".wb-edit-text", "  ")
    page.click(".wb-edit-save")
    bridge.pump()
    edit_note = str(page.locator(".wb-edit .wb-field-error").text_content())
    assert edit_note == "an edited message cannot be empty: write the new text"

    # A turn's error that names no control: on the line above the input.
    w.show_error("a reply is still streaming: stop it or wait")
    bridge.forward()
    assert page.locator(".wb-field-error").count() == 0
    assert bridge.text(".wb-error-line") == "a reply is still streaming: stop it or wait"


def test_an_approvals_error_shows_in_the_call_waiting(page: Any) -> None:
    _, w, bridge = waiting_for_approval(page)
    assert "waiting for approval" in bridge.text(".wb-entry-assistant .wb-tool-state")
    page.locator(".wb-approval-args").fill("{not json")
    page.click(".wb-approve")
    for content in page.evaluate("() => model.take()"):  # the turn still waits: no pump
        front_end(w, content)
    bridge.forward()
    note = str(page.locator(".wb-approval .wb-field-error").text_content())
    assert note.startswith("the arguments are not valid JSON"), note
    page.click(".wb-deny")
    bridge.pump()
    assert page.locator(".wb-field-error").count() == 0
    assert bridge.text(".wb-entry-assistant .wb-tool-state") == "denied"
