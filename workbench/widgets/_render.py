"""Messages to safe HTML: Markdown rendered, code highlighted, everything sanitized.

Model output is treated as an attacker's. The pipeline for Markdown is: markdown-it-py with
``html=False`` (raw HTML in the text is escaped, never passed through) and its own link check
(no ``javascript:``, ``vbscript:``, ``file:``, ``data:`` other than raster images), then nh3 with
the explicit allow-lists below. Everything that is not Markdown goes through ``html.escape``,
and the whole message is sanitized once more at the end.

The allow-lists:

* tags: ``_TAGS`` (text structure, lists, tables, code, links, images, details/summary); no
  script, style, iframe, form, input, object, embed, svg or math (their content is dropped).
* attributes: ``a``: href, title; ``img``: src, alt, title; ``ol``: start; ``code``/``pre``/
  ``span``/``div``: only our own classes (``_CLASSES``: ``wb-*`` and Pygments' token classes);
  ``details``: only ``wb-thinking`` (a reply's reasoning, collapsed; its text escaped).
  No ``style``, no ``id``, no ``on*``: nothing from the content can carry CSS or script.
* links: only ``http:``, ``https:`` and ``mailto:`` (no relative URLs); each gets
  ``rel="noopener noreferrer nofollow"`` and ``target="_blank"``.
* images in the model's Markdown: only ``data:image/(png|jpeg|gif|webp)`` URLs are shown; a
  remote image becomes a plain link instead, because loading it would let the model (or text
  injected into its prompt) send data to any server just by being displayed. Images the user put
  in a message (``image_url`` parts) are shown for ``https:`` URLs.
* media in content parts and spoken replies (``data:`` images, ``input_audio``, ``file`` data,
  ``message.audio``) become placeholders that carry a reference, never the bytes:
  ``<span class="wb-media" data-wb-kind="image|audio|file" data-wb-hash="<sha256>">`` and a
  label; the front end asks the widget for the bytes of a hash once (``_media_view``). Only the
  message cleaner allows these two attributes, and only with a known kind and a hex hash; the
  Markdown cleaner drops them, so a reply cannot forge a placeholder.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments.token import STANDARD_TYPES  # type: ignore[import-untyped]

from ..conversation._history import Message
from ._code_html import highlight_code, json_block, partial_json_preview, pretty_json
from ._endings import ENDING_CLASSES, ending_html, same_seed_html
from ._media_view import HASH, KINDS, Media, describe_part, describe_reply_audio
from ._tool_view import TOOL_CLASSES, LiveState, tool_call_html

__all__ = [
    "CSS",
    "markdown_to_html",
    "message_to_html",
    "partial_json_preview",
    "pretty_json",
    "sanitize",
    "tool_call_html",
]

_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.I)
_LINK = re.compile(r"^(https?://|mailto:)", re.I)
_HTTPS = re.compile(r"^https://", re.I)

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td", "span", "div", "details", "summary",
}  # fmt: skip
# Dropped with their content (the rest of an unknown tag is kept as text).
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "svg", "math"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_OWN_CLASSES = {
    "wb-message", "wb-role", "wb-body", "wb-plain", "wb-markdown", "wb-code", "wb-status",
    "wb-incomplete", "wb-error", "wb-refusal", "wb-parsed", "wb-chip", "wb-thumb", "wb-parts",
    "wb-media", "wb-media-image", "wb-media-audio", "wb-media-file", "wb-media-label",
    "wb-transcript-text",
    "wb-role-system", "wb-role-developer", "wb-role-user", "wb-role-assistant", "wb-role-tool",
    "wb-thinking-text",
}  # fmt: skip
_TOKEN_CLASSES = {name for name in STANDARD_TYPES.values() if name}
_CLASSES = {
    tag: _OWN_CLASSES | ENDING_CLASSES | TOOL_CLASSES | _TOKEN_CLASSES
    for tag in ("div", "span", "pre", "code")
}
_CLASSES["img"] = {"wb-thumb"}
_CLASSES["details"] = {"wb-thinking", "wb-tool-section", "wb-tool-args", "wb-tool-result",
                       "wb-tool-error"}  # fmt: skip
_CLASSES["summary"] = {"wb-tool-label"}


_MEDIA_ATTRIBUTES = {"data-wb-kind", "data-wb-hash"}


def _attribute_filter(remote_images: bool) -> Any:
    def check(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return value if _LINK.match(value.strip()) else None
        if attribute == "src":
            ok = _DATA_IMAGE.match(value.strip()) or (remote_images and _HTTPS.match(value))
            return value if ok else None
        if attribute == "data-wb-kind":
            return value if value in KINDS else None
        if attribute == "data-wb-hash":
            return value if HASH.match(value) else None
        return value

    return check


def _cleaner(remote_images: bool, media: bool = False) -> nh3.Cleaner:
    attributes = _ATTRIBUTES | ({"span": _MEDIA_ATTRIBUTES} if media else {})
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=attributes,
        attribute_filter=_attribute_filter(remote_images),
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes={"http", "https", "mailto", "data"},
        url_relative="deny",
        allowed_classes=_CLASSES,
        strip_comments=True,
    )


_MARKDOWN_CLEANER = _cleaner(remote_images=False)
_MESSAGE_CLEANER = _cleaner(remote_images=True, media=True)


def sanitize(fragment: str, *, remote_images: bool = False) -> str:
    """Clean an HTML fragment with the allow-lists above (remote images and media placeholders
    only if asked: the message's own parts, never the model's Markdown)."""
    cleaner = _MESSAGE_CLEANER if remote_images else _MARKDOWN_CLEANER
    return cleaner.clean(fragment)


# -- Markdown ---------------------------------------------------------------------------------


def _highlight_fence(content: str, language: str, attrs: str) -> str:
    return highlight_code(content, language)


def _render_image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A ``data:`` raster image stays an image; any other image becomes a link to it."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _DATA_IMAGE.match(src):
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    label = html.escape(f"image: {alt}" if alt else "image")
    return f'<a href="{html.escape(src)}">{label}</a>'


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight_fence})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _render_image)
    return md


_MD = _markdown()


def markdown_to_html(text: str) -> str:
    """Render Markdown to sanitized HTML: raw HTML escaped, code highlighted, links checked."""
    return sanitize(_MD.render(text))


# -- messages ---------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return f'<div class="wb-plain">{html.escape(text)}</div>'


def _chip(label: str) -> str:
    return f'<span class="wb-chip">{html.escape(label)}</span>'


Found = Callable[[Media], None]


def _placeholder(media: Media, found: Found | None) -> str:
    """A media item as a reference the front end fills in (its bytes are asked for by hash);
    an item that is not served (an SVG, a file, unknown audio) is a chip with the same data."""
    if found is not None:
        found(media)
    kind = media.kind
    served = media.mime is not None
    label = html.escape(media.label if kind != "file" else f"file: {media.label}")
    classes = f"wb-media wb-media-{kind}" + ("" if served else " wb-chip")
    return (
        f'<span class="{classes}" data-wb-kind="{kind}" data-wb-hash="{media.hash}">'
        f'<span class="wb-media-label">{label}</span></span>'
    )


def _part_html(part: Mapping[str, Any], markdown: bool, found: Found | None = None) -> str:
    kind = part.get("type")
    if kind == "text":
        text = str(part.get("text", ""))
        return markdown_to_html(text) if markdown else _plain(text)
    if kind == "refusal":
        return _refusal(str(part.get("refusal", "")))
    media = describe_part(part)
    if media is not None:
        return _placeholder(media, found)
    if kind == "image_url":
        image = part.get("image_url")
        url = str(image.get("url", "")) if isinstance(image, Mapping) else str(image or "")
        if _HTTPS.match(url):
            return f'<img class="wb-thumb" src="{html.escape(url)}" alt="image">'
        return _chip("image")
    if kind == "input_audio":
        audio = part.get("input_audio")
        fmt = audio.get("format") if isinstance(audio, Mapping) else None
        return _chip(f"audio ({fmt})" if fmt else "audio")
    if kind == "file":
        file = part.get("file")
        name = None
        if isinstance(file, Mapping):
            name = file.get("filename") or file.get("file_id")
        return _chip(f"file: {name}" if name else "file")
    return _chip(str(kind or "part"))


def _spoken_html(message: Message, found: Found | None) -> str:
    """A spoken reply: its player (a placeholder) with the transcript under it."""
    assert message.audio is not None
    media = describe_reply_audio(message.audio, message.params)
    transcript = str(message.audio.get("transcript") or "")
    player = _placeholder(media, found) if media is not None else _chip("audio")
    text = f'<div class="wb-plain wb-transcript-text">{html.escape(transcript)}</div>'
    return player + (text if transcript else "")


def thinking_html(text: str) -> str:
    """A reply's reasoning: a collapsed "Thinking" block of plain (escaped) text."""
    return (
        '<details class="wb-thinking"><summary>Thinking</summary>'
        f'<div class="wb-plain wb-thinking-text">{html.escape(text)}</div></details>'
    )


def _refusal(text: str) -> str:
    return f'<div class="wb-refusal">Refused: {html.escape(text)}</div>'


def message_to_html(
    message: Message,
    *,
    tool_results: dict[str, Message] | None = None,
    found: Found | None = None,
    live: Mapping[str, LiveState] | None = None,
    replaced: Message | None = None,
) -> str:
    """A message as a role-labelled, sanitized HTML block.

    Args:
        message: the message; assistant text is Markdown, other roles' text is plain.
        tool_results: tool messages by ``tool_call_id``, shown under the calls they answer.
        found: called with each media item the HTML refers to (the widget keeps them, to
            answer its front end's requests for their bytes).
        live: while the turn runs, what each call without a result is doing, by call id
            (``running`` or ``waiting`` for approval); a call with neither has not run.
        replaced: the previous version of a regenerated reply (a note says when the fixed seed
            made it the same reply).
    """
    role = message.role
    markdown = role == "assistant"
    parts = [f'<div class="wb-role">{html.escape(role)}</div>', ending_html(message)]
    parts.append(same_seed_html(message, replaced))
    if message.reasoning:  # above the reply, as it came before it
        parts.append(thinking_html(message.reasoning))
    if message.refusal:
        parts.append(_refusal(message.refusal))
    content = message.content
    if isinstance(content, str) and content:
        parts.append(markdown_to_html(content) if markdown else _plain(content))
    elif isinstance(content, list):
        rendered = (_part_html(p, markdown, found) for p in content if isinstance(p, Mapping))
        parts.append(f'<div class="wb-parts">{"".join(rendered)}</div>')
    if message.audio and (message.audio.get("transcript") or message.audio.get("data")):
        parts.append(_spoken_html(message, found))
    if message.parsed is not None:
        parsed = json_block(pretty_json(message.parsed))
        parts.append(f'<div class="wb-parsed">{parsed}</div>')
    for call in message.tool_calls or ():
        call_id = str(call.get("id"))
        result = (tool_results or {}).get(call_id)
        parts.append(tool_call_html(call, result, (live or {}).get(call_id)))
    if role == "tool" and message.error and not content:
        parts.append(f'<div class="wb-tool-error">error: {html.escape(message.error)}</div>')
    body = "".join(parts)
    block = f'<div class="wb-message wb-role-{html.escape(role)}">{body}</div>'
    return sanitize(block, remote_images=True)


# -- style ------------------------------------------------------------------------------------


# Pygments' token classes -> JupyterLab's editor colours, so code follows the theme. Comments,
# punctuation and unknown tokens keep the text colour: Lab's comment and bracket colours are
# under 4.5:1 on some of its own backgrounds.
_TOKEN_COLOURS = {
    "keyword": ("k", "kc", "kd", "kn", "kp", "kr", "kt", "ow"),
    "builtin": ("nb", "bp"),
    "string": ("s", "s1", "s2", "sa", "sb", "sc", "sd", "se", "sh", "si", "sr", "ss", "sx", "dl"),
    "number": ("m", "mb", "mf", "mh", "mi", "mo", "il"),
    "operator": ("o",),
    "def": ("nf", "fm", "nc", "nn"),
    "property": ("nt", "na"),
    "meta": ("nd",),
}
_TOKEN_FALLBACKS = {
    "keyword": "#008000", "builtin": "#008000", "string": "#ba2121", "number": "#008000",
    "operator": "#7800c2", "def": "#0000ff", "property": "#0055aa", "meta": "#aa22ff",
}  # fmt: skip


def _token_css() -> list[str]:
    rules = []
    for kind, classes in _TOKEN_COLOURS.items():
        selector = ", ".join(f".wb-code .{name}" for name in classes)
        colour = f"var(--jp-mirror-editor-{kind}-color, {_TOKEN_FALLBACKS[kind]})"
        rules.append(f"{selector} {{ color: {colour}; }}")
    rules.append(".wb-code .c, .wb-code .c1, .wb-code .ch, .wb-code .cm, .wb-code .cp,"
                 " .wb-code .cpf, .wb-code .cs { font-style: italic; }")  # fmt: skip
    rules.append(".wb-code .ge { font-style: italic; } .wb-code .gs { font-weight: bold; }")
    return rules


def _css() -> str:
    # Colours are JupyterLab's theme variables (a fallback for pages without them); texts that
    # need a darker shade on light themes and a lighter one on dark themes read --wb-* colours
    # set per theme from Lab's `data-jp-theme-light` on <body>.
    own = """
.wb-message { margin: 0.4em 0; padding: 0.3em 0.6em;
  border-left: 3px solid var(--jp-border-color1, #bdbdbd); }
.wb-role { font-size: 0.8em; font-weight: bold; text-transform: uppercase;
  color: var(--jp-ui-font-color2, rgba(0, 0, 0, 0.54)); }
.wb-role-user { border-color: var(--jp-brand-color1, #1976d2); }
.wb-role-assistant { border-color: var(--jp-success-color1, #388e3c); }
.wb-role-tool { border-color: var(--jp-border-color1, #bdbdbd); }
.wb-plain { white-space: pre-wrap; }
.wb-message > p { margin: 0.5em 0; }
.wb-message > .wb-role + p, .wb-message > :not(p) + p { margin-top: 0.2em; }
.wb-message > p:last-child { margin-bottom: 0.2em; }
.wb-code { padding: 0.5em; overflow-x: auto; color: var(--jp-content-font-color1, #212121);
  background: var(--jp-layout-color0, #fff); border: 1px solid var(--jp-border-color2, #e0e0e0);
  border-radius: 2px; }
.wb-status, .wb-refusal { color: var(--wb-error-text, #b71c1c); font-weight: bold; }
.wb-refusal { border: 1px solid var(--wb-error-text, #b71c1c); padding: 0.2em 0.5em; }
.wb-ending { color: var(--jp-content-font-color1, #111); background: var(--jp-layout-color2, #eee);
  border-left: 3px solid var(--jp-warn-color1, #e65100); padding: 0.15em 0.5em; margin: 0.2em 0;
  overflow-wrap: anywhere; font-weight: normal; }
.wb-ending-error { border-left-color: var(--jp-error-color1, #b71c1c); }
.wb-note { color: var(--jp-content-font-color1, #111); background: var(--jp-layout-color2, #eee);
  border-left: 3px solid var(--jp-brand-color1, #1976d2); padding: 0.15em 0.5em;
  margin: 0.2em 0; font-size: 0.9em; overflow-wrap: anywhere; }
.wb-tool-call { border: 1px solid var(--jp-border-color2, #e0e0e0); border-radius: 2px;
  padding: 0.3em 0.5em; margin: 0.3em 0; }
.wb-tool-head { display: flex; flex-wrap: wrap; gap: 0.2em 0.7em; align-items: baseline; }
.wb-tool-name { font-family: var(--jp-code-font-family, monospace); font-weight: bold; }
.wb-tool-state, .wb-tool-time { font-size: 0.85em; }
.wb-tool-time, .wb-tool-label, .wb-tool-size {
  color: var(--wb-muted-text, var(--jp-ui-font-color2, rgba(0, 0, 0, 0.54))); }
.wb-tool-section { margin-top: 0.3em; }
.wb-tool-label { font-size: 0.8em; font-weight: bold; }
.wb-tool-size { font-weight: normal; }
summary.wb-tool-label { cursor: pointer; user-select: none; }
.wb-tool-section > .wb-code, .wb-tool-section > .wb-plain { margin: 0.15em 0 0;
  max-height: 24em; overflow: auto; }
.wb-tool-error > .wb-tool-label, .wb-tool-error > .wb-plain,
div.wb-tool-error:not(.wb-tool-section) { color: var(--wb-error-text, #b71c1c); }
.wb-chip { display: inline-block; border: 1px solid var(--jp-border-color1, #bdbdbd);
  border-radius: 1em; padding: 0 0.6em; margin: 0 0.2em; font-size: 0.85em; }
.wb-thumb { max-width: 12em; max-height: 12em; }
.wb-media { display: inline-flex; flex-direction: column; align-items: flex-start; gap: 0.15em;
  margin: 0.2em 0.4em 0.2em 0; vertical-align: top; }
.wb-media.wb-chip { flex-direction: row; }
.wb-media-label { font-size: 0.8em; color: var(--jp-ui-font-color2, rgba(0, 0, 0, 0.54)); }
.wb-media-image img { cursor: zoom-in; }
.wb-thinking { margin: 0.2em 0 0.4em; padding: 0.15em 0.5em; border-radius: 2px;
  border-left: 2px solid var(--jp-border-color1, #bdbdbd);
  background: var(--jp-layout-color2, #eee); color: var(--jp-content-font-color1, #212121);
  font-size: 0.9em; }
.wb-thinking > summary { cursor: pointer; font-style: italic; user-select: none;
  color: var(--jp-ui-font-color1, rgba(0, 0, 0, 0.87)); }
.wb-thinking-text { max-height: 18em; overflow-y: auto; margin: 0.2em 0; }
"""
    return own.strip() + "\n" + "\n".join(_token_css()) + "\n"


CSS = _css()
"""The style sheet for the HTML this module makes (its own classes and Pygments' tokens)."""
