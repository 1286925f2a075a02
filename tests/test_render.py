"""The widget's HTML: Markdown, code and JSON rendered; hostile model output rendered inert."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from workbench.conversation._history import Message
from workbench.widgets._render import (
    CSS,
    markdown_to_html,
    message_to_html,
    partial_json_preview,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<iframe src="https://evil.example/"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<div style=\"background:url('https://evil.example/t.png')\">x</div>",
    '<p style="background-image: url(javascript:alert(1))">x</p>',
    "[a](JaVaScRiPt:alert(1))",
    "[e](&#106;avascript:alert(1))",
    "[e2](&#x6A;&#x61;vascript:alert(1))",
    "[t](java\tscript:alert(1))",
    "<javascript:alert(1)>",
    "<https://ok.example/>",
    "<mailto:a@b.example>",
    "[v](vbscript:msgbox(1))",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![i](javascript:alert(1))",
    "![i](data:image/svg+xml,<svg onload=alert(1)>)",
    "![r](https://tracker.example/pixel.png?secret=1)",
    '<form action="https://evil.example"><input name=x></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<svg><script>alert(1)</script></svg><math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<a href='javascript:alert(1)' onclick='alert(1)'>c</a>",
    "[ref]: javascript:alert(1)\n\n[ref]",
    '<base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "```html\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\ncode\n```',
    "`<img src=x onerror=alert(1)>`",
    "<!-- <script>alert(1)</script> -->",
    "</div></div><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
]

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "form", "input", "button", "textarea", "select",
    "object", "embed", "svg", "math", "link", "meta", "base", "template",
}  # fmt: skip
RASTER = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.I)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser.elements


MEDIA_ATTRIBUTES = {"data-wb-kind": re.compile(r"^(image|audio|file)$"),
                    "data-wb-hash": re.compile(r"^[0-9a-f]{64}$")}  # fmt: skip


def assert_inert(fragment: str, *, remote_images: bool = False, media: bool = False) -> None:
    """No element or attribute that could run script, load a page, or restyle the page; media
    placeholders (``data-wb-kind``/``data-wb-hash`` on a span) only where ``media`` is expected,
    and then only with a known kind and a hex hash."""
    for tag, attrs in elements(fragment):
        assert tag not in FORBIDDEN_TAGS, (tag, fragment)
        for name, value in attrs:
            if name.startswith("data-"):
                assert media and tag == "span" and name in MEDIA_ATTRIBUTES, (tag, name, fragment)
                assert MEDIA_ATTRIBUTES[name].match(value or ""), (tag, name, value)
            assert not name.startswith("on"), (tag, name, fragment)
            assert name not in ("style", "id", "srcset", "formaction", "action"), (tag, name)
            # What the browser would see: entities decoded, control characters ignored.
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            assert "javascript:" not in url and "vbscript:" not in url, (tag, name, value)
            assert "url(" not in url, (tag, name, value)
            if name == "href":
                assert url.startswith(("http://", "https://", "mailto:")), (tag, value)
            if name == "src":
                assert tag == "img", (tag, fragment)
                assert RASTER.match(url) or (remote_images and url.startswith("https://")), value
            if name == "class":
                assert all(c.startswith("wb-") or len(c) <= 3 for c in (value or "").split())
        if tag == "a":
            names = dict(attrs)
            assert names.get("rel") == "noopener noreferrer nofollow", attrs
            assert names.get("target") == "_blank", attrs


# -- hostile output -----------------------------------------------------------------------------


@pytest.mark.parametrize("attack", HOSTILE)
def test_hostile_markdown_renders_inert(attack: str) -> None:
    out = markdown_to_html(f"Hello\n\n{attack}\n\nand inline {attack} too")
    assert_inert(out)


@pytest.mark.parametrize("attack", HOSTILE)
def test_hostile_messages_render_inert(attack: str) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": attack, "arguments": attack}}
    json_call = {
        "id": "c2",
        "type": "function",
        "function": {"name": "t", "arguments": json.dumps({"html": attack})},
    }
    reply = Message(role="assistant", content=attack, refusal=attack, tool_calls=[call, json_call])
    reply.status, reply.error = "incomplete", attack
    results = {
        "c1": Message(role="tool", tool_call_id="c1", content=attack * 30),
        "c2": Message(role="tool", tool_call_id="c2", content=attack, error=attack),
    }
    user = Message(
        role="user",
        content=[
            {"type": "text", "text": attack},
            {"type": "image_url", "image_url": {"url": attack}},
            {"type": "file", "file": {"filename": attack}},
        ],
    )
    for html in (
        message_to_html(reply, tool_results=results),
        message_to_html(user),
        message_to_html(Message(role="tool", content=attack, error=attack)),
        message_to_html(Message(role="system", content=attack)),
    ):
        assert_inert(html, remote_images=True)


def test_the_attacks_are_shown_as_text_not_dropped() -> None:
    out = markdown_to_html("<script>alert(1)</script> and <img src=x onerror=alert(1)>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "javascript:alert(1)" in markdown_to_html("[x](javascript:alert(1))"), "as text"


def test_safe_links_survive_with_rel_and_target() -> None:
    out = markdown_to_html("[docs](https://example.com/a?b=1) <mailto:me@example.com>")
    links = [dict(attrs) for tag, attrs in elements(out) if tag == "a"]
    assert [link["href"] for link in links] == [
        "https://example.com/a?b=1",
        "mailto:me@example.com",
    ]
    assert_inert(out)


def test_relative_links_lose_their_target() -> None:
    out = markdown_to_html("[api](/api/kernels) [up](../x)")
    assert all("href" not in dict(a) for _, a in elements(out))


def test_images_only_inline_rasters_in_markdown_and_https_thumbnails_in_parts() -> None:
    pixel = "data:image/png;base64,iVBORw0KGgo="
    out = markdown_to_html(f"![dot]({pixel}) ![track](https://tracker.example/p.png?q=secret)")
    imgs = [dict(a) for t, a in elements(out) if t == "img"]
    assert [i["src"] for i in imgs] == [pixel], "a remote image is not loaded"
    assert 'href="https://tracker.example/p.png?q=secret"' in out, "it becomes a link"
    parts: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": "http://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": pixel}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"filename": "report.pdf", "file_data": "AAAA"}},
    ]
    html = message_to_html(Message(role="user", content=parts))
    srcs = [dict(a)["src"] for t, a in elements(html) if t == "img"]
    assert srcs == ["https://example.com/cat.png"], "plain http is not loaded, data: is a reference"
    kinds = [dict(a)["data-wb-kind"] for t, a in elements(html) if "data-wb-kind" in dict(a)]
    assert kinds == ["image", "audio", "file"], html
    assert "file: report.pdf" in html and "AAAA" not in html and "iVBOR" not in html
    assert_inert(html, remote_images=True, media=True)


# -- rendering ----------------------------------------------------------------------------------


def test_code_blocks_are_highlighted() -> None:
    out = markdown_to_html("```python\ndef f(x):\n    return x + 1\n```")
    assert '<pre class="wb-code">' in out
    assert '<span class="k">def</span>' in out and '<span class="nf">f</span>' in out
    assert ".wb-code .k" in CSS and "\npre {" not in CSS, "only our own classes are styled"


def test_unknown_languages_and_plain_code_are_escaped() -> None:
    out = markdown_to_html("```nosuchlang\n<b>x</b>\n```\n\n    <i>indented</i>")
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "&lt;i&gt;indented&lt;/i&gt;" in out


def test_tables_and_strikethrough_render() -> None:
    out = markdown_to_html("| a | b |\n|--:|---|\n| 1 | ~~2~~ |")
    tags = [t for t, _ in elements(out)]
    assert {"table", "thead", "tbody", "tr", "th", "td", "s"} <= set(tags)
    assert "style" not in out, "alignment styles are dropped with all style attributes"


class Person(BaseModel):
    name: str
    age: int


def test_parsed_output_is_pretty_json() -> None:
    message = Message(role="assistant", content='{"name":"<b>Ada</b>","age":36}')
    message.parsed = Person(name="<b>Ada</b>", age=36)
    html = message_to_html(message)
    assert 'class="wb-parsed"' in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html and "<b>" not in html
    text = re.sub(r"<[^>]+>", "", html.split('class="wb-parsed"')[1])
    assert '"name": "&lt;b&gt;Ada&lt;/b&gt;",\n  "age": 36' in text


def test_tool_calls_show_name_pretty_arguments_result_and_error() -> None:
    calls = [
        {"id": "a", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
        {"id": "b", "function": {"name": "broken", "arguments": '{"city": "Pa'}},
    ]
    results = {
        "a": Message(role="tool", tool_call_id="a", content='{"temp": 21}'),
        "b": Message(role="tool", tool_call_id="b", content="bad", error="invalid arguments"),
    }
    html = message_to_html(Message(role="assistant", tool_calls=calls), tool_results=results)
    plain = re.sub(r"<[^>]+>", "", html)
    assert "get_weather" in plain and '{\n  "city": "Paris"\n}' in plain
    assert '{"city": "Pa' in plain, "invalid JSON is shown as it is"
    assert '"temp": 21' in plain and "errorinvalid arguments" in plain
    assert "<details" not in html, "short ones are shown open (tests/test_tool_view.py: long)"


def test_refusals_and_failed_replies_are_marked() -> None:
    refused = message_to_html(Message(role="assistant", refusal="I can't help with that."))
    assert 'class="wb-refusal"' in refused and "Refused: I can't help" in refused
    cut = Message(role="assistant", content="partial", status="incomplete", error="stopped")
    assert "incomplete: stopped" in message_to_html(cut)
    failed = Message(role="assistant", status="error", error="HTTP 500 <oops>")
    html = message_to_html(failed)
    assert "wb-error" in html and "error: HTTP 500 &lt;oops&gt;" in html


def test_roles_label_and_user_text_is_plain() -> None:
    html = message_to_html(Message(role="user", content="**not bold**"))
    assert 'class="wb-role"' in html and ">user<" in html
    assert "<strong>" not in html and "**not bold**" in html
    assert "<strong>bold</strong>" in message_to_html(Message(role="assistant", content="**bold**"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2, {"b": "hel', {"a": [1, 2, {"b": "hel"}]}),
        ('{"city": "Paris", "temp', {"city": "Paris"}),
        ('{"done": true}', {"done": True}),
        ("[1, 2", [1, 2]),
    ],
)
def test_partial_json_preview_pretty_prints_what_has_arrived(text: str, expected: Any) -> None:
    preview = partial_json_preview(text)
    assert json.loads(preview) == expected
    assert preview == json.dumps(expected, indent=2)


@pytest.mark.parametrize("text", ["", "not json at all", "{]"])
def test_partial_json_preview_falls_back_to_the_text(text: str) -> None:
    assert partial_json_preview(text) == text


# -- property-based ------------------------------------------------------------------------------

PUNCTUATION = list("<>[]()`\"'&#;:\n !*_~|-")
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30), st.sampled_from(PUNCTUATION)),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_random_text_mixed_with_attacks_renders_inert_as_markdown(text: str) -> None:
    assert_inert(markdown_to_html(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, hostile_text, hostile_text, st.booleans())
def test_random_text_mixed_with_attacks_renders_inert_in_messages(
    content: str, arguments: str, result: str, failed: bool
) -> None:
    call = {"id": "c", "type": "function", "function": {"name": result, "arguments": arguments}}
    reply = Message(role="assistant", content=content, tool_calls=[call], refusal=result or None)
    if failed:
        reply.status, reply.error = "incomplete", arguments
    tool = Message(role="tool", tool_call_id="c", content=result, error=content if failed else None)
    assert_inert(message_to_html(reply, tool_results={"c": tool}), remote_images=True)
    parts = [{"type": "text", "text": content}, {"type": "image_url", "image_url": {"url": result}}]
    assert_inert(message_to_html(Message(role="user", content=parts)), remote_images=True)
