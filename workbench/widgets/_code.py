""" "Copy as code": the conversation's next request as a workbench, openai or curl snippet.

The snippet sends exactly the body the conversation would send (its messages, parameters with a
pydantic ``response_format`` as its JSON schema, and its enabled tools). Keys are never written
into it: every flavor reads ``OPENAI_API_KEY`` from the environment, and if the client's key
appears anywhere in the text (pasted into a message, say) it is replaced by ``[redacted]``.
"""

from __future__ import annotations

import json
import keyword
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ..conversation._history import Message
from ..conversation._protocol_choice import choose_api
from ..conversation._responses_mapping import responses_request
from ..protocol._schema import type_to_response_format

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["Flavor", "next_request_api", "next_request_body", "next_request_code"]

Flavor = Literal["workbench", "openai", "curl"]

LOCAL_SERVER_URL = "http://127.0.0.1:8000/v1"
_OPENAI_URL = "https://api.openai.com/v1"
_FLAT_WIDTH = 80  # a literal this short (with its indent) stays on one line


def next_request_body(
    conversation: Conversation, *, content: str | None = None, stream: bool = False
) -> dict[str, Any]:
    """The JSON body of the conversation's next request, as it goes on the wire (a Chat
    Completions body, or a Responses one when ``next_request_api`` says so).

    Args:
        conversation: the conversation.
        content: a user message about to be sent (the widget's input); None sends the
            current branch as it is (as ``regenerate`` would after the last user message).
        stream: whether the request streams (then usage is asked for, as the conversation does).
    """
    request = _request(conversation)
    if next_request_api(conversation) == "responses":
        wire = _responses_body(conversation, request, content, stream)
        wire.update(wire.pop("extra_body", None) or {})  # as the client sends it
        return wire
    if "response_format" in request:
        request["response_format"] = type_to_response_format(request["response_format"])
    messages = conversation.to_messages()
    if content is not None:
        messages.append({"role": "user", "content": content})
    body: dict[str, Any] = {"model": request.pop("model", None), "messages": messages, **request}
    if body["model"] is None:
        del body["model"]
    if stream:
        body["stream"] = True
        body.setdefault("stream_options", {"include_usage": True})
    # What the client sends: JSON, so integer keys (logit_bias) become strings, tuples lists.
    loaded: dict[str, Any] = json.loads(json.dumps(body, ensure_ascii=False))
    return loaded


def _request(conversation: Conversation) -> dict[str, Any]:
    """The turn's request keywords: the parameters and the enabled tools."""
    request = conversation.params.to_request()
    tools = [tool.to_param() for tool in conversation.tools.values() if tool.enabled]
    if tools and "tools" not in request:
        request["tools"] = tools
    return request


def next_request_api(conversation: Conversation) -> Literal["chat", "responses"]:
    """The protocol of the conversation's next model call (``auto`` decided)."""
    request = conversation.params.to_request()
    return choose_api(conversation.api, conversation.client, conversation.params.model, request)


def _responses_body(
    conversation: Conversation, request: dict[str, Any], content: str | None, stream: bool
) -> dict[str, Any]:
    """The keywords of ``responses.create``: the conversation's own builder's (``extra_body``
    kept apart, as the Python snippets pass it).

    Raises:
        InvalidParameterError: a parameter with no equivalent in the Responses API (as the
            turn itself would be refused).
    """
    path = list(conversation.history.path_view())
    if content is not None:
        path.append(Message(role="user", content=content))
    body = responses_request(request, conversation.system, path)
    if stream:
        body["stream"] = True
    loaded: dict[str, Any] = json.loads(json.dumps(body, ensure_ascii=False))
    return loaded


def next_request_code(
    conversation: Conversation,
    *,
    flavor: Flavor,
    content: str | None = None,
    stream: bool = False,
) -> str:
    """A snippet that reproduces the conversation's next request.

    Args:
        conversation: the conversation.
        flavor: ``workbench`` (``workbench.Client()``), ``openai`` (the ``openai`` package) or
            ``curl``.
        content: a user message about to be sent; None sends the current branch as it is.
        stream: a streaming request (the snippet prints the text as it arrives).

    Returns:
        Valid Python (the first two flavors) or a shell command (curl); no key inside.
    """
    body = next_request_body(conversation, content=content, stream=stream)
    responses = next_request_api(conversation) == "responses"
    keywords = body
    if responses:  # extra_body stays a keyword of the call (the wire body has it merged)
        keywords = _responses_body(conversation, _request(conversation), content, stream)
    client = conversation.client
    local = getattr(client, "local_model", None) is not None
    base_url = _public_url(getattr(client, "base_url", None))
    if flavor == "workbench":
        code = _python(keywords, "workbench", local, base_url, responses)
    elif flavor == "openai":
        code = _python(keywords, "openai", local, base_url, responses)
    elif flavor == "curl":
        code = _curl(body, local, base_url, responses)
    else:
        raise ValueError(f"flavor must be 'workbench', 'openai' or 'curl', not {flavor!r}")
    key = getattr(client, "api_key", None)
    if isinstance(key, str) and len(key) >= 4 and key in code:
        code = code.replace(key, "[redacted]")
    return code


def _public_url(url: object) -> str:
    """The base URL without user info or query (where credentials may hide), no trailing /."""
    if url is None:
        return _OPENAI_URL
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None)).rstrip("/")


# -- Python -----------------------------------------------------------------------------------


def _escape_unprintable(text: str, *, python: bool) -> str:
    """Write unprintable characters (controls, lone surrogates, line separators) as escapes,
    in Python's or JSON's spelling; the newlines of indentation stay."""
    out = []
    for c in text:
        code = ord(c)
        if c.isprintable() or c == "\n":
            out.append(c)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        elif python:
            out.append(f"\\U{code:08x}")
        else:  # JSON spells an astral character as a surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out)


def _py_str(text: str) -> str:
    """A double-quoted Python string literal; anything unprintable written as an escape."""
    return _escape_unprintable(json.dumps(text, ensure_ascii=False), python=True)


def _py(value: Any, level: int = 0) -> str:
    """``value`` (JSON data) as a Python literal: on one line when short, else indented."""
    flat = _py_flat(value)
    if len(flat) + 4 * level <= _FLAT_WIDTH or not isinstance(value, (Mapping, list)):
        return flat
    pad, inner = "    " * level, "    " * (level + 1)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{inner}{_py_str(str(k))}: {_py(v, level + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{inner}{_py(v, level + 1)}," for v in value) + f"\n{pad}]"
    return flat


def _py_flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_py_str(str(k))}: {_py_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_flat(v) for v in value) + "]"
    if isinstance(value, str):
        return _py_str(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f'float("{value}")'
    return repr(value)


def _keywords(body: Mapping[str, Any]) -> str:
    named = {k: v for k, v in body.items() if k.isidentifier() and not keyword.iskeyword(k)}
    lines = [f"    {k}={_py(v, 1)}," for k, v in named.items()]
    others = {k: v for k, v in body.items() if k not in named}
    if others:
        lines.append(f"    **{_py(others, 1)},")
    return "\n".join(lines)


def _python(
    body: Mapping[str, Any], package: str, local: bool, base_url: str, responses: bool
) -> str:
    lines = ["# The next request of this conversation. The key comes from the environment"]
    lines.append("# (OPENAI_API_KEY); it is never written here.")
    if package == "workbench":
        lines.append("import workbench")
        lines.append("")
        if local:
            lines.append("client = workbench.Client(local=True)  # the local model (a simulator)")
        elif base_url != _OPENAI_URL:
            lines.append(f"client = workbench.Client(base_url={_py_str(base_url)})")
        else:
            lines.append("client = workbench.Client()")
    else:
        lines.append("import os")
        lines.append("")
        lines.append("from openai import OpenAI")
        lines.append("")
        if local:
            lines.append("# The local model over HTTP: first run `python -m workbench serve`.")
            lines.append("client = OpenAI(")
            lines.append(f"    base_url={_py_str(LOCAL_SERVER_URL)},")
            lines.append('    api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),')
            lines.append(")")
        elif base_url != _OPENAI_URL:
            lines.append("client = OpenAI(")
            lines.append(f"    base_url={_py_str(base_url)},")
            lines.append('    api_key=os.environ["OPENAI_API_KEY"],')
            lines.append(")")
        else:
            lines.append('client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])')
    return "\n".join(lines + _call(body, responses)) + "\n"


# How each protocol's snippet calls, and prints the reply's text: whole, and as it streams
# (the loop over the stream's items, and the item's text).
_CALLS = {
    False: (
        "completion = client.chat.completions.create(",
        "print(completion.choices[0].message.content)",
        ("for chunk in stream:", "    if chunk.choices:"),
        'print(chunk.choices[0].delta.content or "", end="")',
    ),
    True: (
        "response = client.responses.create(",
        "print(response.output_text)",
        ("for event in stream:", '    if event.type == "response.output_text.delta":'),
        'print(event.delta, end="")',
    ),
}


def _call(body: Mapping[str, Any], responses: bool) -> list[str]:
    """The lines that send the request and print the reply's text."""
    call, whole, loop, delta = _CALLS[responses]
    if not body.get("stream"):
        return [call, _keywords(body), ")", whole]
    call = "stream =" + call.split("=", 1)[1]
    return [call, _keywords(body), ")", *loop, f"        {delta}", "print()"]


# -- curl -------------------------------------------------------------------------------------


def _curl(body: Mapping[str, Any], local: bool, base_url: str, responses: bool) -> str:
    path = "/responses" if responses else "/chat/completions"
    url = (LOCAL_SERVER_URL if local else base_url) + path
    lines = ["# The next request of this conversation; the key comes from $OPENAI_API_KEY."]
    if local:
        lines.append("# The local model over HTTP: first run `python -m workbench serve`.")
    data = _escape_unprintable(json.dumps(body, indent=2, ensure_ascii=False), python=False)
    command = [
        f"curl {shlex.quote(url)}" + (" -N" if body.get("stream") else ""),
        '  -H "Content-Type: application/json"',
        '  -H "Authorization: Bearer $OPENAI_API_KEY"',
        f"  -d {shlex.quote(data)}",
    ]
    lines.append(" \\\n".join(command))
    return "\n".join(lines) + "\n"
