"""The widget's front end (``widget.js``) in headless Chromium, wired to a real Python widget.

No Jupyter here: the page imports ``widget.js`` and renders it against a stand-in for the
anywidget model (``get``/``set``/``on``/``off``/``send``/``save_changes``). A ``Bridge`` plays
the kernel: what the page sends goes to the Python widget as front-end messages, and what the
Python widget sends over its (recording) comm, state updates and custom messages, goes back to
the page in the order it was sent. So every control is checked end to end: a click in the page,
the Python method it calls, the conversation it changes, and the page redrawn from the result.
(``test_browser.py`` runs the same widget in a real JupyterLab.)
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest

import workbench
from workbench.widgets._widget import widget

from ._frontend import Bridge, waiting_for_approval
from ._widgets import front_end, make_chat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]


def test_a_turn_with_a_tool_streams_in_then_settles(page: Any) -> None:
    chat = make_chat()
    w = widget(chat)
    bridge = Bridge(page, w)
    page.fill(".wb-input", "What's the weather in Paris?")
    page.click(".wb-send")
    bridge.pump(forward=False)  # runs the turn in Python; its messages are recorded
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]

    # Replay the turn up to the first streamed text of the final reply: the tool call is shown
    # as it streamed, the reply grows as plain text.
    messages = bridge.comm.messages[bridge.forwarded :]
    first_delta = next(
        i
        for i, m in enumerate(messages)
        if m["method"] == "custom" and m["content"]["type"] == "delta"
    )
    last_args = max(
        i for i, m in enumerate(messages)
        if m["method"] == "custom" and m["content"]["type"] == "tool_args"
    )  # fmt: skip
    bridge.forward(last_args + 1)  # the call's arguments have arrived, the reply has not ended
    streamed = ".wb-entry-streaming .wb-tool-call"
    assert bridge.text(f"{streamed} .wb-tool-state") == "streaming"
    assert labels(page, streamed) == ["arguments"] and "Paris" in bridge.text(streamed)
    bridge.forward(first_delta + 1 - last_args - 1)
    assert page.locator(".wb-entry").count() >= 2
    assert "Paris" in bridge.text(".wb-tool-args") and "get_weather" in bridge.text(".wb-tool-name")
    streaming = page.locator(".wb-entry-streaming .wb-stream-text")
    assert streaming.count() == 1 and streaming.text_content()
    assert page.locator(".wb-stop").is_enabled() and page.locator(".wb-send").is_disabled()

    bridge.forward()  # the rest: the sanitized transcript replaces the streamed text
    statuses = page.locator(".wb-entry").evaluate_all("es => es.map(e => e.dataset.status)")
    assert statuses == ["complete", "complete", "complete"]
    roles = page.locator(".wb-entry").evaluate_all(
        "es => es.map(e => [...e.querySelectorAll('.wb-role')].map(r => r.textContent))"
    )
    assert roles == [["user"], ["assistant"], ["assistant"]], "each role said once"
    assert page.locator(".wb-entry-streaming").count() == 0
    assert "21" in bridge.text(".wb-tool-result") and bridge.text(".wb-tool-done") == "done"
    assert bridge.text(".wb-tool-time").startswith("took ")
    call = ".wb-entry-assistant .wb-tool-call"
    assert labels(page, call) == ["arguments", "result"], "labelled, short parts open"
    assert page.locator(f"{call} details").count() == 0
    last = chat.messages[-1].text
    assert last[-20:] in bridge.text(".wb-entry:last-child .wb-message")
    assert page.locator(".wb-send").is_enabled() and page.locator(".wb-stop").is_disabled()
    assert "tokens" in bridge.text(".wb-footer") and page.locator(".wb-badge").is_visible()


def labels(page: Any, scope: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{scope} .wb-tool-label").all_text_contents()]


def test_enter_sends_and_shift_enter_adds_a_line(page: Any) -> None:
    chat = make_chat()
    bridge = Bridge(page, widget(chat))
    box = page.locator(".wb-input")
    box.click()
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    box.press("Enter")
    sent = bridge.pump()
    assert {"action": "send", "text": "first line\nsecond line"} in sent
    assert chat.messages[0].text == "first line\nsecond line"
    assert box.input_value() == ""


def test_every_control_reaches_chat_params_and_follows_it_back(page: Any) -> None:
    chat = make_chat()
    bridge = Bridge(page, widget(chat))

    def change(selector: str, value: str) -> None:
        page.eval_on_selector(
            selector,
            "(e, v) => { e.value = v; e.dispatchEvent(new Event('change', {bubbles: true})); }",
            value,
        )
        bridge.pump()

    change(".wb-temperature", "0.7")
    change(".wb-param-top_p", "0.5")
    change(".wb-param-max_completion_tokens", "256")
    change(".wb-param-seed", "7")
    change(".wb-param-reasoning_effort", "low")
    change(".wb-param-verbosity", "high")
    change(".wb-param-tool_choice", "tool:get_weather")
    change(".wb-model", "other-model")
    p = chat.params
    assert (p.temperature, p.top_p, p.max_completion_tokens, p.seed) == (0.7, 0.5, 256, 7)
    assert (p.reasoning_effort, p.verbosity, p.model) == ("low", "high", "other-model")
    assert p.tool_choice == {"type": "function", "function": {"name": "get_weather"}}

    page.fill(".wb-system", "Be brief.")
    page.locator(".wb-system").dispatch_event("change")
    page.locator(".wb-tool-toggle[data-name='get_weather']").uncheck()
    bridge.pump()
    assert chat.system == "Be brief." and not chat.tools["get_weather"].enabled

    # From code to the page: the controls follow.
    chat.params.temperature = 1.2
    chat.params.reasoning_effort = None
    chat.enable_tool("get_weather")
    bridge.forward()
    assert page.locator(".wb-temperature").input_value() == "1.2"
    assert bridge.text(".wb-number .wb-value") == "1.2"
    assert page.locator(".wb-param-reasoning_effort").input_value() == ""
    assert page.locator(".wb-tool-toggle").is_checked()

    # A reset button unsets a parameter (back to the server's default).
    page.locator(".wb-param-seed + .wb-reset").click()
    bridge.pump()
    assert chat.params.seed is None and page.locator(".wb-param-seed").input_value() == ""


def test_an_invalid_value_is_refused_in_the_control_with_the_validators_message(
    page: Any,
) -> None:
    chat = make_chat(top_p=0.4)
    bridge = Bridge(page, widget(chat))
    page.eval_on_selector(
        ".wb-param-max_completion_tokens",
        "e => { e.value = '-5'; e.dispatchEvent(new Event('change')); }",
    )
    bridge.pump()
    assert chat.params.max_completion_tokens is None
    beside = page.locator(".wb-field:has(.wb-param-max_completion_tokens) .wb-field-error")
    assert beside.text_content() == "-5 is out of range (allowed: >= 1)", "beside its field"
    assert page.locator(".wb-error-line").is_hidden()
    assert page.locator(".wb-param-top_p").input_value() == "0.4"


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_response_format_from_json_schema_editor_and_the_namespace(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.widgets._controls as module

    monkeypatch.setattr(module, "_user_namespace", lambda: {"Person": Person, "x": 1})
    chat = make_chat()
    bridge = Bridge(page, widget(chat))
    kind = page.locator(".wb-response-format-kind")
    kind.focus()  # asks for the model lists (in a worker thread)
    bridge.pump()
    bridge.settle(until=lambda: bool(bridge.widget.response_models))
    bridge.forward()
    assert bridge.widget.response_models == ["Person"]
    assert bridge.widget.models, "models.list() filled the list"
    options = page.locator(".wb-response-format-kind option").evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert "pydantic:Person" in options
    listed = page.locator("datalist option").evaluate_all("os => os.map(o => o.value)")
    assert listed == bridge.widget.models
    kind.select_option("pydantic:Person")
    bridge.pump()
    assert chat.params.response_format is Person

    kind.select_option("json_schema")
    assert page.locator(".wb-schema-editor").is_visible()
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    page.fill(".wb-schema", json.dumps(schema))
    page.click(".wb-schema-apply")
    bridge.pump()
    assert chat.params.response_format == schema

    # A structured reply streams as partial JSON, pretty-printed, then settles.
    page.fill(".wb-input", "Where?")
    page.click(".wb-send")
    bridge.pump()
    assert json.loads(chat.messages[-1].text).keys() == {"city"}
    json_previews = [m for m in bridge.comm.custom("json")]
    assert json_previews and json.loads(json_previews[-1]["text"]).keys() == {"city"}


def test_edit_a_user_message_makes_a_branch_shown_as_2_of_2(page: Any) -> None:
    chat = make_chat()
    chat.send("first version")
    bridge = Bridge(page, widget(chat))
    page.click(".wb-entry-user .wb-edit-button")
    page.fill(".wb-edit-text", "second version")
    page.click(".wb-edit-save")
    bridge.pump()
    assert chat.messages[0].text == "second version"
    assert "2/2" in bridge.text(".wb-entry-user .wb-branch")
    page.click(".wb-entry-user .wb-branch button:first-child")
    bridge.pump()
    assert chat.messages[0].text == "first version"
    assert "1/2" in bridge.text(".wb-entry-user .wb-branch")


def test_copy_as_code_shows_three_flavors_without_a_key(page: Any) -> None:
    chat = make_chat(temperature=0.2)
    bridge = Bridge(page, widget(chat))
    page.fill(".wb-input", "draft")
    page.click(".wb-code-button")
    bridge.pump()
    assert page.locator(".wb-code-panel").is_visible()
    snippet = bridge.text(".wb-code-snippet")
    assert "workbench" in snippet and '"draft"' in snippet and "0.2" in snippet
    page.click(".wb-code-tab:has-text('curl')")
    assert "curl" in bridge.text(".wb-code-snippet") and "OPENAI_API_KEY" in bridge.text(
        ".wb-code-snippet"
    )


def test_hostile_content_is_inert_in_the_page(page: Any) -> None:
    chat = make_chat()
    w = widget(chat)
    bridge = Bridge(page, w)
    hostile = (
        '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
        ' [link](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">a</a>'
    )
    page.fill(".wb-input", hostile)
    page.click(".wb-send")
    bridge.pump()
    assert "onerror" in chat.messages[-1].text, "the local model quoted it back"
    for link in page.locator(".wb-widget a").all():
        link.click(modifiers=["Alt"], no_wait_after=True)
    page.wait_for_timeout(100)
    assert page.evaluate("() => window.__pwned") is None
    found = page.evaluate(
        """() => ({
          scripts: document.querySelectorAll('.wb-widget script').length,
          handlers: [...document.querySelectorAll('.wb-widget *')]
            .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
          js: document.querySelectorAll('.wb-widget [href^="javascript:"]').length,
        })"""
    )
    assert found == {"scripts": 0, "handlers": 0, "js": 0}
    assert "onerror" in bridge.text(".wb-entry:last-child .wb-message"), "shown as text"


def test_a_tool_call_waits_for_approval_with_editable_arguments(page: Any) -> None:
    chat = make_chat(confirm_tools=True)
    w = widget(chat)
    bridge = Bridge(page, w)
    page.fill(".wb-input", "What's the weather in Paris?")
    page.click(".wb-send")
    page.evaluate("() => model.take()")  # delivered by hand: the turn must not be awaited
    front_end(w, {"action": "send", "text": "What's the weather in Paris?"})
    bridge.settle(until=lambda: bool(chat.pending_approvals))
    page.wait_for_timeout(50)
    assert chat.pending_approvals and w._task is not None and not w._task.done(), "it waits"
    assert [m.role for m in chat.messages] == ["user", "assistant"], "nothing ran"
    bridge.forward()
    assert page.locator(".wb-approval").count() == 1
    assert "get_weather" in bridge.text(".wb-approval-title")
    args = page.locator(".wb-approval-args")
    assert json.loads(args.input_value()) == {"city": "Paris"}
    args.fill('{"city": "Lyon"}')
    page.click(".wb-approve")
    bridge.pump()
    tool_message = next(m for m in chat.messages if m.role == "tool")
    assert "Lyon" in tool_message.text, "ran with the edited arguments"
    call = chat.messages[1].tool_calls[0]  # type: ignore[index]
    assert json.loads(call["function"]["arguments"]) == {"city": "Lyon"}, "history says so"
    assert page.locator(".wb-approval").count() == 0
    assert "Lyon" in bridge.text(".wb-tool-args")


def test_deny_and_answer_for_the_tool(page: Any) -> None:
    ran: list[str] = []

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        ran.append(city)
        return "sunny"

    chat = make_chat(confirm_tools=True)
    chat.tools.clear()
    chat.tool(get_weather)
    w = widget(chat)
    bridge = Bridge(page, w)
    for decision, button, expected in (
        ("deny", ".wb-deny", "declined"),
        ("answer", ".wb-answer", "cloudy, says the user"),
    ):
        front_end(w, {"action": "send", "text": "What's the weather in Paris?"})
        bridge.settle(until=lambda: bool(chat.pending_approvals))
        bridge.forward()
        if decision == "answer":
            page.fill(".wb-approval-answer", "cloudy, says the user")
        page.click(button)
        bridge.pump()
        tool_message = [m for m in chat.messages if m.role == "tool"][-1]
        assert expected in tool_message.text
    assert ran == [], "a denied or answered call never runs"


def test_stop_denies_a_call_waiting_for_approval(page: Any) -> None:
    chat, w, bridge = waiting_for_approval(page)
    page.click(".wb-stop")
    bridge.pump()
    assert not chat.pending_approvals and not w.streaming
    assert page.locator(".wb-approval").count() == 0
    assert "declined" in next(m for m in chat.messages if m.role == "tool").text


def test_copy_puts_a_messages_text_on_the_clipboard(browser: Any) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(5000)
    try:
        chat = make_chat()
        chat.send("Show me **bold** text")
        bridge = Bridge(page, widget(chat))
        page.click(".wb-entry-user .wb-copy")
        assert page.evaluate("() => navigator.clipboard.readText()") == "Show me **bold** text"
        page.click(".wb-entry-assistant .wb-copy")
        bridge.pump()  # a reply's text is fetched from Python, not sent with every rebuild
        page.wait_for_function(
            "() => document.querySelector('.wb-entry-assistant .wb-copy').textContent === 'Copied'"
        )
        assert page.evaluate("() => navigator.clipboard.readText()") == chat.messages[-1].text
        assert "**" in chat.messages[-1].text, "the Markdown source, not the rendered text"
    finally:
        context.close()


def test_a_compact_view_shows_only_one_turn(page: Any) -> None:
    chat = make_chat()
    chat.send("first turn")
    w = widget(chat, start=len(chat.messages), compact=True)
    bridge = Bridge(page, w)
    assert page.locator(".wb-entry").count() == 0
    assert (
        not page.locator(".wb-settings").is_visible() and not page.locator(".wb-input").is_visible()
    )
    assert not page.locator(".wb-model").is_visible()
    chat.send("second turn")
    bridge.forward()
    texts = page.locator(".wb-entry").all_text_contents()
    assert len(texts) == 2 and "second turn" in texts[0] and "first turn" not in texts[0]
    assert w._repr_mimebundle_()[0]["text/plain"].startswith("user:\n  second turn")  # type: ignore[index]


# -- media -------------------------------------------------------------------------------------

THUMBS_LOADED = """() => [...document.querySelectorAll('.wb-media-image img.wb-thumb')]
  .map((img) => [img.src.slice(0, 5), img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0])
"""
# Each player's duration once its metadata loaded (0 while it has not).
DURATIONS = """async () => Promise.all([...document.querySelectorAll('audio.wb-audio')].map(
  (audio) => audio.readyState >= 1 ? audio.duration : new Promise((resolve) => {
    audio.addEventListener('loadedmetadata', () => resolve(audio.duration), { once: true });
    audio.addEventListener('error', () => resolve(-1), { once: true });
    setTimeout(() => resolve(0), 5000);
  })))"""


def media_asked(sent: list[dict[str, Any]]) -> list[str]:
    return [str(m["hash"]) for m in sent if m.get("action") == "media"]


def test_an_image_is_a_thumbnail_that_enlarges(page: Any) -> None:
    from tests.test_widget_media import png, sha

    chat = make_chat()
    w = widget(chat)
    bridge = Bridge(page, w)
    image = png(96, 64, noise=True)
    chat.send(["What is in this picture?", workbench.image(image)])
    bridge.forward()
    assert page.locator(".wb-media-image").count() == 1
    assert media_asked(bridge.pump()) == [sha(image)]  # asked once, answered with the bytes
    page.wait_for_function("() => document.querySelector('img.wb-thumb')?.naturalWidth > 0")
    assert page.evaluate(THUMBS_LOADED) == [["blob:", 96]]
    thumb = page.locator("img.wb-thumb")
    assert "PNG 96x64" in str(thumb.get_attribute("alt"))
    box = thumb.bounding_box()
    assert box is not None and box["width"] <= 12 * 16

    thumb.click()
    big = page.locator(".wb-lightbox img.wb-lightbox-image")
    assert big.is_visible() and big.get_attribute("src") == thumb.get_attribute("src")
    page.keyboard.press("Escape")
    assert page.locator(".wb-lightbox").count() == 0
    thumb.click()
    page.locator(".wb-lightbox").click()
    assert page.locator(".wb-lightbox").count() == 0

    # Five more turns: the image is not asked for, nor sent, again.
    for k in range(5):
        page.fill(".wb-input", f"Something else, {k}")
        page.click(".wb-send")
        assert media_asked(bridge.pump()) == []
    assert len(chat.messages) == 12 and page.evaluate(THUMBS_LOADED) == [["blob:", 96]]
    media = [m for m in bridge.comm.messages if m["method"] == "custom"]
    assert [m["content"]["hash"] for m in media if m["content"]["type"] == "media"] == [sha(image)]


def test_recordings_and_spoken_replies_are_players_and_files_are_chips(page: Any) -> None:
    from tests._media import pdf, wav
    from tests.test_widget_media import SPOKEN_PCM, SPOKEN_WAV

    chat = make_chat()
    w = widget(chat)
    bridge = Bridge(page, w)
    parts = ["Listen", workbench.audio(wav(0.75)), workbench.file(pdf(2), filename="notes.pdf")]
    chat.send(parts)
    chat.send("Say it", **SPOKEN_WAV)
    bridge.forward()
    assert len(media_asked(bridge.pump())) == 2, "the recording and the reply (not the file)"
    durations = page.evaluate(DURATIONS)
    assert len(durations) == 2 and abs(durations[0] - 0.75) < 0.01 and durations[1] > 0.1
    reply = page.locator(".wb-entry-assistant").last
    assert reply.locator("audio.wb-audio").count() == 1
    transcript = reply.locator(".wb-transcript-text").inner_text()
    assert transcript == chat.messages[-1].audio["transcript"]  # type: ignore[index]
    chip = page.locator(".wb-media-file")
    assert chip.inner_text().startswith("file: notes.pdf, 2 pages, ")
    assert page.locator(".wb-media-file audio, .wb-media-file img").count() == 0

    # A spoken reply streams its transcript as text; the player comes with the finished turn.
    page.fill(".wb-input", "Once more, as raw samples")
    chat.params.modalities = SPOKEN_PCM["modalities"]
    chat.params.audio = SPOKEN_PCM["audio"]
    bridge.forward()
    page.click(".wb-send")
    bridge.pump(forward=False)
    messages = bridge.comm.messages[bridge.forwarded :]
    first_delta = next(
        i
        for i, m in enumerate(messages)
        if m["method"] == "custom" and m["content"]["type"] == "delta"
    )
    bridge.forward(first_delta + 1)
    streaming = page.locator(".wb-entry-streaming")
    assert streaming.locator(".wb-stream-text").inner_text()
    assert streaming.locator("audio").count() == 0
    bridge.forward()
    assert len(media_asked(bridge.pump())) == 1
    durations = page.evaluate(DURATIONS)
    assert len(durations) == 3 and durations[2] > 0.1, "pcm16 plays, as a WAV"
