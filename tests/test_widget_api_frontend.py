"""The protocol switch in the widget's front end, in headless Chromium (the harness of
``test_widget_frontend.py``): set from code, the view follows; set from the view, the
conversation does; the parameters with no Responses equivalent are struck through with a title
saying why, their refusal shows beside them, and a Responses turn's reasoning summary shows in
the thinking block. Screenshots (light, dark, narrow) go to the artifacts folder."""

from __future__ import annotations

from typing import Any

import pytest

from tests._browser import widget_screenshot as screenshot
from tests._widgets import make_chat
from workbench.widgets._widget import widget

from ._frontend import Bridge
from .test_widget_reasoning_frontend import DARK, theme

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]


def seed_field(page: Any) -> Any:
    return page.locator("label.wb-field", has=page.locator(".wb-param-seed"))


def test_api_set_from_code_redraws_the_switch_and_marks_the_parameters(page: Any) -> None:
    chat = make_chat(seed=3, api="chat")
    bridge = Bridge(page, widget(chat))
    switch = page.locator("select.wb-api")
    assert switch.input_value() == "chat"
    assert switch.locator("option").all_inner_texts() == ["chat", "responses", "auto"]
    assert "wb-unmapped" not in (seed_field(page).get_attribute("class") or "")
    screenshot(page, "widget-api-chat.png")

    chat.api = "responses"  # from code: the conversation's settings.changed event
    bridge.forward()
    assert switch.input_value() == "responses"
    field = seed_field(page)
    assert "wb-unmapped" in (field.get_attribute("class") or "")
    assert (field.get_attribute("title") or "").startswith("not sent under the Responses API")
    name = field.locator(".wb-field-name")
    assert name.evaluate("n => getComputedStyle(n).textDecorationLine") == "line-through"
    marker = name.evaluate("n => getComputedStyle(n, '::after').content")
    assert "chat only" in marker
    screenshot(page, "widget-api-responses-light.png")
    theme(page, DARK)
    screenshot(page, "widget-api-responses-dark.png")
    page.set_viewport_size({"width": 420, "height": 900})
    screenshot(page, "widget-api-responses-narrow.png")

    chat.api = "auto"  # on the local model auto takes Chat Completions: nothing marked
    bridge.forward()
    assert switch.input_value() == "auto"
    assert "wb-unmapped" not in (seed_field(page).get_attribute("class") or "")


def test_api_set_from_the_view_and_the_refusal_beside_the_seed(page: Any) -> None:
    chat = make_chat()
    bridge = Bridge(page, widget(chat))
    page.select_option("select.wb-api", "responses")
    bridge.pump()
    assert chat.api == "responses"
    page.fill(".wb-param-seed", "7")
    page.locator(".wb-param-seed").dispatch_event("change")
    bridge.pump()
    assert chat.params.seed == 7
    page.fill(".wb-input", "Hello")
    page.click(".wb-send")
    bridge.pump()
    assert chat.messages == [], "refused before sending"
    error = seed_field(page).locator(".wb-field-error")
    assert error.count() == 1
    assert "no equivalent in the Responses API" in error.inner_text()
    assert page.locator(".wb-error-line").inner_text() == "", (
        "beside the seed, not on the error line"
    )
    screenshot(page, "widget-api-refused-seed.png")

    page.select_option("select.wb-api", "chat")  # the next action takes the error away
    bridge.pump()
    assert chat.api == "chat" and seed_field(page).locator(".wb-field-error").count() == 0
    page.click(".wb-send")
    bridge.pump()
    assert chat.messages[-1].api == "chat" and chat.messages[-1].status == "complete"


def test_a_responses_reasoning_summary_shows_in_the_thinking_block(page: Any) -> None:
    chat = make_chat(api="responses", extra_body={"reasoning": {"summary": "auto"}})
    chat.params.model = "workbench-local-reasoning"
    bridge = Bridge(page, widget(chat))
    page.fill(".wb-input", "Tell me a story about the sea")
    page.click(".wb-send")
    bridge.pump()
    reply = chat.messages[-1]
    assert reply.api == "responses" and reply.reasoning
    block = page.locator(".wb-entry-assistant details.wb-thinking")
    assert block.count() == 1 and not block.evaluate("d => d.open")
    block.locator("summary").click()
    assert block.locator(".wb-thinking-text").inner_text() == reply.reasoning
    screenshot(page, "widget-api-thinking.png")
